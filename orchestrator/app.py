"""Use cases behind the CLI: load inputs, discover, plan, run, resume.

Everything a user could get wrong surfaces as ``UserError`` (or ``ConfigError``) with
what is wrong and what to do; the CLI turns them into a message and an exit code.
"""

from __future__ import annotations

import errno
import os
import secrets as token
import shlex
import threading
import time
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from fnmatch import fnmatchcase
from pathlib import Path

import structlog

from orchestrator import logs
from orchestrator.access import ClusterAccess, load_access, login_error, open_gateway, open_pool
from orchestrator.audit.gather import AuditInputs
from orchestrator.config.errors import Invalid
from orchestrator.config.fields import check_safe_name
from orchestrator.config.loader import load_playbook
from orchestrator.config.playbook import BackupAction, Playbook, window_duration, window_now
from orchestrator.config.secrets import Prompter, Secret
from orchestrator.config.sftp_port import check_sftp_port
from orchestrator.drivers.sftp.server import Download
from orchestrator.drivers.soap.errors import SoapAuthError
from orchestrator.drivers.ssh.algorithms import legacy_notes
from orchestrator.drivers.ssh.errors import DriverError
from orchestrator.engine import journals
from orchestrator.engine.cluster import TRANSIENT, DriverGateway
from orchestrator.engine.discovery import Discovery, discover
from orchestrator.engine.gateway import CopFile, InstallRequest
from orchestrator.engine.journal import JournalStore, JournalWriteFailed
from orchestrator.engine.lock import LOCK_DIR_ENV, ClusterLocked
from orchestrator.engine.prechecks import PrecheckPolicy
from orchestrator.engine.rollout import (
    RESTART_STAGES,
    MaintenanceWindow,
    ProgressView,
    Rollout,
    RolloutSettings,
    RunOutcome,
)
from orchestrator.engine.rollout import (
    resume_command as rollout_resume_command,
)
from orchestrator.engine.steps import StepTimeouts
from orchestrator.engine.waits import PollPolicy
from orchestrator.errors import (
    EXIT_FAILED,
    EXIT_HELD,
    EXIT_INPUT,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_PAUSED,
    EXIT_PRECHECK,
    EXIT_UNREACHABLE,
    UserError,
)
from orchestrator.files import check_writable_dir
from orchestrator.fingerprint import Fingerprint, fingerprint_changes, run_fingerprint
from orchestrator.notify import Event, Notice, Notifier
from orchestrator.planning.plan import Plan, SshAlgorithms
from orchestrator.planning.planner import build_plan
from orchestrator.report.changes import BEFORE_STEP, journal_detail
from orchestrator.report.schema import ClusterState
from orchestrator.source import CopSource, cop_source
from orchestrator.ticket import RECORDED, TicketFlags, window_text
from orchestrator.ticket import record as record_ticket
from orchestrator.tls.preflight import require_verified_certificates

log = structlog.get_logger(__name__)

__all__ = [
    "EXIT_FAILED",
    "EXIT_HELD",
    "EXIT_INPUT",
    "EXIT_LOCKED",
    "EXIT_OK",
    "EXIT_PAUSED",
    "EXIT_PRECHECK",
    "EXIT_UNREACHABLE",
    "ClusterAccess",
    "Inputs",
    "UserError",
    "load_access",
    "load_inputs",
    "open_gateway",
    "open_pool",
]


@dataclass
class Inputs(ClusterAccess):
    """What a rollout needs: the cluster access plus the playbook and its SFTP secret."""

    playbook_path: Path
    playbook: Playbook
    sftp_password: Secret
    source: CopSource  # where the nodes fetch the COPs (your server, or devpack's)
    notifier: Notifier = field(default_factory=Notifier)


def audit_inputs(inputs: Inputs) -> AuditInputs:
    """What the post-run audit (and ``report --audit``) needs of a run's inputs."""
    access = {item.name: getattr(inputs, item.name) for item in fields(ClusterAccess)}
    return AuditInputs(**access, playbook=inputs.playbook)


def state_dir(override: Path | None = None) -> Path:
    return override or Path(os.environ.get("DEVPACK_STATE_DIR", ".devpack"))


def load_inputs(
    inventory_path: Path, playbook_path: Path, prompt: Prompter | None = None
) -> Inputs:
    playbook = load_playbook(playbook_path)
    access = load_access(inventory_path, prompt)
    check_sftp_port(playbook, playbook_path, access.inventory)
    source = cop_source(playbook, access.known_hosts, prompt, access.inventory.cluster)
    return Inputs(
        **vars(access),
        playbook_path=playbook_path,
        playbook=playbook,
        sftp_password=source.password,
        source=source,
        notifier=Notifier.from_playbook(playbook),
    )


def discover_cluster(inputs: Inputs, gateway: DriverGateway) -> Discovery:
    try:
        found = discover(gateway, inputs.inventory, inputs.playbook.main_cop.file_name)
        # every node's HTTPS certificate, for its DNS name, before anything relies on it
        require_verified_certificates(
            gateway, inputs.inventory, inputs.inventory_path, inputs.ca_bundle
        )
    except DriverError as exc:  # names the node, the inventory field and what to do
        raise login_error(inputs, exc) from exc
    if found.unknown_nodes:
        raise UserError(
            "the cluster has nodes the inventory does not list: " + ", ".join(found.unknown_nodes),
            "add them to the inventory: every node needs the device pack and a restart",
            EXIT_PRECHECK,
        )
    return found


def make_plan(inputs: Inputs, gateway: DriverGateway) -> tuple[Plan, Discovery]:
    found = discover_cluster(inputs, gateway)
    plan = build_plan(inputs.inventory, inputs.playbook, found.facts, inputs.playbook.estimates)
    if isinstance(found.axl_error, SoapAuthError):
        # not a note: the run's prechecks fail on it, so the operator must fix it first
        refused = str(found.axl_error)
        plan.notes.extend(note for note in found.notes if refused not in note)
        plan.warnings.append(application_login_warning(inputs, found.axl_error))
    else:
        plan.notes.extend(found.notes)
    record_ssh_algorithms(plan, gateway)
    return plan, found


def record_ssh_algorithms(plan: Plan, gateway: DriverGateway) -> None:
    """What each node's SSH negotiated, into the plan; notes naming the legacy ones."""
    sessions = gateway.ssh_algorithms
    for name in sorted(sessions):
        used = sessions[name]
        plan.ssh.append(SshAlgorithms(node=name, **asdict(used), legacy=used.legacy))
    plan.notes.extend(legacy_notes(sessions))


def application_login_warning(access: ClusterAccess, exc: SoapAuthError) -> str:
    login = access.inventory.credentials.application
    return (
        f"AXL on the publisher {access.inventory.publisher.label} refused the application "
        f"user {login.username!r} ({exc.message}); a run stops at its prechecks until this "
        f"is fixed: check credentials.application.password in {access.inventory_path} "
        f"(read from {login.password.reference}), credentials.application.username and "
        "that the user has the Standard AXL API Access and Serviceability roles"
    )


def install_request(inputs: Inputs) -> InstallRequest:
    pb = inputs.playbook
    source = inputs.source
    cops = pb.all_cops
    return InstallRequest(
        file=pb.main_cop.file_name,
        md5=pb.main_cop.md5,
        sftp_host=source.host,
        sftp_port=source.port,
        directory=source.directory,
        username=source.username,
        password=source.password,
        timeout=float(pb.timeouts.install),
        take_over_held_wizard=pb.install.take_over_held_wizard,
        cops=tuple(CopFile(c.file_name, c.md5) for c in cops) if len(cops) > 1 else (),
    )


def largest_cop_mb(playbook: Playbook) -> int | None:
    """What the free-space precheck asks room for: the wizard downloads one COP at a
    time; unknown if any size is (then a large device pack is assumed)."""
    sizes = [c.size_mb for c in playbook.all_cops]
    return None if None in sizes else max(s for s in sizes if s is not None)


STOP_AFTER = ("install",)


def hold_points(plan: Plan, playbook: Playbook, stop_after: str | None = None) -> dict[str, str]:
    """The stages of ``plan`` the run pauses before, each with why (the pause's message):
    the playbook's ``approvals``, and with ``--stop-after install`` (or the playbook's
    ``stop_after``) the first restart stage: the installs and their verify come first."""
    holds = {
        stage.name: "for approval (playbook approvals)"
        for stage in plan.stages
        if any(fnmatchcase(stage.name, pattern) for pattern in playbook.approvals)
    }
    source = "--stop-after install" if stop_after else "playbook stop_after: install"
    if (stop_after or playbook.stop_after) == "install":
        first = next((s for s in plan.stages if s.kind in RESTART_STAGES), None)
        if first is not None:
            holds[first.name] = f"after the installs ({source})"
    return holds


def check_stop_after(value: str | None) -> str | None:
    if value is not None and value not in STOP_AFTER:
        raise UserError(
            f"--stop-after {value!r} is not a point devpack can stop after",
            "--stop-after install (ends after the installs and their verification)",
        )
    return value


def rollout_settings(inputs: Inputs, window: MaintenanceWindow | None) -> RolloutSettings:
    pb = inputs.playbook
    if window is None and pb.window is not None:
        window = MaintenanceWindow(pb.window.start, pb.window.end)
    return RolloutSettings(
        install=install_request(inputs),
        timeouts=StepTimeouts(
            install=float(pb.timeouts.install),
            reboot=float(pb.timeouts.reboot),
            services=float(pb.timeouts.services),
            replication=float(pb.timeouts.replication),
        ),
        prechecks=PrecheckPolicy(
            cop_size_mb=largest_cop_mb(pb),
            take_over_held_wizard=pb.install.take_over_held_wizard,
            source=inputs.source.problems,
            backup_max_age_hours=pb.backup.max_age_hours,
            refuse_without_recent_backup=pb.backup.when_missing_or_old is BackupAction.REFUSE,
        ),
        poll=PollPolicy(
            first=pb.polling.first, ceiling=pb.polling.max, quiet_share=pb.polling.quiet_share
        ),
        window=window,
        transient=TRANSIENT,
        start_out_of_service=pb.restart.start_services_out_of_service,
    )


def _window_end(start: datetime, text: str) -> datetime:
    """END as an ISO 8601 time, or as a duration from START (``PT4H``, ``PT3H30M``)."""
    duration = window_duration(text)
    return start + duration if duration is not None else datetime.fromisoformat(text)


def parse_window(text: str, now: datetime | None = None) -> MaintenanceWindow:
    """``START/END`` in ISO 8601; START may be ``now`` and END a duration (``PT4H``),
    so a scheduler (cron, a systemd timer) can say "from now, for four hours"."""
    try:
        start_text, end_text = text.split("/", 1)
        if start_text.lower() == "now":
            start = (now or window_now()).replace(microsecond=0)
        else:
            start = datetime.fromisoformat(start_text)
        end = _window_end(start, end_text)
    except ValueError:
        raise UserError(
            f"--window {text!r} is not START/END in ISO 8601",
            "e.g. --window 2026-11-28T01:00+01:00/2026-11-28T05:00+01:00, or now/PT4H "
            "(from now, for four hours)",
        ) from None
    if start.tzinfo is None or end.tzinfo is None:
        raise UserError(f"--window {text!r} needs time zones", "add Z or an offset like +01:00")
    if end <= start:
        raise UserError(f"--window {text!r} ends before it starts")
    return MaintenanceWindow(start, end)


def new_run_id(cluster: str) -> str:
    return f"{cluster}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{token.token_hex(2)}"


MAX_RUN_ID = 128


def check_run_id(run_id: str) -> str:
    """A run id given on the command line (``--run-id``, ``resume``, ``status``): it names
    a folder under the state dir and goes into printed commands, so it is a safe name."""
    if not run_id:
        raise UserError("the run id is empty", "devpack status lists the runs")
    try:
        return check_safe_name(run_id, MAX_RUN_ID)
    except Invalid as exc:
        raise UserError(f"run id: {exc.message}", exc.hint or "") from None


def run_exists(states: Path, run_id: str) -> bool:
    """Is ``run_id`` journaled in ``states``? (False without a journal: nothing to open.)"""
    if not journals.has_journal(states):
        return False
    journal = journals.open_journal(states)
    try:
        return journal.run(run_id) is not None
    finally:
        journal.close()


def check_same_inputs(states: Path, run_id: str, inventory: Path, playbook: Path) -> None:
    """``run --run-id`` of an existing run continues it: only with the files it started
    with (their content is compared by the resume's fingerprint check)."""
    _, journaled_inventory, journaled_playbook = load_run(states, run_id)
    given = (inventory.resolve(), playbook.resolve())
    if given != (journaled_inventory.resolve(), journaled_playbook.resolve()):
        raise UserError(
            f"run {run_id} exists in {states} and was started with {journaled_inventory} "
            f"and {journaled_playbook}, not {inventory} and {playbook}",
            "give a new --run-id for a new run, or the run's own inventory and playbook "
            "to continue it",
            EXIT_PRECHECK,
        )


def run_folder(states: Path, run_id: str) -> Path:
    return states / "runs" / run_id


def check_state_dir(states: Path) -> None:
    """Before any network I/O: the state dir is a folder we can write (or can make),
    and a shared journal (``--journal``) is reachable and of a schema this devpack knows."""
    check_writable_dir(states, "--state-dir")
    if journals.journal_url() is not None:
        journals.open_journal(states).close()


def state_dir_options(states: Path) -> tuple[str, ...]:
    """``--state-dir DIR`` unless ``states`` is the default one a typed command finds."""
    if states.resolve() == state_dir().resolve():
        return ()
    return ("--state-dir", str(states))


def resume_command(run_id: str, states: Path, *options: str) -> str:
    """``devpack resume RUN_ID`` as it works when pasted into a shell: each word quoted,
    with a non-default --state-dir (or the resume would look in the wrong journal)."""
    return rollout_resume_command(run_id, *state_dir_options(states), *options)


def report_command(run_id: str, states: Path) -> str:
    return shlex.join(["devpack", "report", run_id, *state_dir_options(states)])


def execute(
    inputs: Inputs,
    plan: Plan,
    states: Path,
    progress: ProgressView,
    *,
    run_id: str | None = None,
    window: MaintenanceWindow | None = None,
    gateway: DriverGateway | None = None,
    stop: threading.Event | None = None,
    stop_after: str | None = None,
    ticket: TicketFlags | None = None,
    before: ClusterState | None = None,
) -> RunOutcome:
    """Run (or, with ``run_id`` of an existing run, resume) a plan under the cluster lock.

    ``ticket`` (change id, operator) is journaled with the run, or what a resume changes
    in it; ``before`` (the change report's before snapshot) with a new run.

    A resumed run must be given the inputs it was journaled with (same COP, source,
    models, nodes, strategy): else it refuses (exit 3) before any network I/O."""
    settings = rollout_settings(inputs, window)
    settings.stop = stop
    settings.hold_before = hold_points(plan, inputs.playbook, stop_after)
    ticket = ticket or TicketFlags()
    if settings.window is not None:  # the ticket lists the window of each start or resume
        ticket = replace(
            ticket,
            window=window_text(
                settings.window.start.isoformat(),
                settings.window.end.isoformat(),
                "--window" if window is not None else "playbook",
            ),
        )
    if settings.window and settings.window.end.timestamp() <= time.time():
        raise UserError(
            f"the maintenance window {settings.window.start.isoformat()} / "
            f"{settings.window.end.isoformat()} has already ended",
            "give the next window: --window START/END (ISO 8601 with a time zone)",
        )
    check_state_dir(states)
    journal = journals.open_journal(states)
    run_id = run_id or new_run_id(plan.cluster)
    settings.transcripts = run_folder(states, run_id) / "transcripts"
    held: list[journals.RunLock] = []
    try:
        for lock in cluster_locks(inputs, states):
            lock.acquire(run_id)
            held.append(lock)
        inputs.notifier.send(
            Notice(Event.START, plan.cluster, run_id, _start_text(journal, run_id, plan))
        )
        try:
            # devpack's own SFTP server (sftp.serve) lives while this run holds the lock
            with inputs.source.serving():
                return _execute_locked(
                    inputs,
                    plan,
                    states,
                    progress,
                    run_id,
                    settings,
                    journal,
                    gateway,
                    ticket,
                    before,
                )
        except UserError as exc:  # stopped by the state dir (full disk...): say so
            inputs.notifier.send(
                Notice(Event.FAILURE, plan.cluster, run_id, f"{exc.message} ({exc.hint})")
            )
            raise
    except (ClusterLocked, OSError) as exc:
        raise lock_error(exc, states) from None
    finally:
        for lock in reversed(held):
            lock.release()
        journal.close()


def cluster_locks(inputs: ClusterAccess, states: Path) -> list[journals.RunLock]:
    """The locks a run holds: by cluster (in the state dir, or the shared journal's) and
    by publisher (see ``journals.run_locks``)."""
    publisher = inputs.inventory.publisher
    return journals.run_locks(
        states, inputs.inventory.cluster, publisher.address, publisher.ssh_port
    )


def lock_error(exc: BaseException, states: Path) -> BaseException:
    """A lock another run holds (or cannot be taken) as the user's error (exit 5)."""
    if isinstance(exc, ClusterLocked):
        status = shlex.join(["devpack", "status", *state_dir_options(states)])
        return UserError(str(exc), f"{status} shows the runs", EXIT_LOCKED)
    if isinstance(exc, OSError) and exc.filename and str(exc.filename).endswith(".lock"):
        return UserError(
            f"cannot take the cluster lock {exc.filename}: {exc.strerror}",
            f"fix that folder's permissions, or set {LOCK_DIR_ENV} to a folder every "
            "operator of this host can write",
            EXIT_LOCKED,
        )
    return exc


def check_unlocked(inputs: ClusterAccess, states: Path) -> None:
    """Before discovery and the plan (minutes of logins and a page of output): refuse at
    once if another run holds the cluster. Taken and let go; the run takes them for good
    once planned (and is refused then if someone came in between)."""
    held: list[journals.RunLock] = []
    try:
        for lock in cluster_locks(inputs, states):
            lock.acquire("probe")
            held.append(lock)
    except (ClusterLocked, OSError) as exc:
        raise lock_error(exc, states) from None
    finally:
        for lock in reversed(held):
            lock.release()


def _start_text(journal: JournalStore, run_id: str, plan: Plan) -> str:
    if journal.run(run_id) is None:
        return f"starting: {len(plan.stages)} stages, estimated {plan.estimated_seconds} s"
    before = journal.paused_before(run_id)
    if before:
        return f"resuming: {before} approved"
    return f"resuming from {journal.run_state(run_id)}"


def _execute_locked(
    inputs: Inputs,
    plan: Plan,
    states: Path,
    progress: ProgressView,
    run_id: str,
    settings: RolloutSettings,
    journal: JournalStore,
    gateway: DriverGateway | None,
    ticket: TicketFlags,
    before: ClusterState | None,
) -> RunOutcome:
    fingerprint = run_fingerprint(inputs.inventory, inputs.playbook)
    try:
        resumed = journal.run(run_id) is not None
        if not resumed:
            journal.create_run(
                run_id,
                plan.cluster,
                plan.model_dump_json(),
                str(inputs.inventory_path.resolve()),
                str(inputs.playbook_path.resolve()),
            )
            journal.record_inputs(run_id, fingerprint)
            if before is not None:
                journal.write(run_id, RECORDED, step=BEFORE_STEP, **journal_detail(before))
        else:
            check_resumed_inputs(journal, run_id, fingerprint, inputs, progress)
        record_ticket(
            journal,
            run_id,
            ticket,
            inputs.inventory_path,
            inputs.playbook_path,
            inputs.playbook,
            resumed=resumed,
        )
        logs.configure(run_folder(states, run_id) / "log.jsonl")
    except JournalWriteFailed as exc:
        raise journal_full(exc, states, run_id) from None
    except OSError as exc:  # the run's log file
        raise UserError(
            f"cannot write the run's log in {run_folder(states, run_id)}: {exc.strerror}",
            "free space in the state dir (or fix its permissions), then run again",
        ) from None
    record_downloads(inputs, journal, run_id)
    own_gateway = gateway is None
    gateway = gateway or open_gateway(inputs)
    try:
        rollout = Rollout(run_id, plan, gateway, journal, settings, progress)
        outcome = rollout.execute()
    except JournalWriteFailed as exc:
        raise journal_full(exc, states, run_id) from None
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        # the run's log could not be written; the journal (written first) is consistent
        raise UserError(
            f"run {run_id} stopped: cannot write {exc.filename or 'the run log'}: "
            f"{exc.strerror} (is the file system of {states} full?)",
            f"free space there, then: {resume_command(run_id, states)}",
            EXIT_FAILED,
        ) from None
    finally:
        if own_gateway:
            gateway.close()
    outcome.state_dir_options = state_dir_options(states)
    return outcome


def record_downloads(inputs: Inputs, journal: JournalStore, run_id: str) -> None:
    """Each node's download from devpack's own server goes into the journal (and so the
    report) as step ``source/<node>``: which file, how many bytes, how long."""
    share = inputs.source.share
    if share is None:
        return
    names = {node.address: node.label for node in inputs.inventory.nodes}

    def record(download: Download) -> None:
        node = names.get(download.address, download.address)
        journal.write(
            run_id,
            "downloaded",
            step=f"source/{node}",
            node=node,
            file=download.file,
            bytes=download.bytes,
            seconds=download.seconds,
            address=download.address,
            complete=download.complete,
        )

    share.on_download = record


def journal_full(exc: JournalWriteFailed, states: Path, run_id: str) -> UserError:
    """The run stopped because its journal could not be written: nothing was done that
    the journal does not show, so the run resumes once there is room again."""
    if journals.journal_url() is not None:  # the shared journal's database
        cause, remedy = "is the journal's database up and reachable?", "once it is"
    else:
        cause, remedy = f"is the file system of {states} full?", "free space there"
    return UserError(
        f"run {run_id} stopped: {exc} ({cause}); nothing was done that the journal does not show",
        f"{remedy}, then: {resume_command(run_id, states)}",
        EXIT_FAILED,
    )


def check_resumed_inputs(
    journal: JournalStore, run_id: str, now: Fingerprint, inputs: Inputs, progress: ProgressView
) -> None:
    """Refuse (exit 3) to resume with inputs that differ from the journaled ones."""
    journaled = journal.inputs(run_id)
    if journaled is None:
        progress.message(
            f"warning: run {run_id} was journaled before devpack recorded its inputs; "
            f"it resumes with {inputs.inventory_path} and {inputs.playbook_path} as they "
            "are now, unchecked: make sure they are what the run started with"
        )
        return
    changes = fingerprint_changes(journaled, now)
    if changes:
        raise UserError(
            f"refusing to resume run {run_id}: its inputs changed since it started "
            f"({inputs.inventory_path}, {inputs.playbook_path}):\n"
            + "\n".join(f"  - {change}" for change in changes),
            "put the inventory and playbook back as they were (the old values above), or "
            "start a new run with devpack run (nodes that have the pack are seen as done)",
            EXIT_PRECHECK,
        )


def load_run(states: Path, run_id: str) -> tuple[Plan, Path, Path]:
    journal = journals.open_journal(states)
    try:
        record = journal.run(run_id)
    finally:
        journal.close()
    if record is None:
        raise UserError(
            f"no run {run_id} in {journals.where(states)}",
            "devpack status lists the runs (use --state-dir if they live elsewhere)",
        )
    return Plan.model_validate_json(record.plan), Path(record.inventory), Path(record.playbook)
