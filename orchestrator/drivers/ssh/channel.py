"""Interactive channel: read-until-pattern over a PTY shell, with output normalised.

Everything above this layer sees ``\\n`` line ends and no terminal escapes, and never
sees pager prompts: they are answered here so outputs come back complete even when
``set cli pagination off`` did not stick.
"""

from __future__ import annotations

import codecs
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from orchestrator.cucm import texts
from orchestrator.drivers.ssh.errors import CommandTimeout, SessionClosed, UnsafeText
from orchestrator.drivers.ssh.patterns import words

log = structlog.get_logger(__name__)

# CSI (ESC [ ... final), charset selection (ESC ( B), keypad modes (ESC = / ESC >), OSC.
_ANSI = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[()][A-Za-z0-9]|\x1b[=>78cDEHM]|\x1b\][^\x07]*\x07"
)
# "Erase to end of line" (often after a CR) is how CUCM redraws the prompt and wipes a
# pager prompt: at a line start it erases nothing we keep, elsewhere it acts as a break.
_ERASE_LINE = re.compile(r"\r*\x1b\[K")
# An escape that may continue in the next chunk.
_PARTIAL_ESCAPE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*|[()]|\][^\x07]*)?\Z")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1a\x1c-\x1f\x7f]")

# A pager prompt is the last thing printed; CUCM may follow it with ESC[K (reference
# 9.5), which normalisation turns into a line break: allow one.
PAGER_MORE = re.compile(words(texts.PAGER_PROMPT) + r"[ \t]*\n?\Z")
# `file view`'s own pager: its (lines first - last of total) part is optional
PAGER_FILE_VIEW = re.compile(
    words(texts.FILE_VIEW_PAGER, 0, 6)
    + r"(?:[ \t]*"
    + words(
        texts.FILE_VIEW_PAGER.removesuffix(":"),
        6,
        first=r"(?P<first>\d+)",
        last=r"(?P<last>\d+)",
        total=r"(?P<total>\d+)",
    )
    + r")?[ \t]*:[ \t]*\n?\Z"
)


def unsafe_characters(text: str, allowed: str = "") -> list[str]:
    """The characters of ``text`` a terminal acts on instead of showing them (C0/C1
    controls, DEL, format and line/paragraph separators), except those in ``allowed``;
    each once, in order of appearance."""
    found: list[str] = []
    for char in text:
        if not char.isprintable() and char not in allowed and char not in found:
            found.append(char)
    return found


def check_typable(what: str, text: str, *, host: str | None = None) -> None:
    """Raise ``UnsafeText`` unless ``text`` is printable: the one rule for every value
    typed into a CLI session (answers, file names, service names, commands)."""
    bad = unsafe_characters(text)
    if bad:
        raise UnsafeText(what, bad, host=host)


def normalize(text: str, *, at_line_start: bool = False) -> str:
    """CRLF and lone CR to LF, ANSI sequences and stray control bytes removed.

    ``at_line_start`` says the text continues a buffer that ended with a line break
    (so a leading erase-line is not a line break of its own).
    """
    if at_line_start:
        return normalize("\n" + text)[1:]
    text = text.replace("\r\n", "\n")
    text = _ERASE_LINE.sub(
        lambda m: "" if m.start() > 0 and text[m.start() - 1] == "\n" else "\n", text
    )
    text = _ANSI.sub("", text)
    text = text.replace("\r", "\n")
    return _CONTROL.sub("", text)


class RawChannel(Protocol):
    """The part of ``paramiko.Channel`` we use; tests provide in-memory ones."""

    closed: bool

    def settimeout(self, timeout: float | None) -> None: ...

    def recv(self, nbytes: int) -> bytes: ...

    def sendall(self, data: bytes) -> None: ...

    def close(self) -> None: ...


@dataclass
class Transcript:
    """What was read (normalised) and sent during a recording; secrets already masked."""

    parts: list[tuple[str, str]] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)

    def _mask(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "********")
        return text

    def add(self, direction: str, text: str) -> None:
        self.parts.append((direction, self._mask(text)))

    @property
    def received(self) -> str:
        # Masked again as a whole: a secret echoed back may straddle two chunks.
        return self._mask("".join(t for d, t in self.parts if d == "<"))

    @property
    def sent(self) -> list[str]:
        return [t for d, t in self.parts if d == ">"]

    def text(self) -> str:
        """The session as a person would have seen it (server echo included)."""
        return self.received


@dataclass(frozen=True)
class ReadResult:
    index: int  # which of the patterns matched
    match: re.Match[str]
    text: str  # everything consumed, up to and including the match


class Channel:
    """A text channel with expect-style reads. Not thread safe; one per session."""

    def __init__(
        self,
        raw: RawChannel,
        *,
        host: str | None = None,
        newline: str = "\n",
        # A read returns as soon as data arrives; this only bounds how long one wait
        # sleeps before looking at the deadline again. Short, it wakes a thread ten
        # times a second through every minutes-long install (docs/performance.md).
        poll_interval: float = 1.0,
        handle_pagers: bool = True,
    ) -> None:
        self.raw = raw
        self.host = host
        self.newline = newline
        self.poll_interval = poll_interval
        self.handle_pagers = handle_pagers
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""  # decoded but not normalised yet (may end mid-escape or on \r)
        self.buffer = ""  # normalised, not consumed yet
        self._recorders: list[Transcript] = []
        self.pages_answered = 0
        # After a pager is answered the CLI wipes its prompt (CR ESC[K) or moves to a new
        # line: that break is not part of the output, which must come back unchanged.
        self._after_pager = False

    # -- sending ---------------------------------------------------------------------

    def send(self, text: str, *, secret: bool = False, controls: str = "") -> None:
        """Type ``text`` exactly. Only printable characters go out, plus the control
        characters the caller declares in ``controls`` (a dialog's line terminator or
        key): anything else is refused before a byte is sent, because the CLI would act
        on it (Ctrl-C ends a wizard and the rest of the value runs at ``admin:``)."""
        bad = unsafe_characters(text, controls)
        if bad:
            raise UnsafeText("a secret value" if secret else "a value", bad, host=self.host)
        self._write(text, secret=secret)

    def send_line(self, text: str = "", *, secret: bool = False) -> None:
        """Type ``text`` (printable only) and the platform's line terminator."""
        check_typable("a secret value" if secret else "a value", text, host=self.host)
        self._write(text + self.newline, secret=secret)

    def _write(self, text: str, *, secret: bool) -> None:
        if self.raw.closed:
            raise SessionClosed("channel is closed", output=self.buffer, host=self.host)
        for rec in self._recorders:
            rec.add(">", "********" if secret and text.strip() else text)
        log.debug("ssh.send", host=self.host, text="********" if secret else text)
        try:
            self.raw.sendall(text.encode())
        except (OSError, EOFError) as exc:
            raise SessionClosed(f"send failed: {exc}", output=self.buffer, host=self.host) from exc

    # -- reading ---------------------------------------------------------------------

    def _feed(self, data: bytes) -> None:
        text = self._pending + self._decoder.decode(data)
        hold = _PARTIAL_ESCAPE.search(text)
        cut = hold.start() if hold else len(text)
        if cut and text[cut - 1] == "\r":
            cut -= 1  # wait: a following \n makes it one line break, not two
        self._pending = text[cut:]
        new = normalize(text[:cut], at_line_start=self.buffer.endswith("\n"))
        if new and self._after_pager:
            self._after_pager = False
            if new.startswith("\n") and (not self.buffer or self.buffer.endswith("\n")):
                new = new[1:]
        if new:
            for rec in self._recorders:
                rec.add("<", new)
            self.buffer += new

    def _flush_pending(self) -> None:
        if self._pending:
            new = normalize(self._pending)
            self._pending = ""
            for rec in self._recorders:
                rec.add("<", new)
            self.buffer += new

    def _recv(self, timeout: float) -> bool:
        """Read one chunk; False if nothing came in ``timeout``. Raises on close."""
        self.raw.settimeout(max(timeout, 0.001))
        try:
            data = self.raw.recv(65536)
        except TimeoutError:  # socket.timeout is an alias since 3.10
            return False
        except (OSError, EOFError) as exc:
            self._flush_pending()
            raise SessionClosed(f"read failed: {exc}", output=self.buffer, host=self.host) from exc
        if not data:
            self._flush_pending()
            raise SessionClosed("channel closed by peer", output=self.buffer, host=self.host)
        self._feed(data)
        return True

    def _answer_pager(self) -> None:
        if not self.handle_pagers:
            return
        m = PAGER_MORE.search(self.buffer)
        if m:
            self.buffer = self.buffer[: m.start()]
            self.pages_answered += 1
            self._after_pager = True
            self.send(" ")
            return
        m = PAGER_FILE_VIEW.search(self.buffer)
        if m:
            self.buffer = self.buffer[: m.start()]
            self.pages_answered += 1
            self._after_pager = True
            last, total = m.group("last"), m.group("total")
            at_end = last is not None and total is not None and int(last) >= int(total)
            self.send("q" if at_end else "n")

    def read_until(
        self, patterns: re.Pattern[str] | Sequence[re.Pattern[str]], timeout: float
    ) -> ReadResult:
        """Consume the buffer up to the earliest match of any pattern (ties: list order).

        Patterns run against the normalised, unconsumed buffer; a pattern ending in
        ``\\s*$`` therefore means "this is the last thing printed", i.e. a prompt.
        """
        pats = [patterns] if isinstance(patterns, re.Pattern) else list(patterns)
        deadline = time.monotonic() + timeout
        while True:
            best: tuple[int, int, re.Match[str]] | None = None
            for i, pat in enumerate(pats):
                m = pat.search(self.buffer)
                if m and (best is None or m.start() < best[2].start()):
                    best = (i, m.start(), m)
            if best is not None:
                index, _, m = best
                consumed = self.buffer[: m.end()]
                self.buffer = self.buffer[m.end() :]
                return ReadResult(index, m, consumed)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._flush_pending()
                wanted = " | ".join(p.pattern for p in pats)
                raise CommandTimeout(
                    f"no {wanted!r} within {timeout:g} s", output=self.buffer, host=self.host
                )
            if self._recv(min(remaining, self.poll_interval)):
                self._answer_pager()

    def drain(self, quiet: float = 0.0) -> str:
        """Take whatever is buffered or arrives within ``quiet`` seconds (stale output)."""
        if quiet > 0:
            deadline = time.monotonic() + quiet
            while (left := deadline - time.monotonic()) > 0:
                self._recv(min(left, self.poll_interval))
        self._flush_pending()
        text, self.buffer = self.buffer, ""
        return text

    @contextmanager
    def recording(self, secrets: Sequence[str] = ()) -> Iterator[Transcript]:
        rec = Transcript(secrets=[s for s in secrets if s])
        self._recorders.append(rec)
        try:
            yield rec
        finally:
            self._recorders.remove(rec)

    @property
    def closed(self) -> bool:
        return bool(self.raw.closed)

    def close(self) -> None:
        self.raw.close()
