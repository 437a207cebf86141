"""The use case "roll a device pack out to one cluster", written once.

load inputs (the caller) -> check the local inputs -> open the sessions -> plan ->
execute under the lock -> post-run audit and report -> ``exit_code``. ``devpack run``,
``devpack resume``, ``devpack demo`` and each cluster of ``devpack fleet run`` all go
through here, so they agree on what a run's exit code is; the CLI modules only present
the ``RunResult``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from orchestrator import app, logs
from orchestrator.engine.cluster import DriverGateway
from orchestrator.engine.journals import open_journal
from orchestrator.engine.prechecks import ClusterPrecheck, check_cluster
from orchestrator.engine.rollout import MaintenanceWindow, ProgressView, RunOutcome, node_states
from orchestrator.engine.states import RunState
from orchestrator.errors import (
    EXIT_FAILED,
    EXIT_HELD,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PAUSED,
    EXIT_PRECHECK,
    UserError,
)
from orchestrator.next_step import Action, NextStep, next_step
from orchestrator.notify import Event, Notice
from orchestrator.planning.check import plan_problems
from orchestrator.planning.facts import ClusterFacts, reconcile
from orchestrator.planning.plan import Plan
from orchestrator.report.changes import before_state, read_registrations, save_before
from orchestrator.report.pdf import PdfUnavailable, render_pdf
from orchestrator.report.schema import ClusterState
from orchestrator.report.service import report_folder, report_of_completion, write_run_report
from orchestrator.ticket import TICKET_STEP, ChangeTicket, TicketFlags
from orchestrator.ticket import fold as fold_ticket

log = structlog.get_logger(__name__)

# Given the plan about to run, the progress view to run it under (a live table on a
# terminal, plain lines, one prefixed line per cluster in a fleet).
ProgressFor = Callable[[Plan], AbstractContextManager[ProgressView]]
ShowPlan = Callable[[Plan], None]


@dataclass(frozen=True)
class GivenPlan:
    """``--plan FILE``: a plan the operator reviewed, to run exactly as written."""

    path: Path
    plan: Plan


@dataclass(frozen=True)
class PostRunReport:
    """The post-run audit and report: where it was written and what the audit found,
    or why it could not be written (a failure here never fails the run)."""

    folder: Path | None
    errors: int = 0
    warnings: int = 0
    failure: str | None = None
    pdf: Path | None = None  # report.pdf, when the playbook asks for it (report.pdf)
    pdf_problem: str | None = None  # why the PDF asked for was not made


@dataclass
class RunResult:
    """What a run (or a resume) came to; ``exit_code`` turns it into the exit status."""

    run_id: str
    plan: Plan
    # None: a completed run that had nothing left to do (see ``already_complete``)
    outcome: RunOutcome | None
    states: Path
    report: PostRunReport | None = None
    node_states: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # a resume of a run that had completed: True if its report was already there
    already_complete: bool = False
    ticket: ChangeTicket | None = None  # as journaled (None: a run from before tickets)

    @property
    def audit_found_errors(self) -> bool:
        return self.report is not None and self.report.errors > 0

    def next_step(self) -> NextStep:
        """What the operator does next (``orchestrator.next_step``: the one table)."""
        errors = self.report.errors if self.report is not None else 0
        if self.outcome is None:  # completed earlier
            return next_step(RunState.COMPLETED, "", audit_errors=errors)
        return self.outcome.next_step(errors)


def exit_code(result: RunResult) -> int:
    """The one mapping from a run's end to its exit status (README's table).

    A rollout that completed while its post-run audit found errors did not leave the
    cluster right: exit 1, in ``run``, ``resume``, ``demo`` and ``fleet run`` alike."""
    outcome = result.outcome
    if outcome is None or outcome.status == RunState.COMPLETED:
        return EXIT_FAILED if result.audit_found_errors else EXIT_OK
    if outcome.precheck:
        return EXIT_PRECHECK
    return {
        RunState.PAUSED_WINDOW: EXIT_PAUSED,
        RunState.PAUSED: EXIT_HELD,
        RunState.INTERRUPTED: EXIT_INTERRUPTED,
    }.get(RunState(outcome.status), EXIT_FAILED)


# ----- planning ------------------------------------------------------------------------


def plan_for(inputs: app.Inputs, gateway: DriverGateway, given: GivenPlan | None = None) -> Plan:
    """Discover and plan; with ``given``, that plan if it is safe to run as written."""
    return discover_and_plan(inputs, gateway, given)[0]


def discover_and_plan(
    inputs: app.Inputs, gateway: DriverGateway, given: GivenPlan | None = None
) -> tuple[Plan, ClusterFacts]:
    """``plan_for``, with the facts discovery read (the change report's "before")."""
    fresh, found = app.make_plan(inputs, gateway)
    if given is None:
        return fresh, found.facts
    facts, _ = reconcile(inputs.inventory, found.facts)
    problems = plan_problems(given.plan, fresh, facts, inputs.playbook)
    if problems:
        raise UserError(
            f"refusing to run {given.path}:\n" + "\n".join(f"  - {p}" for p in problems),
            "run devpack plan again and review the new plan (or fix the edits listed)",
            EXIT_PRECHECK,
        )
    return given.plan, found.facts


# ----- dry run -------------------------------------------------------------------------


@dataclass(frozen=True)
class WindowFit:
    window: MaintenanceWindow
    fits: bool


@dataclass
class DryRun:
    plan: Plan
    prechecks: ClusterPrecheck
    window: WindowFit | None = None

    @property
    def passed(self) -> bool:
        return self.prechecks.ok and (self.window is None or self.window.fits)


def window_fit(
    window: MaintenanceWindow | None, plan: Plan, now: float | None = None
) -> WindowFit | None:
    """Would the whole plan, started now (or at the window's start), end in the window?"""
    if window is None:
        return None
    start = max(time.time() if now is None else now, window.start.timestamp())
    return WindowFit(window, start + plan.estimated_seconds <= window.end.timestamp())


def dry_run(
    inputs: app.Inputs,
    *,
    window: MaintenanceWindow | None = None,
    given: GivenPlan | None = None,
    show_plan: ShowPlan = lambda plan: None,
) -> DryRun:
    """The plan and the rollout's own precheck stage (read-only); nothing is changed."""
    gateway = app.open_gateway(inputs)
    try:
        plan = plan_for(inputs, gateway, given)
        show_plan(plan)
        settings = app.rollout_settings(inputs, window)
        nodes = sorted({step.nodes[0] for step in plan.steps})
        with inputs.source.serving():  # the source precheck logs in to devpack's server
            prechecks = check_cluster(
                gateway,
                nodes,
                settings.prechecks,
                replication=plan.replication_checks,
                backup=plan.installs,
            )
        return DryRun(plan, prechecks, window_fit(settings.window, plan))
    finally:
        gateway.close()


# ----- run and resume ------------------------------------------------------------------


def roll_out(
    inputs: app.Inputs,
    states: Path,
    progress_for: ProgressFor,
    *,
    window: MaintenanceWindow | None = None,
    given: GivenPlan | None = None,
    show_plan: ShowPlan = lambda plan: None,
    run_id: str | None = None,
    stop: threading.Event | None = None,
    stop_after: str | None = None,
    ticket: TicketFlags | None = None,
) -> RunResult:
    """Plan and run one cluster's rollout, then audit it and write its report.

    The run id is bound to the logging context from the start, so every line of the
    run (discovery and the post-run audit included, on whatever thread) carries it;
    in fleet mode the run's log file takes them from the start too."""
    run_id = run_id or app.new_run_id(inputs.inventory.cluster)
    with structlog.contextvars.bound_contextvars(run=run_id):
        logs.register_run(app.run_folder(states, run_id) / "log.jsonl")
        app.check_unlocked(inputs, states)  # a refused run says so before planning
        gateway = app.open_gateway(inputs)
        try:
            plan, facts = discover_and_plan(inputs, gateway, given)
            show_plan(plan)
            before = None
            if not app.run_exists(states, run_id):
                before = take_before(inputs, states, run_id, facts, gateway)
            return execute_and_report(
                inputs,
                plan,
                states,
                run_id,
                gateway,
                progress_for,
                window=window,
                stop=stop,
                stop_after=stop_after,
                ticket=ticket,
                before=before,
            )
        finally:
            gateway.close()


def execute_and_report(
    inputs: app.Inputs,
    plan: Plan,
    states: Path,
    run_id: str,
    gateway: DriverGateway,
    progress_for: ProgressFor,
    *,
    window: MaintenanceWindow | None,
    stop: threading.Event | None,
    ticket: TicketFlags | None,
    stop_after: str | None = None,
    before: ClusterState | None = None,
) -> RunResult:
    """Run the plan under its progress view, then the post-run audit and report (on the
    run's own sessions instead of logging in again), then tell the notifiers."""
    with progress_for(plan) as progress:
        outcome = app.execute(
            inputs,
            plan,
            states,
            progress,
            run_id=run_id,
            window=window,
            gateway=gateway,
            stop=stop,
            stop_after=stop_after,
            ticket=ticket or TicketFlags(),
            before=before,
        )
    report = post_run_report(inputs, states, run_id, gateway)
    return notify_end(inputs, _result(run_id, plan, outcome, states, report))


def continue_run(
    states: Path,
    run_id: str,
    inventory: Path,
    playbook: Path,
    progress_for: ProgressFor,
    *,
    window: MaintenanceWindow | None = None,
    announce: Callable[[str], None] = lambda text: None,
    stop: threading.Event | None = None,
    ticket: TicketFlags | None = None,
) -> RunResult | None:
    """A scheduler's ``--run-id`` (``run``, and each cluster of ``fleet run``): a run the
    journal holds under that id is continued, only with the inventory and playbook it
    started with (a completed one only reports its result again); None if there is no
    such run yet, for the caller to start it under that id."""
    if not app.run_exists(states, run_id):
        return None
    app.check_same_inputs(states, run_id, inventory, playbook)
    return resume(
        states,
        run_id,
        progress_for,
        window=window,
        announce=announce,
        stop=stop,
        ticket=ticket,
    )


def resume(
    states: Path,
    run_id: str,
    progress_for: ProgressFor,
    *,
    window: MaintenanceWindow | None = None,
    announce: Callable[[str], None] = lambda text: None,
    stop: threading.Event | None = None,
    ticket: TicketFlags | None = None,
) -> RunResult:
    """Continue a stopped, failed or killed run; a completed run changes nothing more on
    the cluster, but gets the post-run audit and report it was stopped before."""
    plan, inventory, playbook = app.load_run(states, run_id)
    if _journaled_state(states, run_id) == RunState.COMPLETED:
        if report_of_completion(states, run_id):
            # a retry of a finished run: its result again, without touching the cluster
            folder = report_folder(states, run_id)
            report = PostRunReport(folder, *audit_counts(folder))
            return _result(run_id, plan, None, states, report, already_complete=True)
        announce(
            f"run {run_id} completed, but was stopped before its post-run audit and "
            "report: writing them now"
        )
        inputs = app.load_inputs(inventory, playbook)
        return _result(run_id, plan, None, states, post_run_report(inputs, states, run_id))
    inputs = app.load_inputs(inventory, playbook)
    gateway = app.open_gateway(inputs)
    try:
        return execute_and_report(
            inputs,
            plan,
            states,
            run_id,
            gateway,
            progress_for,
            window=window,
            stop=stop,
            ticket=ticket,
        )
    finally:
        gateway.close()


def take_before(
    inputs: app.Inputs, states: Path, run_id: str, facts: ClusterFacts, gateway: DriverGateway
) -> ClusterState:
    """The change report's "before": what discovery read, and the phones registered now,
    written to the run folder at once (the journal gets it when the run is created)."""
    registered, error = read_registrations(app.audit_inputs(inputs), gateway.pool)
    labels = {node.address: node.label for node in inputs.inventory.nodes}
    state = before_state(facts, registered, error, labels)
    try:
        save_before(app.run_folder(states, run_id), state)
    except OSError as exc:  # the journal still gets it; the run is not stopped for this
        log.warning("report.before_not_saved", error=str(exc))
    return state


_EVENTS = {
    RunState.COMPLETED: Event.COMPLETION,
    RunState.PAUSED: Event.PAUSE,
    RunState.PAUSED_WINDOW: Event.PAUSE,
    RunState.INTERRUPTED: Event.INTERRUPTION,
}


def notify_end(inputs: app.Inputs, result: RunResult) -> RunResult:
    """Tell the playbook's notifiers how the run ended (never fails the run)."""
    outcome = result.outcome
    if outcome is None:
        return result
    event = _EVENTS.get(RunState(outcome.status), Event.FAILURE)
    where = f"{outcome.status}: {outcome.message}"
    if result.report is not None and (result.report.errors or result.report.warnings):
        where += (
            f"; post-run audit: {result.report.errors} error(s), "
            f"{result.report.warnings} warning(s)"
        )
    step = outcome.next_step(result.report.errors if result.report is not None else 0)
    if step.command is None and step.action is not Action.NOTHING:
        where += f"; what to do: {step.text}"
    folder = result.report.folder if result.report is not None else None
    inputs.notifier.send(
        Notice(
            event,
            result.plan.cluster,
            result.run_id,
            where,
            step.command,
            str(folder / "report.html") if folder else None,
        )
    )
    return result


def _result(
    run_id: str,
    plan: Plan,
    outcome: RunOutcome | None,
    states: Path,
    report: PostRunReport,
    already_complete: bool = False,
) -> RunResult:
    journal = open_journal(states)
    try:
        nodes = node_states(journal, run_id, plan)
        ticket = fold_ticket(e.detail for e in journal.entries(run_id) if e.step == TICKET_STEP)
    finally:
        journal.close()
    return RunResult(run_id, plan, outcome, states, report, nodes, already_complete, ticket)


def _journaled_state(states: Path, run_id: str) -> str:
    journal = open_journal(states)
    try:
        return journal.run_state(run_id)
    finally:
        journal.close()


# ----- the post-run audit and report ---------------------------------------------------


def post_run_report(
    inputs: app.Inputs, states: Path, run_id: str, gateway: DriverGateway | None = None
) -> PostRunReport:
    """Audit the cluster and write the run's report; never raises (the run's outcome
    stands whatever happens here)."""
    try:
        folder = write_run_report(
            states,
            run_id,
            playbook=inputs.playbook,
            audit_inputs=app.audit_inputs(inputs),
            pool=gateway.pool if gateway is not None else None,
        )
    except Exception as exc:
        log.exception("report.write_failed")
        return PostRunReport(None, failure=logs.REDACTOR.scrub(f"{type(exc).__name__}: {exc}"))
    errors, warnings = audit_counts(folder)
    pdf, problem = None, None
    if inputs.playbook.report.pdf:
        try:
            pdf = render_pdf(folder / "report.html")
        except PdfUnavailable as exc:
            log.warning("report.pdf_unavailable", reason=str(exc))
            problem = str(exc)
    return PostRunReport(folder, errors, warnings, pdf=pdf, pdf_problem=problem)


def audit_counts(folder: Path) -> tuple[int, int]:
    """(errors, warnings) of the post-run audit written in ``folder``."""
    import json

    try:
        report = json.loads((folder / "report.json").read_text())
    except (OSError, ValueError):
        return 0, 0
    findings = (report.get("audit") or {}).get("findings") or []
    severities = [f.get("severity") for f in findings]
    return severities.count("error"), severities.count("warning")
