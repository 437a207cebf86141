"""Build the report document from the journal, the plan, the playbook and an audit. Pure."""

from __future__ import annotations

import re
import shlex
import time
from pathlib import Path
from typing import Any

from orchestrator import __version__
from orchestrator.audit.model import AuditResult, Severity
from orchestrator.config.playbook import SERVED_DIRECTORY, Playbook
from orchestrator.drivers.ssh.algorithms import WHY_LEGACY_IS_ACCEPTED
from orchestrator.engine.journal import TERMINAL, Entry, RunRecord, StepRecord
from orchestrator.engine.states import RunState, StepState
from orchestrator.next_step import RESUMABLE, next_step
from orchestrator.planning.plan import Plan, SshAlgorithms, StageKind
from orchestrator.report.changes import diff, journaled_before
from orchestrator.report.schema import (
    ClusterState,
    DownloadOut,
    NextStepOut,
    NodeOut,
    PlanOut,
    PlaybookOut,
    Report,
    RunOut,
    Session,
    SshOut,
    StageOut,
    StepOut,
    TicketOut,
    iso,
)
from orchestrator.report.timeline import CLUSTER_ROW, segments
from orchestrator.ticket import TICKET_STEP, ChangeTicket
from orchestrator.ticket import fold as fold_ticket

# Journal detail keys worth showing; anything else (logs, raw probes) stays in the journal.
DETAIL_KEYS = (
    "outcome",
    "message",
    "hint",
    "checksum",
    "file",
    "problems",
    "warnings",
    "missing",
    "verified",
    "restarted",
    "models",
    "reason",
    "service",
    "error",
    "boot_time",
    "took_over_wizard",
    "transcript_file",
)
_SECRET_KEY = re.compile(r"pass(word|wd)?|secret|token|authorization|credential", re.I)
_RUN_END = {
    RunState.COMPLETED,
    RunState.FAILED,
    RunState.PAUSED_WINDOW,
    RunState.PAUSED,
    RunState.INTERRUPTED,
}
_WORST = ["failed", "interrupted", "pending", "done", "skipped"]


def playbook_summary(playbook: Playbook) -> PlaybookOut:
    window = None
    if playbook.window is not None:
        window = {
            "start": playbook.window.start.isoformat(),
            "end": playbook.window.end.isoformat(),
        }
    sftp = playbook.sftp
    return PlaybookOut(
        cop_file=playbook.main_cop.file_name,
        md5=playbook.main_cop.md5,
        models=list(playbook.models),
        restart_strategy=str(playbook.restart.strategy),
        waves=playbook.waves.model_dump(),
        gates=playbook.gates.model_dump(),
        timeouts=playbook.timeouts.model_dump(),
        window=window,
        sftp_host=sftp.serve.address if sftp.serve else sftp.host or "",
        sftp_directory=SERVED_DIRECTORY if sftp.serve else sftp.directory or "",
        sftp_served=sftp.serve is not None,
        cops=[
            {"file": c.file_name, "kind": str(c.kind), "md5": c.md5 or ""}
            for c in playbook.all_cops
        ],
    )


def plan_summary(plan: Plan) -> PlanOut:
    return PlanOut(
        cop_file=plan.cop_file,
        restart_scope=str(plan.restart_scope) if plan.restart_scope else None,
        restart_reason=plan.restart_reason,
        estimated_seconds=plan.estimated_seconds,
        fingerprint=plan.fingerprint,
        stages=[
            StageOut(
                name=stage.name,
                kind=str(stage.kind),
                reason=stage.reason,
                steps=[step.id for step in stage.steps],
                skipped=[f"{skip.node}: {skip.reason}" for skip in stage.skipped],
                estimated_seconds=stage.estimated_seconds,
            )
            for stage in plan.stages
        ],
        notes=list(plan.notes),
        warnings=list(plan.warnings),
    )


def _detail(detail: dict[str, Any]) -> dict[str, Any]:
    return {
        key: "********" if _SECRET_KEY.search(key) else detail[key]
        for key in DETAIL_KEYS
        if key in detail and detail[key] not in (None, "", [], {})
    }


def _outcome(record: StepRecord | None) -> str:
    if record is None:
        return "pending"
    if record.state in TERMINAL:
        return record.state
    return "interrupted"


def _step(
    step_id: str, stage: str, action: str, node: str | None, record: StepRecord | None
) -> StepOut:
    detail = _detail(record.detail) if record else {}
    message = str(detail.get("message", "")) if record and record.state == StepState.FAILED else ""
    if not message and record is not None:
        parts = []
        if detail.get("took_over_wizard"):
            parts.append(str(detail["took_over_wizard"]))
        if "outcome" in detail:
            parts.append(str(detail["outcome"]).replace("_", " "))
        if detail.get("restarted"):
            parts.append("restarted " + ", ".join(detail["restarted"]))
        if detail.get("problems"):
            parts.append("; ".join(detail["problems"]))
        message = "; ".join(parts)
    started = record.started if record else None
    finished = record.finished if record else None
    return StepOut(
        id=step_id,
        stage=stage,
        action=action,
        node=node,
        state=record.state if record else "pending",
        outcome=_outcome(record),
        started=started,
        finished=finished,
        started_at=iso(started),
        finished_at=iso(finished),
        duration_seconds=round(finished - started, 3) if started and finished else None,
        message=message,
        detail=detail,
    )


def _ssh(link: SshAlgorithms) -> SshOut:
    return SshOut(
        **link.model_dump(exclude={"node"}),
        why=WHY_LEGACY_IS_ACCEPTED if link.legacy else "",
    )


def publisher_of(plan: Plan) -> str | None:
    for stage in plan.stages:
        if (
            stage.kind
            in (StageKind.INSTALL_PUBLISHER, StageKind.RESTART_PUBLISHER, StageKind.VERIFY)
            and stage.steps
        ):
            return stage.steps[0].nodes[0]
    return None


def _sessions(entries: list[Entry]) -> list[Session]:
    sessions: list[Session] = []
    for entry in entries:
        if entry.step is not None:
            continue
        if entry.state == RunState.RUNNING:
            if sessions and sessions[-1].ended is None:
                sessions[-1].outcome = "interrupted"  # killed: no outcome was written
                sessions[-1].ended = entry.time
            sessions.append(Session(started=entry.time, ended=None, outcome="running"))
        elif entry.state in _RUN_END and sessions:
            sessions[-1].ended, sessions[-1].outcome = entry.time, entry.state
    return sessions


def run_summary(
    record: RunRecord, entries: list[Entry], resume_command: str = "", audit_errors: int = 0
) -> RunOut:
    status, message, failed_node, failed_step = "running", "", None, None
    remedy, paused_before = "", None
    for entry in entries:
        if entry.step is None and entry.state in _RUN_END | {RunState.RUNNING}:
            status = entry.state
            message = str(entry.detail.get("message") or entry.detail.get("reason") or "")
            # Journal.write takes ``node`` as a column, so a run-level failure's node is there
            failed_node = entry.node or entry.detail.get("node")
            failed_step = entry.detail.get("at_step")
            remedy = str(entry.detail.get("remedy") or "")
            paused_before = entry.detail.get("before")
    command = resume_command or shlex.join(["devpack", "resume", record.run_id])
    step = next_step(
        status, command, remedy=remedy, paused_before=paused_before, audit_errors=audit_errors
    )
    if status == "running":
        message = "the run stopped without an outcome (killed, or still running)"
    sessions = _sessions(entries)
    started = sessions[0].started if sessions else None
    finished = entries[-1].time if entries and status != "running" else None
    ticket = fold_ticket(e.detail for e in entries if e.step == TICKET_STEP)
    return RunOut(
        run_id=record.run_id,
        resume_command=command,
        ticket=_ticket(ticket) if ticket else None,
        next_step=NextStepOut(action=str(step.action), command=step.command, text=step.text),
        status=status,
        message=message,
        failed_node=failed_node,
        failed_step=failed_step,
        created=record.created,
        started=started,
        finished=finished,
        started_at=iso(started),
        finished_at=iso(finished),
        duration_seconds=round(finished - started, 3) if started and finished else None,
        sessions=sessions,
        inventory_file=Path(record.inventory).name,
        playbook_file=Path(record.playbook).name,
        downloads=[
            DownloadOut(
                node=str(e.node or ""),
                address=str(e.detail.get("address", "")),
                file=str(e.detail.get("file", "")),
                bytes=int(e.detail.get("bytes", 0)),
                seconds=float(e.detail.get("seconds", 0.0)),
                complete=bool(e.detail.get("complete", True)),
                at=iso(e.time),
            )
            for e in entries
            if e.step and e.step.startswith("source/") and e.state == "downloaded"
        ],
    )


def _ticket(ticket: ChangeTicket) -> TicketOut:
    return TicketOut(
        **ticket.model_dump(exclude={"recorded_at"}), recorded_at=iso(ticket.recorded_at)
    )


def build_run_report(
    record: RunRecord,
    entries: list[Entry],
    steps: dict[str, StepRecord],
    plan: Plan,
    playbook: Playbook | None,
    audit: AuditResult | None,
    audit_error: str | None = None,
    resume_command: str = "",
    tls_trust: str | None = None,
    after: ClusterState | None = None,
) -> Report:
    publisher = publisher_of(plan)
    order: list[str] = [publisher] if publisher else []
    for step in plan.steps:
        if step.nodes[0] not in order:
            order.append(step.nodes[0])
    per_node: dict[str, list[StepOut]] = {name: [] for name in order}
    actions: dict[str, str] = {}
    gates: list[StepOut] = []
    for stage in plan.stages:
        for step in stage.steps:
            actions[step.id] = str(step.action)
            per_node[step.nodes[0]].append(
                _step(step.id, stage.name, str(step.action), step.nodes[0], steps.get(step.id))
            )
        if stage.gate is not None:
            key = f"gate/{stage.name}"
            gates.append(_step(key, stage.name, "gate", None, steps.get(key)))
    ssh = {link.node: link for link in plan.ssh}
    nodes = [
        NodeOut(
            name=name,
            role="publisher" if name == publisher else "subscriber",
            outcome=min((s.outcome for s in per_node[name]), key=_rank, default="pending"),
            steps=per_node[name],
            ssh=_ssh(ssh[name]) if name in ssh else None,
        )
        for name in order
    ]
    bars, markers = segments(entries, actions)
    errors = audit.count(Severity.ERROR) if audit else 0
    run = run_summary(record, entries, resume_command, errors)
    before = journaled_before(entries)
    return Report(
        kind="run",
        generated_at=iso(time.time()) or "",
        devpack_version=__version__,
        cluster=record.cluster,
        run=run,
        changes=diff(before, after) if before or after else None,
        playbook=playbook_summary(playbook) if playbook else None,
        plan=plan_summary(plan),
        nodes=nodes,
        gates=gates,
        timeline=bars,
        markers=markers,
        audit=agreeing(audit, run.next_step) if audit and run.next_step else audit,
        audit_error=audit_error,
        tls_trust=tls_trust,
    )


# Findings whose remedy is something a resumed run does itself (install, restart): while
# the run is not finished, the remedy is the run's next step, not the same by hand.
RUN_FINISHES = {
    "restart-pending",
    "reboot-pending",
    "service-restart-pending",
    "pack-missing",
    "pack-not-installed",
    "cop-missing",
    "phone-rejected",
}


def agreeing(audit: AuditResult, step: NextStepOut) -> AuditResult:
    """The audit with the remedies a resumed run carries out itself replaced by the run's
    next step (``next_step``): a paused or failed run's findings must not tell the
    operator to restart or install by hand what ``devpack resume`` will do."""
    if step.command is None or step.action not in RESUMABLE:
        return audit
    remedy = (
        f"the run is not finished and does this itself when it continues: {step.text}. "
        "Do not do it by hand meanwhile"
    )
    findings = [
        f.model_copy(update={"remedy": remedy}) if f.code in RUN_FINISHES else f
        for f in audit.findings
    ]
    return audit.model_copy(update={"findings": findings})


def build_audit_report(
    audit: AuditResult, playbook: Playbook | None = None, tls_trust: str | None = None
) -> Report:
    return Report(
        kind="audit",
        generated_at=iso(time.time()) or "",
        devpack_version=__version__,
        cluster=audit.cluster,
        playbook=playbook_summary(playbook) if playbook else None,
        audit=audit,
        tls_trust=tls_trust,
    )


def _rank(outcome: str) -> int:
    return _WORST.index(outcome) if outcome in _WORST else 0


def row_order(report: Report) -> list[str]:
    return [n.name for n in report.nodes] + [CLUSTER_ROW]
