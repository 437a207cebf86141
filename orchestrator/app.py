"""Use cases behind the CLI: load inputs, discover, plan, run, resume.

Everything a user could get wrong surfaces as ``UserError`` (or ``ConfigError``) with
what is wrong and what to do; the CLI turns them into a message and an exit code.
"""

from __future__ import annotations

import os
import secrets as token
import shlex
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import structlog

from orchestrator import logs
from orchestrator.access import ClusterAccess, load_access, login_error, open_gateway
from orchestrator.config.loader import load_playbook
from orchestrator.config.playbook import Playbook
from orchestrator.config.secrets import Prompter, Secret
from orchestrator.config.sftp_port import check_sftp_port
from orchestrator.drivers.soap.errors import SoapAuthError
from orchestrator.drivers.ssh.errors import DriverError
from orchestrator.engine.cluster import TRANSIENT, DriverGateway
from orchestrator.engine.discovery import Discovery, discover
from orchestrator.engine.gateway import InstallRequest
from orchestrator.engine.journal import Journal
from orchestrator.engine.lock import ClusterLock, ClusterLocked
from orchestrator.engine.prechecks import PrecheckPolicy
from orchestrator.engine.rollout import Progress, Rollout, RolloutSettings, RunOutcome, Window
from orchestrator.engine.steps import Timeouts
from orchestrator.engine.waits import PollPolicy
from orchestrator.errors import (
    EXIT_FAILED,
    EXIT_INPUT,
    EXIT_LOCKED,
    EXIT_OK,
    EXIT_PAUSED,
    EXIT_PRECHECK,
    EXIT_UNREACHABLE,
    UserError,
)
from orchestrator.planning.plan import Plan
from orchestrator.planning.planner import build_plan

log = structlog.get_logger(__name__)

__all__ = [
    "EXIT_FAILED",
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
]


@dataclass
class Inputs(ClusterAccess):
    """What a rollout needs: the cluster access plus the playbook and its SFTP secret."""

    playbook_path: Path
    playbook: Playbook
    sftp_password: Secret


def state_dir(override: Path | None = None) -> Path:
    return override or Path(os.environ.get("DEVPACK_STATE_DIR", ".devpack"))


def load_inputs(
    inventory_path: Path, playbook_path: Path, prompt: Prompter | None = None
) -> Inputs:
    playbook = load_playbook(playbook_path)
    access = load_access(inventory_path, prompt)
    check_sftp_port(playbook, playbook_path, access.inventory)
    sftp_password = playbook.sftp.password.resolve(prompt)
    logs.REDACTOR.add(sftp_password.reveal())
    return Inputs(
        **vars(access),
        playbook_path=playbook_path,
        playbook=playbook,
        sftp_password=sftp_password,
    )


def discover_cluster(inputs: Inputs, gateway: DriverGateway) -> Discovery:
    try:
        found = discover(gateway, inputs.inventory)
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
    return plan, found


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
    return InstallRequest(
        file=pb.cop.file,
        md5=pb.cop.md5,
        sftp_host=pb.sftp.host,
        sftp_port=pb.sftp.port,
        directory=pb.sftp.directory,
        username=pb.sftp.username,
        password=inputs.sftp_password,
        timeout=float(pb.timeouts.install),
        take_over_held_wizard=pb.install.take_over_held_wizard,
    )


def rollout_settings(inputs: Inputs, window: Window | None) -> RolloutSettings:
    pb = inputs.playbook
    if window is None and pb.window is not None:
        window = Window(pb.window.start, pb.window.end)
    return RolloutSettings(
        install=install_request(inputs),
        timeouts=Timeouts(
            install=float(pb.timeouts.install),
            reboot=float(pb.timeouts.reboot),
            services=float(pb.timeouts.services),
            replication=float(pb.timeouts.replication),
        ),
        prechecks=PrecheckPolicy(
            cop_size_mb=pb.cop.size_mb,
            take_over_held_wizard=pb.install.take_over_held_wizard,
        ),
        poll=PollPolicy(first=pb.polling.first, ceiling=pb.polling.max),
        window=window,
        transient=TRANSIENT,
    )


def parse_window(text: str) -> Window:
    try:
        start_text, end_text = text.split("/", 1)
        start, end = datetime.fromisoformat(start_text), datetime.fromisoformat(end_text)
    except ValueError:
        raise UserError(
            f"--window {text!r} is not START/END in ISO 8601",
            "e.g. --window 2026-11-28T01:00+01:00/2026-11-28T05:00+01:00",
        ) from None
    if start.tzinfo is None or end.tzinfo is None:
        raise UserError(f"--window {text!r} needs time zones", "add Z or an offset like +01:00")
    if end <= start:
        raise UserError(f"--window {text!r} ends before it starts")
    return Window(start, end)


def new_run_id(cluster: str) -> str:
    return f"{cluster}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{token.token_hex(2)}"


def run_folder(states: Path, run_id: str) -> Path:
    return states / "runs" / run_id


def execute(
    inputs: Inputs,
    plan: Plan,
    states: Path,
    progress: Progress,
    *,
    run_id: str | None = None,
    window: Window | None = None,
    gateway: DriverGateway | None = None,
    stop: threading.Event | None = None,
) -> RunOutcome:
    """Run (or, with ``run_id`` of an existing run, resume) a plan under the cluster lock."""
    settings = rollout_settings(inputs, window)
    settings.stop = stop
    if settings.window and settings.window.end.timestamp() <= time.time():
        raise UserError(
            f"the maintenance window {settings.window.start.isoformat()} / "
            f"{settings.window.end.isoformat()} has already ended",
            "give the next window: --window START/END (ISO 8601 with a time zone)",
        )
    journal = Journal(states / "journal.sqlite")
    lock = ClusterLock(states / "locks", plan.cluster)
    run_id = run_id or new_run_id(plan.cluster)
    try:
        lock.acquire(run_id)
    except ClusterLocked as exc:
        raise UserError(str(exc), "devpack status shows the runs", EXIT_LOCKED) from exc
    own_gateway = gateway is None
    gateway = gateway or open_gateway(inputs)
    try:
        logs.configure(run_folder(states, run_id) / "log.jsonl")
        if journal.run(run_id) is None:
            journal.create_run(
                run_id,
                plan.cluster,
                plan.model_dump_json(),
                str(inputs.inventory_path.resolve()),
                str(inputs.playbook_path.resolve()),
            )
        rollout = Rollout(run_id, plan, gateway, journal, settings, progress)
        return with_state_dir(rollout.execute(), states)
    finally:
        if own_gateway:
            gateway.close()
        lock.release()
        journal.close()


def resume_command(run_id: str, states: Path) -> str:
    """``devpack resume RUN_ID`` as it works when typed: with a non-default --state-dir,
    or the resume would look for the run in the wrong journal."""
    command = f"devpack resume {run_id}"
    if states.resolve() == state_dir().resolve():
        return command
    return f"{command} --state-dir {shlex.quote(str(states))}"


def with_state_dir(outcome: RunOutcome, states: Path) -> RunOutcome:
    outcome.hint = outcome.hint.replace(
        f"devpack resume {outcome.run_id}", resume_command(outcome.run_id, states)
    )
    return outcome


def load_run(states: Path, run_id: str) -> tuple[Plan, Path, Path]:
    journal = Journal(states / "journal.sqlite")
    try:
        record = journal.run(run_id)
    finally:
        journal.close()
    if record is None:
        raise UserError(
            f"no run {run_id} in {states / 'journal.sqlite'}",
            "devpack status lists the runs (use --state-dir if they live elsewhere)",
        )
    return Plan.model_validate_json(record.plan), Path(record.inventory), Path(record.playbook)
