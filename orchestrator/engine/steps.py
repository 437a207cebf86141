"""Executors for one step on one node, each a small state machine over the journal.

Every executor writes the state it is about to enter *before* acting
(``StepContext.mark``), and on resume reads the live cluster wherever the journal cannot
know (a reboot requested but not confirmed, an install cut off by a dropped session), so
no node is installed or restarted twice. States are ``engine.states.StepState``; what
each state journals beside it is declared there (``InstallDetail``, ``RebootDetail``,
``ServiceRestartDetail``).

The run (``engine/rollout.py``): ``running`` -> ``completed`` | ``failed`` |
``paused_window`` | ``interrupted``; stages ``stage/<name>`` and gates ``gate/<name>``
go ``started`` -> ``done``.

install (``run_install``)::

    checking -> done (the option is listed already)
             -> waiting_for_running_install -> done | failed
             -> requested -> [session_lost -> wait for the background install]
                          -> [took_over_wizard] -> done | failed

reboot (``run_reboot``)::

    checking -> skipped (booted after the pack's install: ``cucm/pickup.py``)
             -> requested -> down -> booted -> waiting_for_services -> services_up -> done
    resume from requested: a newer boot, refused connections or stopping services mean
    the request was taken; otherwise it is sent again. Never twice.

service restarts (``run_service_restarts``), per service::

    service_restart_requested -> service_restarted | service_skipped (started after the
    install: Control Center's StartTime, else the last boot)
    then waiting_for_services -> services_up -> done

gates: ``waiting_for_replication`` -> ``replicated``; a timeout anywhere -> ``failed``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn, cast

import structlog

from orchestrator import logs
from orchestrator.config.estimates import Estimates
from orchestrator.cucm import services as services_rule
from orchestrator.cucm.pickup import after_install, started_since
from orchestrator.cucm.release import cop_base_name
from orchestrator.cucm.texts import STUCK_FRAMEWORK_REMEDY
from orchestrator.engine.gateway import ClusterGateway, InstallRequest, ServiceState
from orchestrator.engine.journal import JournalStore, StepRecord
from orchestrator.engine.states import (
    InstallDetail,
    InstallOutcome,
    InstallResult,
    RebootDetail,
    ServiceRestartDetail,
    StepState,
)
from orchestrator.engine.waits import NotYet, PollPolicy, WaitTimeout, wait_until
from orchestrator.files import make_dirs, open_private

log = structlog.get_logger(__name__)


class StepFailed(Exception):
    def __init__(
        self, node: str | None, step: str, message: str, hint: str = "", *, precheck: bool = False
    ) -> None:
        super().__init__(message)
        self.node = node
        self.step = step
        self.message = message
        self.hint = hint
        self.precheck = precheck  # nothing was changed: the cluster was not ready


@dataclass(frozen=True)
class StepTimeouts:
    install: float = 3600.0
    reboot: float = 1800.0
    services: float = 1800.0
    replication: float = 7200.0


@dataclass
class StepContext:
    run_id: str
    journal: JournalStore
    gateway: ClusterGateway
    timeouts: StepTimeouts
    poll: PollPolicy
    # how long phases take on this cluster (the plan's): when polling starts in earnest
    estimates: Estimates = field(default_factory=Estimates)
    # errors a probe may raise while a node is rebooting (connection refused, ...)
    transient: tuple[type[BaseException], ...] = ()
    progress: Callable[[str, str], None] = lambda node, text: None
    previous: dict[str, StepRecord] = field(default_factory=dict)
    # the run folder's transcripts/ (None: not kept): each node's install dialog, which
    # Cisco TAC asks for
    transcripts: Path | None = None

    def mark(self, step: str, node: str | None, state: StepState, **detail: object) -> None:
        """Journal that ``step`` on ``node`` enters ``state``; called *before* the action
        the state announces. This is the invariant resume relies on: the journal is
        never behind the cluster, so a run killed at any point (SIGKILL included) finds
        in the journal at least everything it did, and at most one announced action it
        may or may not have done, which the executor then reads back from the node.
        The write is fsynced; if it fails (JournalWriteFailed) nothing is done."""
        self.journal.write(self.run_id, state, step=step, node=node, **detail)
        log.info("step", run=self.run_id, step=step, node=node, state=state, **detail)
        if node:
            text = state.replace("_", " ")
            service = detail.get("service") or detail.get("requested_service")
            self.progress(node, f"{text}: {service}" if service else text)

    def prior(self, step: str) -> StepRecord | None:
        return self.previous.get(step)


def _has_option(options: list[str], file_name: str) -> bool:
    wanted = cop_base_name(file_name)
    return any(cop_base_name(option) == wanted for option in options)


# ----- install -----------------------------------------------------------------------

TOOK_OVER_WIZARD = StepState.TOOK_OVER_WIZARD  # another session's wizard was taken over
TOOK_OVER_MESSAGE = (
    "another session's open install wizard was taken over (Assume control: yes), as "
    "install.take_over_held_wizard allows"
)


def run_install(ctx: StepContext, step: str, node: str, request: InstallRequest) -> InstallResult:
    """Install the COP (or each of several, in order) on ``node``; returns the outcome
    (installed / already_installed). Between COPs the step journals ``cop_installed``,
    never ``done``: a resume goes on with the next COP, re-reading what is listed."""
    requests = request.each_cop()
    outcomes: list[InstallResult] = []
    for index, one in enumerate(requests):
        last = index == len(requests) - 1
        # A step of several COPs names the COP on each entry; one COP journals as before.
        tag = {"file": one.file} if len(requests) > 1 else {}
        done = StepState.DONE if last else StepState.COP_INSTALLED
        outcomes.append(_install_one(ctx, step, node, one, done, tag))
    if InstallResult.INSTALLED in outcomes:
        return InstallResult.INSTALLED
    return InstallResult.ALREADY_INSTALLED


def _install_one(
    ctx: StepContext,
    step: str,
    node: str,
    request: InstallRequest,
    done: StepState,
    tag: dict[str, str],
) -> InstallResult:
    gateway = ctx.gateway
    ctx.mark(step, node, StepState.CHECKING, **tag)
    if _has_option(gateway.installed_options(node), request.file):
        prior = ctx.prior(step)
        asked = prior is not None and "requested_at" in cast(InstallDetail, prior.detail)
        outcome = InstallResult.INSTALLED if asked else InstallResult.ALREADY_INSTALLED
        ctx.mark(step, node, done, outcome=outcome, **tag)
        return outcome
    if gateway.upgrade_status(node) == "Running":
        # A previous session (ours, cut off, or another admin's) is installing.
        ctx.mark(step, node, StepState.WAITING_FOR_RUNNING_INSTALL)
        return _await_background_install(ctx, step, node, request, done, tag)
    ctx.mark(step, node, StepState.REQUESTED, requested_at=time.time(), file=request.file)
    try:
        report = gateway.install(node, request, lambda phase: ctx.progress(node, phase))
    except ctx.transient as exc:
        ctx.mark(step, node, StepState.SESSION_LOST, error=str(exc))
        return _await_background_install(ctx, step, node, request, done, tag)
    kept = _keep_transcript(ctx, node, report.transcript)
    if report.took_over_wizard:
        log.warning("install.took_over_wizard", run=ctx.run_id, step=step, node=node)
        ctx.mark(step, node, StepState.TOOK_OVER_WIZARD, took_over_wizard=TOOK_OVER_MESSAGE)
    # On a resume, the killed run's install may have finished (or still run) in the
    # background between our check and the wizard's file list: judge the node, not the
    # wizard's words.
    if report.outcome in _PERHAPS_INSTALLED_ELSEWHERE and gateway.upgrade_status(node) == "Running":
        ctx.mark(step, node, StepState.WAITING_FOR_RUNNING_INSTALL)
        return _await_background_install(ctx, step, node, request, done, tag)
    if report.outcome == InstallOutcome.INSTALLED or (
        report.outcome in _PERHAPS_INSTALLED_ELSEWHERE
        and _has_option(gateway.installed_options(node), request.file)
    ):
        if not _has_option(gateway.installed_options(node), request.file):
            _fail(
                ctx,
                step,
                node,
                "the installer reported success but `show version active` does not list the option",
                "check the upgrade log on the node",
            )
        ctx.mark(
            step,
            node,
            done,
            outcome=InstallResult.INSTALLED,
            checksum=report.checksum,
            log=report.log,
            **tag,
            **kept,
        )
        return InstallResult.INSTALLED
    if (
        report.outcome == InstallOutcome.ALREADY_IN_PROGRESS
        and gateway.upgrade_status(node) != "Running"
    ):
        _fail(
            ctx,
            step,
            node,
            "the node's upgrade framework is stuck: the wizard answers An upgrade is already "
            "in progress, yet utils system upgrade status shows no install running (an "
            "install cut off with its session leaves it so)",
            STUCK_FRAMEWORK_REMEDY,
            outcome=InstallOutcome.FRAMEWORK_STUCK,
        )
    hint = _INSTALL_HINTS.get(report.outcome, "read the message and the node's upgrade log")
    # an unexpected question: the operator reads what the node asked in the journal too
    unexpected = report.outcome == InstallOutcome.UNKNOWN_PROMPT and report.transcript
    extra = {"transcript": report.transcript} if unexpected else {}
    _fail(
        ctx,
        step,
        node,
        f"install {report.outcome}: {report.message}",
        hint,
        outcome=report.outcome,
        checksum=report.checksum,
        **kept,
        **extra,
    )


def _keep_transcript(ctx: StepContext, node: str, transcript: str) -> dict[str, str]:
    """Append the node's install dialog (masked by the driver, scrubbed again here) to
    ``transcripts/<node>-install.txt``; journaled as ``transcript_file`` (relative to the
    run folder). A file that cannot be written is logged, never fails the install."""
    if ctx.transcripts is None or not transcript:
        return {}
    path = ctx.transcripts / f"{node}-install.txt"
    try:
        make_dirs(path.parent)
        with open_private(path, "a") as handle:
            stamp = datetime.now(UTC).isoformat(timespec="seconds")
            handle.write(f"===== {node}: install dialog, {stamp} (run {ctx.run_id}) =====\n")
            handle.write(logs.REDACTOR.scrub(transcript).rstrip("\n") + "\n")
    except OSError as exc:
        log.warning("transcript.not_written", node=node, error=str(exc))
        return {}
    return {"transcript_file": f"{path.parent.name}/{path.name}"}


# The wizard offers no file (or refuses a second install) when the pack is already
# installed or being installed by another session.
_PERHAPS_INSTALLED_ELSEWHERE = frozenset(
    {
        InstallOutcome.NOT_OFFERED,
        InstallOutcome.NO_VALID_OPTIONS,
        InstallOutcome.ALREADY_IN_PROGRESS,
    }
)

_INSTALL_HINTS: dict[str, str] = {
    InstallOutcome.CHECKSUM_MISMATCH: (
        "the file on the SFTP server is not the one the playbook names: "
        "compare its MD5 with the playbook's cop.md5; nothing was installed"
    ),
    InstallOutcome.BAD_CREDENTIALS: (
        "check the SFTP username and the password reference in the playbook"
    ),
    InstallOutcome.BAD_DIRECTORY: "check sftp.directory in the playbook",
    InstallOutcome.SERVER_UNREACHABLE: (
        "check sftp.host/port and that the node can reach the SFTP server"
    ),
    InstallOutcome.NO_VALID_OPTIONS: (
        "the file is missing from the directory, not valid for this release, or already installed"
    ),
    InstallOutcome.NOT_OFFERED: "the file is missing from the directory, or already installed",
    InstallOutcome.DISK_SPACE: (
        "free space in the common partition (Log Partition Monitoring / CLI)"
    ),
    InstallOutcome.INVALID_FILE: (
        "install ciscocm.enable-sha512sum-2021-signing-key-v1.0.cop.sgn first "
        "for .sha512 files on this release"
    ),
    InstallOutcome.UNSAFE_VALUE: (
        "a playbook value holds a control character; fix it (nothing was typed on the node)"
    ),
    InstallOutcome.LOCKED: (
        "another session holds the node's install wizard: that session should leave "
        "it with q (or run `utils system upgrade cancel` if it is stale), then resume; or set "
        "install.take_over_held_wizard: true in the playbook"
    ),
    InstallOutcome.ALREADY_IN_PROGRESS: (
        "another upgrade runs on the node; wait for it or cancel it"
    ),
    InstallOutcome.FAILED: "read the node's upgrade log (utils system upgrade status)",
    InstallOutcome.UNKNOWN_PROMPT: (
        "the node asked a question devpack does not expect (reference 9.5): "
        "nothing was answered, the wizard was left and cancelled; the dialog (passwords masked) "
        "is saved with this failure in the journal and the run folder's log.jsonl; find out "
        "why the node asks it, then resume"
    ),
}


def _await_background_install(
    ctx: StepContext,
    step: str,
    node: str,
    request: InstallRequest,
    done: StepState,
    tag: dict[str, str],
) -> InstallResult:
    def finished() -> str:
        status = ctx.gateway.upgrade_status(node)
        if status == "Running":
            raise NotYet("install still running")
        return status

    status = _wait(ctx, step, node, "the install to finish", finished, ctx.timeouts.install)
    if _has_option(ctx.gateway.installed_options(node), request.file):
        ctx.mark(step, node, done, outcome=InstallResult.INSTALLED, **tag)
        return InstallResult.INSTALLED
    if ctx.gateway.wizard_state(node) == "in_progress":
        # reference 9.5: an interrupted COP install can leave the framework stuck until
        # a reboot; installing again would only fail, so say so instead of retrying
        _fail(
            ctx,
            step,
            node,
            f"the install was cut off with its session and the node's upgrade framework is "
            f"stuck (utils system upgrade status: {status}; the wizard answers An upgrade is "
            "already in progress)",
            STUCK_FRAMEWORK_REMEDY,
            outcome=InstallOutcome.FRAMEWORK_STUCK,
        )
    _fail(
        ctx,
        step,
        node,
        f"install ended with status {status} and the option is not listed",
        "read the node's upgrade log (utils system upgrade status)",
        outcome=InstallOutcome.FAILED,
    )


# ----- reboot ------------------------------------------------------------------------


def run_reboot(
    ctx: StepContext, step: str, node: str, expected: set[str], cop_file: str | None = None
) -> None:
    """Reboot ``node`` and block until it is back: SSH, services, replication."""
    prior = ctx.prior(step)
    seen = {entry.state for entry in prior.history} if prior else set()
    requested_at: float | None
    if StepState.REQUESTED not in seen:
        # Never asked: a fresh step, or one killed or failed (node unreachable) before
        # the request. Its last state may be "failed": the node's boot is not a new one.
        ctx.mark(step, node, StepState.CHECKING)
        boot_before = ctx.gateway.last_boot(node)
        installed = ctx.gateway.install_time(node, cop_file) if cop_file else None
        if installed is not None and after_install(installed, boot_before):
            # Someone (another run, an admin) rebooted it after the install: the node has
            # picked the pack up, and a reboot now would only cost an outage.
            ctx.mark(
                step,
                node,
                StepState.SKIPPED,
                reason="rebooted after the install already",
                installed=installed,
                boot=boot_before,
            )
            return
        requested_at = _request_reboot(ctx, step, node, boot_before)
    else:
        detail = cast(RebootDetail, prior.detail) if prior else RebootDetail()
        boot_before = detail.get("boot_before")
        requested_at = detail.get("requested_at")
        confirmed = seen & {
            StepState.DOWN,
            StepState.BOOTED,
            StepState.WAITING_FOR_SERVICES,
            StepState.SERVICES_UP,
        }
        if not confirmed and not _reboot_under_way(ctx, node, boot_before):
            log.info("reboot request was not taken, sending it again", node=node)
            requested_at = _request_reboot(ctx, step, node, boot_before)
    _await_back(ctx, step, node, boot_before, expected, requested_at)


def _request_reboot(ctx: StepContext, step: str, node: str, boot_before: float | None) -> float:
    """Ask for the reboot; returns when it was asked (epoch seconds, as journaled)."""
    requested_at = time.time()
    ctx.mark(step, node, StepState.REQUESTED, boot_before=boot_before, requested_at=requested_at)
    ctx.gateway.request_reboot(node)
    ctx.mark(step, node, StepState.DOWN)
    return requested_at


def _reboot_under_way(ctx: StepContext, node: str, boot_before: float | None) -> bool:
    """After a kill between "requested" and "down": did the node take the request?"""
    try:
        boot = ctx.gateway.last_boot(node)
        if boot is not None and boot_before is not None and boot > boot_before:
            return True
        services = ctx.gateway.services(node)
    except ctx.transient:
        return True  # refusing connections: it is rebooting
    return any(s.state in ("STOPPING", "STOPPED") and s.counts_as_down for s in services)


def _await_back(
    ctx: StepContext,
    step: str,
    node: str,
    boot_before: float | None,
    expected: set[str],
    requested_at: float | None = None,
) -> None:
    gateway = ctx.gateway
    # the plan's reboot estimate counts from the request (a resumed run's is older)
    since = time.time() - requested_at if requested_at else 0.0
    reboot_left = max(0.0, ctx.estimates.reboot - since)

    def booted() -> float:
        # One command per poll: reading the boot line is also the proof SSH answers.
        try:
            boot = gateway.last_boot(node)
        except ctx.transient as exc:
            raise NotYet(f"SSH does not answer yet ({exc})") from None
        if boot is None or (boot_before is not None and boot <= boot_before):
            raise NotYet("the node has not rebooted yet")
        return boot

    boot = _wait(
        ctx,
        step,
        node,
        "the node to answer SSH after reboot",
        booted,
        ctx.timeouts.reboot,
        expected=reboot_left,
    )
    ctx.mark(step, node, StepState.BOOTED, boot_time=boot)
    # services are polled from the boot: how soon they follow SSH varies too much
    wait_services(ctx, step, node, expected)
    ctx.mark(step, node, StepState.DONE)


# ----- service restarts --------------------------------------------------------------


def run_service_restarts(
    ctx: StepContext,
    step: str,
    node: str,
    services: list[str],
    expected: set[str],
    cop_file: str | None = None,
) -> None:
    """Restart ``services`` on ``node`` one after another, then wait until every
    ``expected`` service is STARTED (a service-restart release's alternative to a
    reboot).

    Each service is journaled ``service_restart_requested`` (with its StartTime then)
    before the command and ``service_restarted`` after it; the ``restarted`` list is
    what a resume never restarts again. A service that started after the pack's install
    already (``cucm/pickup.py``'s rule: Control Center's StartTime, else the last boot)
    or that is deactivated is ``service_skipped``. After a kill between request and
    confirmation, the node is asked whether the restart happened (stopping/starting, or
    a newer StartTime) before asking again."""
    prior = ctx.prior(step)
    journaled = cast(ServiceRestartDetail, prior.detail) if prior else ServiceRestartDetail()
    done: list[str] = list(journaled.get("restarted", []))
    installed = ctx.gateway.install_time(node, cop_file) if cop_file else None
    for service in services:
        if service in done:
            continue
        requested = journaled.get("requested_service")
        if (
            requested != service
            and installed is not None
            and _picked_up(ctx, node, service, installed)
        ):
            # restarted after the install already (another run, an admin): not again
            ctx.mark(
                step,
                node,
                StepState.SERVICE_SKIPPED,
                service=service,
                reason="restarted after the install already",
            )
            done.append(service)
            continue
        current = _service(ctx, node, service)
        if current is None or services_rule.is_deliberate(current.reason):
            ctx.mark(
                step,
                node,
                StepState.SERVICE_SKIPPED,
                service=service,
                reason=(current.reason if current else "not present"),
            )
            done.append(service)
            continue
        if requested == service and _restart_taken(ctx, node, service, current, prior):
            log.info("service restart already happened", node=node, service=service)
        else:
            ctx.mark(
                step,
                node,
                StepState.SERVICE_RESTART_REQUESTED,
                requested_service=service,
                start_before=ctx.gateway.service_start_time(node, service),
            )
            ctx.gateway.restart_service(node, service)
        done.append(service)
        ctx.mark(step, node, StepState.SERVICE_RESTARTED, restarted=list(done))
    wait_services(ctx, step, node, expected)
    ctx.mark(step, node, StepState.DONE, restarted=done)


def _picked_up(ctx: StepContext, node: str, service: str, installed: float) -> bool:
    """Started after the install already (the pickup rule). When Control Center cannot
    tell, the boot stands in for a running service (read only then, to spare CLI
    commands); a stopped one is restarted, which starts it."""
    started = ctx.gateway.service_start_time(node, service)
    boot = None
    if started is None:
        current = _service(ctx, node, service)
        if current is not None and current.state == "STARTED":
            boot = ctx.gateway.last_boot(node)
    since, _ = started_since(started, boot)
    return after_install(installed, since)


def _restart_taken(
    ctx: StepContext, node: str, service: str, current: ServiceState, prior: StepRecord | None
) -> bool:
    """After a kill between "service_restart_requested" and "service_restarted": did the
    node take the restart? Under way (stopping/starting), or started since we asked."""
    if current.state in ("STOPPING", "STARTING"):
        return True
    before = cast(ServiceRestartDetail, prior.detail).get("start_before") if prior else None
    now = ctx.gateway.service_start_time(node, service)
    return before is not None and now is not None and now > before


def _service(ctx: StepContext, node: str, name: str) -> ServiceState | None:
    return next((s for s in ctx.gateway.services(node) if s.name == name), None)


# ----- gates -------------------------------------------------------------------------


def wait_services(ctx: StepContext, step: str, node: str, expected: set[str]) -> None:
    ctx.mark(step, node, StepState.WAITING_FOR_SERVICES)

    def all_started() -> None:
        # Judged against the state before the restart (cucm.services): a service that
        # ran before must run again, even one back as "Commanded Out of Service".
        problems = services_rule.judge(ctx.gateway.services(node), expected)
        if problems:
            raise NotYet("not STARTED: " + ", ".join(p.describe() for p in problems))

    _wait(
        ctx,
        step,
        node,
        "services to be STARTED",
        all_started,
        ctx.timeouts.services,
        hint=_SERVICES_HINT.format(node=node),
    )
    ctx.mark(step, node, StepState.SERVICES_UP)


def wait_replication(ctx: StepContext, step: str, timeout: float) -> None:
    """Cisco: database replication must be 2 on every node before the next change."""
    # A fresh gate follows its wave's reboots: replication takes the plan's settle time
    # to reach 2. A resumed one may be nearly over: looked at from the start.
    settle = 0.0 if ctx.prior(step) else ctx.estimates.replication_settle
    ctx.mark(step, None, StepState.WAITING_FOR_REPLICATION)

    def all_two() -> None:
        states = ctx.gateway.replication()
        bad = {name: state for name, state in states.items() if state != 2}
        if bad or not states:
            shown = ", ".join(f"{n}={s}" for n, s in sorted(bad.items())) or "no rows"
            raise NotYet(f"replication not 2 everywhere: {shown}")

    _wait(
        ctx,
        step,
        None,
        "database replication state 2 on every node",
        all_two,
        timeout,
        expected=settle,
    )
    ctx.mark(step, None, StepState.REPLICATED)


def _wait(
    ctx: StepContext,
    step: str,
    node: str | None,
    what: str,
    probe: Callable[[], object],
    timeout: float,
    hint: str | None = None,
    expected: float = 0.0,
) -> Any:
    try:
        return wait_until(what, probe, timeout, ctx.poll, retry_on=ctx.transient, expected=expected)
    except WaitTimeout as exc:
        _fail(ctx, step, node, str(exc), hint or _TIMEOUT_HINT, outcome=InstallOutcome.TIMEOUT)


_SERVICES_HINT = (
    "a service that ran before the restart is not running on {node}: one back as "
    "'Commanded Out of Service' does not start by itself (Cisco TAC), start it with "
    "`utils service start NAME` on {node}; for any other reason read its logs; when every "
    "service is STARTED, resume the run"
)
_TIMEOUT_HINT = (
    "check the node on its console or CLI; when it is healthy, resume the run "
    "(raise the timeout in the playbook if the node is just slow)"
)


def _fail(
    ctx: StepContext, step: str, node: str | None, message: str, hint: str, **detail: object
) -> NoReturn:
    """Journal the failure, then stop the step (always raises StepFailed)."""
    ctx.mark(step, node, StepState.FAILED, message=message, hint=hint, **detail)
    raise StepFailed(node, step, message, hint)
