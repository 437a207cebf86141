"""The install executor: one or several COPs on one node (state machine: ``engine/steps.py``)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import cast

import structlog

from orchestrator import logs
from orchestrator.cucm.release import cop_base_name
from orchestrator.cucm.texts import STUCK_FRAMEWORK_REMEDY
from orchestrator.engine.gateway import InstallRequest
from orchestrator.engine.states import InstallDetail, InstallOutcome, InstallResult, StepState
from orchestrator.engine.steps import StepContext, fail_step, wait_step
from orchestrator.engine.waits import NotYet
from orchestrator.files import make_dirs, open_private

log = structlog.get_logger(__name__)


def _has_option(options: list[str], file_name: str) -> bool:
    wanted = cop_base_name(file_name)
    return any(cop_base_name(option) == wanted for option in options)


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
            fail_step(
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
        fail_step(
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
    fail_step(
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

    status = wait_step(ctx, step, node, "the install to finish", finished, ctx.timeouts.install)
    if _has_option(ctx.gateway.installed_options(node), request.file):
        ctx.mark(step, node, done, outcome=InstallResult.INSTALLED, **tag)
        return InstallResult.INSTALLED
    if ctx.gateway.wizard_state(node) == "in_progress":
        # reference 9.5: an interrupted COP install can leave the framework stuck until
        # a reboot; installing again would only fail, so say so instead of retrying
        fail_step(
            ctx,
            step,
            node,
            f"the install was cut off with its session and the node's upgrade framework is "
            f"stuck (utils system upgrade status: {status}; the wizard answers An upgrade is "
            "already in progress)",
            STUCK_FRAMEWORK_REMEDY,
            outcome=InstallOutcome.FRAMEWORK_STUCK,
        )
    fail_step(
        ctx,
        step,
        node,
        f"install ended with status {status} and the option is not listed",
        "read the node's upgrade log (utils system upgrade status)",
        outcome=InstallOutcome.FAILED,
    )
