"""The admin CLI of one SSH session: terminal line discipline, pager, command loop.

Like the real platform CLI, it echoes what is typed (the client's PTY is in raw mode),
ends lines with CRLF, pages long outputs until ``set cli pagination off``, and prompts
``admin:`` whatever the account is called.
"""

from __future__ import annotations

import codecs
import contextlib
import threading
import time
from collections.abc import Callable

import paramiko

from orchestrator.cucm import texts
from orchestrator.lab.nodes import Node
from orchestrator.lab.world import World

CRLF = texts.CRLF
BOLD, NORMAL = "\x1b[1m", "\x1b[0m"
ERASE_LINE = "\r\x1b[K"
ERASE_TO_END = "\x1b[K"
SECRET_ECHO = "********"  # what a password answer shows, whatever its length
_BACKSPACES = ("\x7f", "\x08")


class SessionClosed(Exception):
    """The client went away, the node went down, or the user typed exit."""


class Logout(SessionClosed):
    """`exit` / `quit`: end the session cleanly (exit status 0, like a shell)."""


class Interrupted(Exception):
    """Ctrl-C: abandon the current command or dialog and show the prompt again."""


class Terminal:
    """Line discipline over a paramiko channel (what the real CLI's readline does)."""

    def __init__(self, channel: paramiko.Channel) -> None:
        self.channel = channel
        self._channel = channel
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._skip_lf = False  # a CRLF from the client ends one line, not two
        self.last_input = time.monotonic()  # the CLI's idle timer starts from the last key
        self.waiting_for_input = False

    @property
    def closed(self) -> bool:
        return self._channel.closed or not self._channel.get_transport().is_active()

    def write(self, text: str) -> None:
        try:
            self._channel.sendall(text.encode())
        except (OSError, EOFError, paramiko.SSHException) as exc:
            raise SessionClosed from exc

    def line(self, text: str = "") -> None:
        self.write(text + CRLF)

    def _char(self) -> str:
        while not self._pending:
            self.waiting_for_input = True
            try:
                data = self._channel.recv(4096)
            except (OSError, EOFError, paramiko.SSHException) as exc:
                raise SessionClosed from exc
            finally:
                self.waiting_for_input = False
            if not data:
                raise SessionClosed
            self.last_input = time.monotonic()
            self._pending = self._decoder.decode(data)
        char, self._pending = self._pending[0], self._pending[1:]
        return char

    def _swallow_escape(self) -> None:
        """Arrow keys and other escape sequences are not part of an answer."""
        char = self._char()
        if char in "[O":
            while not ("@" <= self._char() <= "~"):
                pass

    def read_line(self, secret: bool = False) -> str:
        """One line; a ``secret`` one echoes nothing while typed and a fixed
        ``********`` on Enter, so its length does not show (reference 2)."""
        buffer: list[str] = []
        while True:
            char = self._char()
            if self._skip_lf and char == "\n":
                self._skip_lf = False
                continue
            self._skip_lf = False
            if char in "\r\n":
                self._skip_lf = char == "\r"
                self.write((SECRET_ECHO if secret else "") + CRLF)
                return "".join(buffer)
            if char in _BACKSPACES:
                if buffer:
                    buffer.pop()
                    if not secret:
                        self.write("\b \b")
            elif char == "\x03":
                self.write("^C" + CRLF)
                raise Interrupted
            elif char == "\x1b":
                self._swallow_escape()
            elif char >= " ":
                buffer.append(char)
                if not secret:
                    self.write(char)

    def read_key(self) -> str:
        """One key press (the pagers); a CR counts as Enter."""
        while True:
            char = self._char()
            if self._skip_lf and char == "\n":
                self._skip_lf = False
                continue
            self._skip_lf = char == "\r"
            if char == "\x03":
                raise Interrupted
            return "\r" if char == "\n" else char

    def discard_typeahead(self) -> None:
        """Confirmation prompts drop what was typed before they appeared (reference 1)."""
        self._pending = ""
        with contextlib.suppress(OSError, EOFError, paramiko.SSHException):
            while self._channel.recv_ready():
                self._channel.recv(4096)


class Shell:
    """One admin CLI session on one node."""

    def __init__(
        self,
        world: World,
        node_name: str,
        channel: paramiko.Channel,
        *,
        username: str,
        disconnect: Callable[[], None],
        connected_at: float,
    ) -> None:
        self.world = world
        self.node_name = node_name
        self.term = Terminal(channel)
        self.username = username
        self.pagination = True
        self._disconnect = disconnect
        self._connected_at = connected_at
        # `set cli session timeout` changes new sessions (unless the rule says otherwise)
        self.session_timeout_minutes = world.nodes[node_name].cli_session_timeout_minutes
        self._ended = threading.Event()

    @property
    def node(self) -> Node:
        return self.world.nodes[self.node_name]

    @property
    def alive(self) -> bool:
        return not self.term.closed

    def disconnect(self) -> None:
        self._disconnect()

    # ----- I/O helpers for commands -------------------------------------------------------

    def delay(self) -> None:
        if self.world.timing.command_delay:
            time.sleep(self.world.timing.command_delay)

    def out(self, lines: list[str]) -> None:
        """Print a command's output through the pager when pagination is on."""
        size = self.world.config.rules.pagination_lines
        if not self.pagination or len(lines) <= size:
            for text in lines:
                self.term.line(text)
            return
        shown, budget = 0, size
        while shown < len(lines):
            for text in lines[shown : shown + budget]:
                self.term.line(text)
            shown += budget
            if shown >= len(lines):
                return
            # Cisco's own framework's mock data shows ESC[K right after it (reference 9.5)
            self.term.write(BOLD + texts.PAGER_PROMPT + NORMAL + ERASE_TO_END)
            key = self._key_of("\r q")
            self.term.write(ERASE_LINE)
            if key == "q":
                return
            budget = 1 if key == "\r" else size

    def _key_of(self, allowed: str) -> str:
        while (key := self.term.read_key().lower()) not in allowed:
            pass
        return key

    def ask(self, prompt: str, *, secret: bool = False, confirm: bool = False) -> str:
        """Show a prompt and read the answer (stripped)."""
        if confirm:
            self.term.discard_typeahead()
        self.term.write(prompt + " ")
        return self.term.read_line(secret).strip()

    def ask_yes_no(self, prompt: str, default: bool | None = None) -> bool:
        """Re-prompt until yes or no (or Enter when there is a default)."""
        while True:
            answer = self.ask(prompt, confirm=True).lower()
            if answer in ("yes", "y"):
                return True
            if answer in ("no", "n"):
                return False
            if answer == "" and default is not None:
                return default

    def extra_prompts(self, at: str) -> None:
        """Ask the configured questions for this point of a dialog (rules.extra_prompts);
        the answer only goes into the ground truth: a careful client never gives one."""
        for extra in self.world.config.rules.extra_prompts:
            if extra.at != at or extra.node not in (None, self.node_name):
                continue
            self.world.events.emit(self.node_name, "extra_prompt_shown", text=extra.text, at=at)
            answer = self.ask(extra.text, confirm=True)
            self.world.events.emit(
                self.node_name, "extra_prompt_answered", text=extra.text, answer=answer
            )

    # ----- the session ----------------------------------------------------------------------

    def run(self) -> None:
        from orchestrator.lab.cli.commands import dispatch  # commands import Shell's types

        first, rest = texts.BANNER.split(CRLF, 1)
        threading.Thread(
            target=self._idle_watch, name=f"lab-idle-{self.node_name}", daemon=True
        ).start()
        try:
            self.term.write(first + CRLF)
            remaining = self._connected_at + self.world.timing.login_delay - time.monotonic()
            if remaining > 0:
                time.sleep(remaining)
            self.term.write(rest)
            while True:
                self.term.write(texts.PROMPT)
                try:
                    line = self.term.read_line()
                    if line.strip():
                        # ground truth: every command line this node's CLI executes
                        self.world.events.emit(self.node_name, "cli_command", command=line.strip())
                        dispatch(self, line)
                except Interrupted:
                    continue
        except Logout:
            with contextlib.suppress(Exception):
                self.term.channel.send_exit_status(0)
                self.term.channel.close()
        except SessionClosed:
            pass
        finally:
            self._ended.set()
            self._release_wizard()

    def idle_limit(self) -> float:
        """Seconds without a key before the CLI ends this session (reference 1: 30 min)."""
        minutes = self.session_timeout_minutes
        if self.world.config.rules.session_timeout_applies_to_current:
            minutes = self.node.cli_session_timeout_minutes
        return minutes * self.world.timing.cli_minute_seconds

    def _idle_watch(self) -> None:
        counts_busy = self.world.config.rules.session_timeout_counts_while_busy
        while not self._ended.is_set() and self.alive:
            limit = self.idle_limit()
            idle = time.monotonic() - self.term.last_input
            if idle >= limit and (counts_busy or self.term.waiting_for_input):
                self.world.events.emit(self.node_name, "cli_session_timed_out", idle=round(idle, 2))
                with contextlib.suppress(SessionClosed):
                    self.term.write(CRLF + texts.SESSION_TIMED_OUT + CRLF)
                self.disconnect()
                return
            self._ended.wait(min(0.5, max(0.01, limit - idle)))

    def _release_wizard(self) -> None:
        with self.world.lock:
            upgrade = self.node.upgrade
            if upgrade.owner is self:
                upgrade.owner = None
                self.world.changed.notify_all()
