"""``--json``: the one machine-readable document a command prints on stdout.

Every document carries ``schema`` (``devpack.result/1``), the command, ``ok`` and the
exit code; then the command's own section (``run``, ``plan``, ``runs``, ``audit``,
``fleet``, ``dry_run``) or, when the command could not do its job, ``error``. The JSON
Schema is ``orchestrator/schemas/result-1.schema.json`` (docs/json-output.md explains
it). A new optional field keeps version 1; removing or changing one makes it 2.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from orchestrator import logs

if TYPE_CHECKING:  # the CLI imports this module before anything heavy
    from orchestrator.audit.model import AuditResult
    from orchestrator.fleet import ClusterResult
    from orchestrator.planning.plan import Plan
    from orchestrator.roll_out import DryRun, RunResult

SCHEMA_ID = "devpack.result/1"
SCHEMA_FILE = Path(__file__).parent / "schemas" / "result-1.schema.json"

Document = dict[str, Any]


def schema() -> dict[str, Any]:
    """The JSON Schema the documents follow (for tests and for consumers)."""
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def _document(command: str, exit_code: int, **sections: Any) -> Document:
    return {
        "schema": SCHEMA_ID,
        "command": command,
        "ok": exit_code == 0,
        "exit_code": exit_code,
        **sections,
    }


def emit(document: Document) -> None:
    """The document, scrubbed of every known secret, as the only thing on stdout."""
    text = logs.REDACTOR.scrub(json.dumps(document, indent=2, sort_keys=False))
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def error_document(command: str, exit_code: int, message: str, hint: str = "") -> Document:
    return _document(command, exit_code, error={"message": message, "hint": hint})


def run_document(command: str, result: RunResult, exit_code: int) -> Document:
    """``run`` / ``resume``: how the run ended, where each node stands, its report."""
    from orchestrator.engine.states import RunState

    outcome = result.outcome
    if outcome is None:  # completed before (or completed and only the report was due)
        state, message, hint, resume = RunState.COMPLETED, "the run had completed", "", None
        paused_before = None
        if result.already_complete:
            message = "the run had already completed; nothing was done"
    else:
        state, message, hint = outcome.status, outcome.message, outcome.hint
        resume = None if outcome.status == RunState.COMPLETED else outcome.resume_command
        paused_before = outcome.paused_before
    report = result.report
    report_section: Document | None = None
    if report is not None:
        folder = report.folder
        report_section = {
            "folder": str(folder) if folder else None,
            "html": str(folder / "report.html") if folder else None,
            "json": str(folder / "report.json") if folder else None,
            "audit_errors": report.errors,
            "audit_warnings": report.warnings,
            "failure": report.failure,
            "pdf": str(report.pdf) if report.pdf else None,
        }
    nodes = {
        node: [{"step": step, "state": step_state} for step, step_state in steps]
        for node, steps in sorted(result.node_states.items())
    }
    return _document(
        command,
        exit_code,
        run={
            "run_id": result.run_id,
            "cluster": result.plan.cluster,
            "state": str(state),
            "message": message,
            "hint": hint,
            "resume_command": resume,
            "paused_before": paused_before,
            "already_complete": result.already_complete,
            "state_dir": str(result.states),
            "report": report_section,
            "nodes": nodes,
            "next_step": _next_step(result),
            "ticket": _ticket(result),
        },
    )


def _next_step(result: RunResult) -> Document:
    step = result.next_step()
    return {"action": str(step.action), "command": step.command, "text": step.text}


def _ticket(result: RunResult) -> Document | None:
    from orchestrator.report.schema import iso

    if result.ticket is None:
        return None
    document: Document = result.ticket.model_dump(mode="json")
    document["recorded_at"] = iso(result.ticket.recorded_at)
    return document


def dry_run_document(result: DryRun, exit_code: int) -> Document:
    fit = result.window
    return _document(
        "run",
        exit_code,
        dry_run={
            "passed": result.passed,
            "plan": result.plan.model_dump(mode="json"),
            "problems": list(result.prechecks.problems),
            "warnings": [f"{n.node}: {w}" for n in result.prechecks.nodes for w in n.warnings],
            "window": None
            if fit is None
            else {
                "start": fit.window.start.isoformat(),
                "end": fit.window.end.isoformat(),
                "fits": fit.fits,
            },
        },
    )


def plan_document(plan: Plan, written_to: Path | None) -> Document:
    return _document(
        "plan",
        0,
        plan=plan.model_dump(mode="json"),
        written_to=str(written_to) if written_to else None,
    )


def status_document(runs: list[Document], exit_code: int = 0) -> Document:
    """``runs``: each {run_id, cluster, state, resume_command?, nodes?}."""
    return _document("status", exit_code, runs=runs)


def audit_document(result: AuditResult, report: Path | None) -> Document:
    return _document(
        "audit",
        result.exit_code,
        audit=result.model_dump(mode="json"),
        report=str(report / "report.html") if report else None,
    )


def fleet_document(
    results: list[ClusterResult],
    interrupted: bool,
    exit_code: int,
    change_id: str | None = None,
    operator: str | None = None,
    run_id: str | None = None,
) -> Document:
    return _document(
        "fleet run",
        exit_code,
        fleet={
            "run_id": run_id,
            "interrupted": interrupted,
            "change_id": change_id,
            "operator": operator,
            "clusters": [
                {
                    "cluster": r.cluster,
                    "inventory": str(r.entry.inventory),
                    "playbook": str(r.entry.playbook),
                    "run_id": r.run_id,
                    "state": r.status,
                    "exit_code": r.exit_code,
                    "message": r.message,
                    "seconds": round(r.seconds, 1),
                }
                for r in results
            ],
        },
    )
