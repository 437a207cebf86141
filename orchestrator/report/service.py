"""Writing reports: after a run (with a post-run audit), on demand, and for an audit."""

from __future__ import annotations

import os
from pathlib import Path

import structlog

from orchestrator import logs
from orchestrator.audit.gather import AuditInputs, AuditUnavailable
from orchestrator.audit.model import AuditFacts, AuditResult
from orchestrator.audit.service import audit_cluster, open_audit_pool
from orchestrator.cluster.pool import ConnectionPool
from orchestrator.config.errors import ConfigError
from orchestrator.config.loader import load_playbook
from orchestrator.config.playbook import Playbook
from orchestrator.drivers.soap.transport import trust_source
from orchestrator.engine.journal import StepRecord
from orchestrator.engine.journals import open_journal
from orchestrator.engine.states import RunState
from orchestrator.files import make_dirs, write_private
from orchestrator.planning.plan import Plan
from orchestrator.report.build import build_audit_report, build_run_report
from orchestrator.report.changes import after_state, read_registrations
from orchestrator.report.render import FILES, render
from orchestrator.report.schema import ClusterState, Report

log = structlog.get_logger(__name__)


class NoSuchRun(Exception):
    pass


def report_folder(states: Path, run_id: str) -> Path:
    return states / "runs" / run_id / "report"


def write(report: Report, folder: Path) -> Path:
    """Write the three files; each goes in whole (temp file + rename) or not at all."""
    make_dirs(folder)
    for name, text in render(report).items():
        target = folder / name
        temporary = target.with_suffix(target.suffix + ".tmp")
        try:
            write_private(temporary, text)
        except OSError:
            temporary.unlink(missing_ok=True)  # a half-written file must not linger
            raise
        os.replace(temporary, target)
    return folder


def write_audit_report(
    result: AuditResult,
    folder: Path,
    playbook: Playbook | None = None,
    ca_bundle: Path | None = None,
) -> Path:
    """``ca_bundle`` as the inventory gives it (None: not set), for the report's trust."""
    return write(build_audit_report(result, playbook, trust_source(ca_bundle).label), folder)


def started_before(steps: dict[str, StepRecord]) -> dict[str, list[str]]:
    """Per node, the services its prechecks found STARTED (before the run restarted it)."""
    return {
        record.node: list(record.detail["expected_services"])
        for record in steps.values()
        if record.node and "expected_services" in record.detail
    }


def post_run_audit(
    inputs: AuditInputs, pool: ConnectionPool | None = None
) -> tuple[AuditResult | None, str | None]:
    """Audit right after a run; never raises (a report without an audit beats none).

    With the run's ``pool`` its open SSH sessions are reused (a CUCM login is ~10 s).
    """
    try:
        return audit_cluster(inputs, pool), None
    except AuditUnavailable as exc:
        return None, exc.reason
    except Exception as exc:  # the run's outcome must survive any audit failure
        log.exception("report.audit_failed")
        return None, logs.REDACTOR.scrub(f"{type(exc).__name__}: {exc}")


def _previous_audit(
    folder: Path,
) -> tuple[AuditResult | None, str | None, str | None, ClusterState | None]:
    """The audit an earlier rendering of this run recorded, if any, its TLS trust and the
    "after" snapshot read with it."""
    path = folder / "report.json"
    if not path.is_file():
        return None, "no post-run audit was recorded for this run", None, None
    try:
        old = Report.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError:
        return None, f"{path} is unreadable; its post-run audit is lost", None, None
    after = old.changes.after if old.changes else None
    return old.audit, old.audit_error, old.tls_trust, after


def _after(facts: AuditFacts, inputs: AuditInputs, pool: ConnectionPool | None) -> ClusterState:
    """The change report's "after": what the audit read, and the phones registered now."""
    own = pool is None
    try:
        pool = pool or open_audit_pool(inputs)
        registered, error = read_registrations(inputs, pool)
    except Exception as exc:  # the report is written whatever happens here
        registered, error = None, logs.REDACTOR.scrub(str(exc) or type(exc).__name__)
    finally:
        if own and pool is not None:
            pool.close()
    return after_state(facts, registered, error)


def report_of_completion(states: Path, run_id: str) -> bool:
    """Was the run's report written after it completed? (Not if the run was killed between
    the journal's "completed" and the report, or an earlier session's report is all
    there is.)"""
    path = report_folder(states, run_id) / "report.json"
    try:
        report = Report.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return report.run is not None and report.run.status == RunState.COMPLETED


def write_run_report(
    states: Path,
    run_id: str,
    *,
    playbook: Playbook | None = None,
    audit_inputs: AuditInputs | None = None,
    pool: ConnectionPool | None = None,
) -> Path:
    """Render a run from the journal into ``<states>/runs/<run_id>/report/``.

    With ``audit_inputs`` the cluster is audited now; without, the audit of the last
    rendering is kept (re-rendering a past run does not touch its cluster).
    """
    journal = open_journal(states)
    try:
        record = journal.run(run_id)
        if record is None:
            raise NoSuchRun(run_id)
        entries = journal.entries(run_id)
        steps = journal.steps(run_id)
    finally:
        journal.close()
    folder = report_folder(states, run_id)
    if playbook is None:
        try:
            playbook = load_playbook(record.playbook)
        except (ConfigError, OSError):
            playbook = None  # moved or edited since; the plan still names the COP
    after: ClusterState | None = None
    if audit_inputs is not None:
        audit_inputs.started_before = started_before(steps)
        audit, audit_error = post_run_audit(audit_inputs, pool)
        tls_trust: str | None = trust_source(audit_inputs.ca_bundle).label
        if audit is not None and audit.facts is not None:
            after = _after(audit.facts, audit_inputs, pool)
    else:
        audit, audit_error, tls_trust, after = _previous_audit(folder)
    plan = Plan.model_validate_json(record.plan)
    from orchestrator.app import resume_command  # the use-case layer knows the default

    report = build_run_report(
        record,
        entries,
        steps,
        plan,
        playbook,
        audit,
        audit_error,
        resume_command=resume_command(run_id, states),
        tls_trust=tls_trust,
        after=after,
    )
    return write(report, folder)


__all__ = [
    "FILES",
    "NoSuchRun",
    "post_run_audit",
    "report_folder",
    "report_of_completion",
    "write",
    "write_audit_report",
    "write_run_report",
]
