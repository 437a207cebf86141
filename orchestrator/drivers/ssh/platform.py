"""``CucmCli``: the CUCM platform driver (login, commands, restarts, COP installs).

One interactive session per node, reused across commands, because a CUCM login takes
~10 s (up to 60 s on a loaded node).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from types import TracebackType
from typing import NoReturn, Self

import structlog

from orchestrator.drivers.ssh import parsers, patterns
from orchestrator.drivers.ssh.algorithms import Negotiated
from orchestrator.drivers.ssh.channel import Channel, Transcript, check_typable
from orchestrator.drivers.ssh.dialogs import (
    ABORT_KEY,
    SESSION_CLOSED,
    UNKNOWN_PROMPT,
    Dialog,
    DialogResult,
    Progress,
    run_dialog,
)
from orchestrator.drivers.ssh.errors import (
    CommandFailed,
    CommandTimeout,
    ReplicationCheckRunning,
    SessionClosed,
    UnexpectedPrompt,
)
from orchestrator.drivers.ssh.system import (
    RESTARTING,
    restart_system_dialog,
    session_timeout_dialog,
)
from orchestrator.drivers.ssh.transport import SshTarget, SshTransport, reveal
from orchestrator.drivers.ssh.upgrade import (
    CancelOutcome,
    CopInstallRequest,
    InstallOutcome,
    InstallResult,
    WizardProbe,
    cancel_dialog,
    install_cop_dialog,
    install_result,
    wizard_probe_dialog,
)

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class CucmPlatform:
    """What makes a CUCM CLI a CUCM CLI: prompt, failure texts, session set-up."""

    prompt: re.Pattern[str] = patterns.PROMPT
    failures: tuple[re.Pattern[str], ...] = patterns.FAILURES
    on_open: tuple[tuple[str, re.Pattern[str]], ...] = field(
        default=(("set cli pagination off", patterns.PAGINATION_OFF),)
    )
    newline: str = "\n"


CUCM = CucmPlatform()


def strip_echo(text: str, command: str) -> str:
    """Drop the server's echo of ``command`` (first line) if it is there."""
    first, sep, rest = text.partition("\n")
    if sep and command.strip() and command.strip() in first:
        return rest
    if not sep and command.strip() and first.strip().endswith(command.strip()):
        return ""
    return text


class CucmCli:
    """A logged-in admin CLI session on one node.

    >>> with CucmCli(SshTarget("10.1.1.10", "admin", secret, "known_hosts")) as cli:
    ...     cli.run("show version active")
    """

    def __init__(
        self,
        target: SshTarget,
        *,
        platform: CucmPlatform = CUCM,
        login_timeout: float = 60.0,
        command_timeout: float = 120.0,
        keepalive: float = 30.0,
    ) -> None:
        self.target = target
        # SSH keepalives every ``keepalive`` s: a long install's silent session is not
        # dropped by a firewall or NAT on the way (a dropped install session can leave
        # the upgrade framework stuck, reference 9.5)
        self.keepalive = keepalive
        self.platform = platform
        self.login_timeout = login_timeout
        self.command_timeout = command_timeout
        self.banner = ""
        self.pagination_off = False
        self._transport: SshTransport | None = None
        self._channel: Channel | None = None
        self._logged_in = False

    @classmethod
    def over_channel(
        cls,
        channel: Channel,
        target: SshTarget,
        *,
        platform: CucmPlatform = CUCM,
        login_timeout: float = 60.0,
        command_timeout: float = 120.0,
    ) -> CucmCli:
        """A session on an already open channel (tests, or another transport)."""
        cli = cls(
            target,
            platform=platform,
            login_timeout=login_timeout,
            command_timeout=command_timeout,
        )
        cli._channel = channel
        return cli

    # -- session ------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return self.target.host

    @property
    def channel(self) -> Channel:
        if self._channel is None or self._channel.closed:
            raise SessionClosed(f"no open CLI session to {self.host}", host=self.host)
        return self._channel

    @property
    def is_open(self) -> bool:
        return self._channel is not None and not self._channel.closed

    @property
    def negotiated(self) -> Negotiated | None:
        """The SSH algorithms this session agreed on (None over a given channel)."""
        return self._transport.negotiated if self._transport else None

    def open(self) -> Self:
        """Connect and log in; a no-op on a session that is already open."""
        if self._logged_in and self.is_open:
            return self
        if self._channel is None:
            self._transport = SshTransport(self.target)
            self._transport.connect()
            try:
                raw = self._transport.open_shell()
            except BaseException:
                self._transport.close()
                raise
            if self.keepalive > 0:
                raw.get_transport().set_keepalive(int(max(1, self.keepalive)))
            self._channel = Channel(raw, host=self.host, newline=self.platform.newline)
        self.login()
        return self

    def login(self) -> None:
        """Wait for the first prompt and prepare the session (pagination off)."""
        try:
            hit = self.channel.read_until(self.platform.prompt, self.login_timeout)
        except CommandTimeout as exc:
            self.close()
            raise CommandTimeout(
                f"{self.host}: no admin: prompt within {self.login_timeout:g} s of login",
                output=exc.output,
                host=self.host,
            ) from exc
        self.banner = hit.text[: hit.match.start()]
        self._logged_in = True
        log.debug("cli.login", host=self.host)
        for command, ack in self.platform.on_open:
            output = self.run(command, check=False)
            ok = bool(ack.search(output))
            if command == "set cli pagination off":
                self.pagination_off = ok
            if not ok:
                # Not fatal: Channel answers pager prompts, so output stays complete.
                log.warning("cli.setup_unacknowledged", host=self.host, command=command)

    def close(self) -> None:
        self._logged_in = False
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- commands -----------------------------------------------------------------------

    def run(self, command: str, timeout: float | None = None, *, check: bool = True) -> str:
        """Type ``command``, return its output (no echo, no prompt).

        A timeout leaves the CLI in an unknown state, so the session is closed; the
        caller opens a new one.
        """
        channel = self.channel
        stale = channel.drain()
        if stale.strip():
            log.debug("cli.stale_output", host=self.host, text=stale[-200:])
        log.debug("cli.run", host=self.host, command=command)
        with channel.recording((reveal(self.target.password),)) as transcript:
            channel.send_line(command)
            try:
                hit = channel.read_until(
                    [self.platform.prompt, patterns.YES_NO_QUESTION],
                    timeout or self.command_timeout,
                )
            except CommandTimeout:
                self.close()
                raise
            if hit.index == 1:  # a question no plain command expects: stop, answer nothing
                self._leave_question(command, hit.match.group("message").strip(), transcript)
        output = strip_echo(hit.text[: hit.match.start()], command).strip("\n")
        if check:
            for failure in self.platform.failures:
                m = failure.search(output)
                if m:
                    raise CommandFailed(command, output, reason=m.group(0), host=self.host)
        return output

    def responsive(self, timeout: float = 10.0) -> bool:
        """Enter at ``admin:`` brings the prompt back: the session is alive (and the
        node's idle timer starts again). A session that is not is closed."""
        if not self.is_open:
            return False
        try:
            self.channel.drain()
            self.channel.send_line("")
            self.channel.read_until(self.platform.prompt, timeout)
        except (SessionClosed, CommandTimeout):
            self.close()
            return False
        return True

    def _leave_question(self, command: str, question: str, transcript: Transcript) -> NoReturn:
        left = True
        try:
            self.channel.send(ABORT_KEY, controls=ABORT_KEY)
            self.channel.read_until(self.platform.prompt, self.command_timeout)
        except (CommandTimeout, SessionClosed):
            left = False
            self.close()
        raise UnexpectedPrompt(command, question, transcript.text(), host=self.host, left=left)

    def run_dialog(
        self,
        dialog: Dialog,
        command: str | None = None,
        *,
        progress: Progress | None = None,
        secrets: tuple[str, ...] = (),
        keep_open: bool = False,
    ) -> DialogResult:
        """Play ``dialog``; a session left away from the prompt is closed (its state is
        unknown) unless ``keep_open`` says the caller decides."""
        channel = self.channel
        channel.drain()
        result = run_dialog(channel, dialog, command=command, progress=progress, secrets=secrets)
        if not result.at_prompt and dialog.end_prompt is not None and not keep_open:
            self.close()  # unknown state (timeout, closed, no prompt): never reuse it
        return result

    # -- upgrade wizard -------------------------------------------------------------------

    def install_cop(
        self, request: CopInstallRequest, *, progress: Progress | None = None
    ) -> InstallResult:
        """Run ``utils system upgrade initiate`` for one COP file; never raises on outcomes.

        Raises ``UnsafeText`` before the wizard is even opened if a value to type holds
        a control character (the channel would refuse it mid-wizard, leaving the wizard
        open): the node sees nothing."""
        for what, value in request.typed_values():
            check_typable(what, value, host=self.host)
        result = self.run_dialog(
            install_cop_dialog(request),
            "utils system upgrade initiate",
            progress=progress,
            secrets=(reveal(request.password), reveal(self.target.password)),
            keep_open=True,
        )
        installed = install_result(request, result)
        if not result.at_prompt and not self.installing(installed):
            self.close()  # unknown state, and no install to protect
        if result.outcome == UNKNOWN_PROMPT and result.at_prompt:
            # Cisco: leave the wizard (done: Ctrl-C) and run `utils system upgrade cancel`
            cancel = self.upgrade_cancel()
            installed.message += f"; then `utils system upgrade cancel`: {cancel}"
        return installed

    def installing(self, result: InstallResult) -> bool:
        """The install was under way when the dialog stopped waiting and the session is
        still open: never close it then (an install cut off with its session can leave
        the upgrade framework stuck until reboot, reference 9.5)."""
        return (
            result.outcome is InstallOutcome.TIMEOUT
            and "installing" in result.phases
            and self.is_open
        )

    def session_timeout(self) -> int | None:
        """Minutes of the CLI idle timeout (`show cli session timeout`), None if unknown."""
        try:
            output = self.run("show cli session timeout")
        except CommandFailed:
            return None
        found = re.search(r"(\d+)\s*min", output, re.I)
        return int(found.group(1)) if found else None

    def set_session_timeout(self, minutes: int) -> bool:
        """`set cli session timeout MINUTES`, answering its `Continue (y/n)?`; True when the
        CLI took it. It holds for sessions opened afterwards (reference 9.6)."""
        result = self.run_dialog(session_timeout_dialog(), f"set cli session timeout {minutes}")
        return result.outcome == "set"

    def upgrade_status(self, timeout: float | None = None) -> parsers.UpgradeStatus:
        return parsers.parse_upgrade_status(
            self.run("utils system upgrade status", timeout, check=False)
        )

    def probe_upgrade_wizard(self, timeout: float = 120.0) -> WizardProbe:
        """Whether another session holds the install wizard; changes nothing (see
        ``wizard_probe_dialog``). Check ``upgrade_status`` first: a running install is
        reported as IN_PROGRESS here too."""
        result = self.run_dialog(wizard_probe_dialog(timeout), "utils system upgrade initiate")
        if result.outcome in set(WizardProbe):
            return WizardProbe(result.outcome)
        return WizardProbe.UNKNOWN

    def upgrade_cancel(self, timeout: float = 120.0) -> CancelOutcome:
        result = self.run_dialog(cancel_dialog(timeout), "utils system upgrade cancel")
        return (
            CancelOutcome(result.outcome)
            if result.outcome in set(CancelOutcome)
            else (CancelOutcome.UNKNOWN)
        )

    # -- restarts -------------------------------------------------------------------------

    def restart_system(
        self, *, confirm_timeout: float = 120.0, close_timeout: float = 900.0
    ) -> str:
        """``utils system restart``; returns the transcript once the node hung up on us."""
        dialog = restart_system_dialog(confirm_timeout=confirm_timeout, close_timeout=close_timeout)
        result = run_dialog(self.channel, dialog, command="utils system restart")
        text = result.text
        if result.outcome == UNKNOWN_PROMPT:
            if not result.at_prompt:
                self.close()
            raise UnexpectedPrompt(
                "utils system restart",
                result.captures.get(UNKNOWN_PROMPT, ""),
                text,
                host=self.host,
                left=result.at_prompt,
            )
        if result.outcome == SESSION_CLOSED and RESTARTING in result.phases:
            self.close()
            return text
        if result.outcome == SESSION_CLOSED:
            self.close()
            raise SessionClosed(
                f"{self.host}: session closed before the restart was confirmed",
                output=text,
                host=self.host,
            )
        if RESTARTING in result.phases:
            # Banner seen but the node kept the session open past close_timeout.
            self.close()
            raise CommandTimeout(
                f"{self.host}: restart announced but the session stayed open", output=text
            )
        raise CommandFailed("utils system restart", text, reason=result.message, host=self.host)

    def restart_service(
        self, name: str, *, timeout: float = 900.0, check: bool = True
    ) -> parsers.ServiceRestart:
        """``utils service restart NAME``; with ``check``, anything but STARTED raises."""
        command = f"utils service restart {name}"
        output = self.run(command, timeout)
        restart = parsers.parse_service_restart(output, name)
        if check and restart.final_state != "STARTED":
            raise CommandFailed(
                command,
                output,
                reason=f"{name} ended {restart.final_state}, not STARTED",
                host=self.host,
            )
        return restart

    def start_service(self, name: str, *, timeout: float = 900.0) -> parsers.ServiceRestart:
        """``utils service start NAME``: its state lines, as a restart prints them
        (the start's own wording is inferred); the caller judges the final state."""
        return parsers.parse_service_restart(self.run(f"utils service start {name}", timeout), name)

    # -- typed reads ----------------------------------------------------------------------

    def show_version(self, partition: str = "active") -> parsers.VersionInfo:
        return parsers.parse_show_version(self.run(f"show version {partition}"))

    def service_list(self, timeout: float | None = None) -> parsers.ServiceList:
        return parsers.parse_service_list(self.run("utils service list", timeout))

    def dbreplication_runtimestate(
        self, timeout: float = 300.0, *, first_poll: float = 0.1, max_poll: float = 5.0
    ) -> parsers.ReplicationStatus:
        """The replication table once its status check is COMPLETED (reference 9.4):
        while the header says IN PROGRESS the states are not final, so the command is
        run again (backing off from ``first_poll`` to ``max_poll`` s) for up to
        ``timeout`` s; then ``ReplicationCheckRunning``."""
        started = time.monotonic()
        pause = first_poll
        while True:
            status = parsers.parse_dbreplication_runtimestate(
                self.run("utils dbreplication runtimestate", timeout)
            )
            if not status.still_checking:
                return status
            waited = time.monotonic() - started
            if waited + pause > timeout:
                raise ReplicationCheckRunning(
                    self.host, round(waited, 1), status.tables_checked, status.tables_total
                )
            log.debug(
                "cli.replication_check_running",
                host=self.host,
                checked=status.tables_checked,
                total=status.tables_total,
            )
            time.sleep(pause)
            pause = min(pause * 2, max_poll)

    def start_replication_check(
        self, timeout: float | None = None
    ) -> parsers.ReplicationCheckStarted:
        """``utils dbreplication status`` (on the publisher): starts a new replication status
        check in the background; ``dbreplication_runtimestate`` then shows its progress."""
        return parsers.parse_dbreplication_status(self.run("utils dbreplication status", timeout))

    def timezone(self) -> str | None:
        """``show timezone config``: the node's IANA zone, None if it names none."""
        return parsers.parse_timezone_config(self.run("show timezone config"))

    def backup_status(self) -> parsers.BackupStatus:
        """``utils disaster_recovery status backup``: the cluster's last DRS backup."""
        return parsers.parse_backup_status(self.run("utils disaster_recovery status backup"))

    def network_cluster(self) -> parsers.NetworkCluster:
        return parsers.parse_network_cluster(self.run("show network cluster"))

    def status(self) -> parsers.SystemStatus:
        return parsers.parse_show_status(self.run("show status"))

    def ntp_status(self) -> parsers.NtpStatus:
        return parsers.parse_ntp_status(self.run("utils ntp status"))

    def install_history(self) -> list[parsers.HistoryEntry]:
        return parsers.parse_system_history(self.run("file view install system-history.log"))

    def myself(self) -> parsers.Myself:
        return parsers.parse_show_myself(self.run("show myself"))
