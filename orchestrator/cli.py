"""The ``devpack`` command line: thin wrappers over ``orchestrator.app``."""

from __future__ import annotations

import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

import typer
from pydantic import ValidationError
from rich.markup import escape

from orchestrator import __version__, app, logs
from orchestrator.audit.command import audit_command
from orchestrator.cli_demo import demo
from orchestrator.cli_fleet import fleet_app
from orchestrator.cli_lab import lab_app
from orchestrator.config.errors import ConfigError
from orchestrator.console import LiveProgress, PlainProgress, operator_console
from orchestrator.engine.discovery import Discovery
from orchestrator.engine.journal import Journal
from orchestrator.engine.lock import lock_holder
from orchestrator.engine.prechecks import PrecheckPolicy
from orchestrator.engine.rollout import Progress, RunOutcome, Window, node_states
from orchestrator.errors import EXIT_INTERRUPTED
from orchestrator.files import check_writable_file, write_output
from orchestrator.planning.check import plan_problems
from orchestrator.planning.facts import reconcile
from orchestrator.planning.plan import Plan
from orchestrator.planning.render import duration, render_plan
from orchestrator.report.command import audit_counts, report_command, write_report_after_run
from orchestrator.report.service import report_of_completion

cli = typer.Typer(
    help="Roll out Cisco CUCM device packs across a cluster, safely and unattended.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
cli.add_typer(lab_app, name="lab")
cli.add_typer(fleet_app, name="fleet")
cli.command("audit")(audit_command)
cli.command("report")(report_command)
out = operator_console()
err = operator_console(stderr=True)
T = TypeVar("T")

INVENTORY = typer.Option(..., "--inventory", "-i", help="Inventory YAML (inventory/*.yml)")
PLAYBOOK = typer.Option(..., "--playbook", "-p", help="Playbook YAML (playbooks/*.yml)")
STATE_DIR = typer.Option(None, "--state-dir", help="Journal and run folders (default .devpack)")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"devpack {__version__}")
        raise typer.Exit()


@cli.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    """devpack."""
    # Structured logs go to each run's log.jsonl, never to the operator's console.
    logs.configure(None)
    logs.quiet_libraries()


@contextmanager
def user_errors() -> Iterator[None]:
    """Anything a user could have typed or a cluster could have answered: no traceback."""
    try:
        yield
    except ConfigError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(app.EXIT_INPUT) from None
    except app.UserError as exc:
        err.print(f"[red]error:[/] {escape(exc.message)}", highlight=False)
        if exc.hint:
            err.print(f"  what to do: {exc.hint}", highlight=False, markup=False)
        raise typer.Exit(exc.exit_code) from None


def _progress(nodes: list[str]) -> Progress:
    return LiveProgress(nodes, out) if sys.stdout.isatty() else PlainProgress()


def run_with_progress(plan: Plan, body: Callable[[Progress], T]) -> T:
    nodes = sorted({step.nodes[0] for step in plan.steps})
    progress = _progress(nodes)
    with sigterm_as_interrupt():
        if isinstance(progress, LiveProgress):
            with progress:
                return body(progress)
        return body(progress)


def report_outcome(outcome: RunOutcome, states: Path, plan: Plan) -> int:
    journal = Journal(states / "journal.sqlite")
    try:
        per_node = node_states(journal, outcome.run_id, plan)
    finally:
        journal.close()
    if outcome.status == "completed":
        out.print(f"[green]run {outcome.run_id} completed[/]: {outcome.message}")
        return app.EXIT_OK
    colour = "red" if outcome.status == "failed" else "yellow"
    if outcome.precheck:
        err.print(f"[red]run {outcome.run_id}: prechecks failed, nothing was changed[/]")
    err.print(
        f"[{colour}]run {outcome.run_id} {outcome.status}[/]: {escape(outcome.message)}",
        highlight=False,
    )
    err.print("where each node stands:")
    for node, steps in sorted(per_node.items()):
        done = [s for s, state in steps if state in ("done", "skipped")]
        open_steps = [f"{s} ({state})" for s, state in steps if state not in ("done", "skipped")]
        err.print(
            f"  {node}: done {', '.join(done) or 'nothing'}; "
            f"open {', '.join(open_steps) or 'nothing'}",
            highlight=False,
            markup=False,
        )
    err.print(f"what to do: {outcome.hint}", highlight=False, markup=False)
    if outcome.precheck:
        return app.EXIT_PRECHECK
    return {
        "paused_window": app.EXIT_PAUSED,
        "interrupted": EXIT_INTERRUPTED,
    }.get(outcome.status, app.EXIT_FAILED)


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (systemd stop, kill) ends a run like Ctrl-C: journaled and resumable."""

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@cli.command()
def plan(
    inventory: Path = INVENTORY,
    playbook: Path = PLAYBOOK,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the plan as JSON"),
) -> None:
    """Discover the cluster (read-only) and print the rollout plan."""
    with user_errors():
        if output:  # before logging in to every node
            check_writable_file(output, "--output")
        inputs = app.load_inputs(inventory, playbook)
        gateway = app.open_gateway(inputs)
        try:
            the_plan, _ = app.make_plan(inputs, gateway)
        finally:
            gateway.close()
        out.print(render_plan(the_plan))
        if output:
            write_output(output, the_plan.model_dump_json(indent=2), "the plan to")
            out.print(f"plan written to {output}", highlight=False, markup=False)


@cli.command()
def run(
    inventory: Path = INVENTORY,
    playbook: Path = PLAYBOOK,
    plan_file: Path | None = typer.Option(None, "--plan", help="Execute exactly this plan"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Prechecks and plan only"),
    window: str | None = typer.Option(None, "--window", help="START/END, ISO 8601"),
    state_dir: Path | None = STATE_DIR,
) -> None:
    """Roll the playbook's device pack out to the inventory's cluster."""
    with user_errors():
        code = _run(inventory, playbook, plan_file, dry_run, window, app.state_dir(state_dir))
    raise typer.Exit(code)


def _run(
    inventory: Path,
    playbook: Path,
    plan_file: Path | None,
    dry_run: bool,
    window_text: str | None,
    states: Path,
) -> int:
    # every local input is checked before any network I/O (logging in takes minutes)
    window = app.parse_window(window_text) if window_text else None
    given = _read_plan(plan_file) if plan_file else None
    if not dry_run:
        app.check_state_dir(states)
    inputs = app.load_inputs(inventory, playbook)
    gateway = app.open_gateway(inputs)
    try:
        the_plan, found = app.make_plan(inputs, gateway)
        if plan_file and given:
            the_plan = _given_plan(plan_file, given, the_plan, inputs, found)
        out.print(render_plan(the_plan))
        if dry_run:
            settings = app.rollout_settings(inputs, window)
            window_problem = _window_problem(settings.window, the_plan)
            return _dry_run(gateway, the_plan, window_problem, settings.prechecks)
        outcome = run_with_progress(
            the_plan,
            lambda progress: app.execute(
                inputs, the_plan, states, progress, window=window, gateway=gateway
            ),
        )
        code = report_outcome(outcome, states, the_plan)
        # the post-run audit reuses the run's sessions instead of logging in again
        report = write_report_after_run(inputs, states, outcome.run_id, gateway)
    finally:
        gateway.close()
    return _with_audit(code, report)


def _read_plan(plan_file: Path) -> Plan:
    """The plan in ``plan_file``, or a one-line UserError (exit 2) saying what is wrong."""
    hint = "write one with devpack plan --output FILE"
    try:
        text = plan_file.read_text()
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise app.UserError(f"{plan_file}: cannot read the plan: {reason}", hint) from None
    try:
        return Plan.model_validate_json(text)
    except ValidationError as exc:
        errors = exc.errors()
        first = errors[0]
        where = ".".join(str(part) for part in first["loc"])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        detail = f"{where}: {first['msg']}" if where else first["msg"]
        raise app.UserError(
            f"{plan_file}: not a devpack plan: {detail}{more}".replace("\n", " "), hint
        ) from None


def _given_plan(
    plan_file: Path, given: Plan, fresh: Plan, inputs: app.Inputs, found: Discovery
) -> Plan:
    """The plan read from ``plan_file`` if it is safe to run as written on this cluster."""
    facts, _ = reconcile(inputs.inventory, found.facts)
    problems = plan_problems(given, fresh, facts, inputs.playbook)
    if problems:
        raise app.UserError(
            f"refusing to run {plan_file}:\n" + "\n".join(f"  - {p}" for p in problems),
            "run devpack plan again and review the new plan (or fix the edits listed)",
            app.EXIT_PRECHECK,
        )
    return given


def _window_problem(window: Window | None, the_plan: Plan) -> str | None:
    """Would the whole plan, started now, end inside the maintenance window?"""
    if window is None:
        return None
    start = max(time.time(), window.start.timestamp())
    if start + the_plan.estimated_seconds <= window.end.timestamp():
        out.print(
            f"the plan's estimate ({duration(the_plan.estimated_seconds)}) fits the window "
            f"ending {window.end.isoformat()}"
        )
        return None
    return (
        f"the plan's estimate ({duration(the_plan.estimated_seconds)}) does not fit the window "
        f"{window.start.isoformat()} / {window.end.isoformat()}: the run would pause "
        "before installing"
    )


def _dry_run(
    gateway: app.DriverGateway,
    the_plan: Plan,
    window_problem: str | None,
    policy: PrecheckPolicy,
) -> int:
    from orchestrator.engine.prechecks import check_backup, check_node, check_replication
    from orchestrator.planning.plan import Action

    problems: list[str] = [window_problem] if window_problem else []
    for node in sorted({s.nodes[0] for s in the_plan.steps}):
        result = check_node(gateway, node, policy)
        problems += [f"{node}: {p}" for p in result.problems]
        for warning in result.warnings:
            out.print(f"[yellow]warning[/] {node}: {warning}")
    if the_plan.replication_checks:  # not on a single-node cluster
        problems += check_replication(gateway)
    axl = gateway.axl_problem()
    if axl:
        problems.append(axl)
    if any(step.action is Action.INSTALL for step in the_plan.steps):
        refused, warned = check_backup(gateway, policy, time.time())
        problems += refused
        for warning in warned:
            out.print(f"[yellow]warning[/] {warning}")
    for problem in problems:
        err.print(f"[red]precheck[/] {problem}", highlight=False)
    if problems:
        err.print("dry run: prechecks failed; nothing was changed")
        return app.EXIT_PRECHECK
    out.print("dry run: prechecks passed; nothing was changed")
    return app.EXIT_OK


@cli.command()
def resume(
    run_id: str = typer.Argument(..., help="The run to continue (devpack status lists them)"),
    window: str | None = typer.Option(None, "--window", help="START/END, ISO 8601"),
    state_dir: Path | None = STATE_DIR,
) -> None:
    """Continue a run that stopped, failed or was killed, without redoing finished work."""
    states = app.state_dir(state_dir)
    with user_errors():
        app.check_state_dir(states)
        parsed = app.parse_window(window) if window else None
        the_plan, inventory, playbook = app.load_run(states, run_id)
        if _journaled_state(states, run_id) == "completed":
            code = _finish_completed(states, run_id, inventory, playbook)
            raise typer.Exit(code)
        inputs = app.load_inputs(inventory, playbook)
        outcome = run_with_progress(
            the_plan,
            lambda progress: app.execute(
                inputs, the_plan, states, progress, run_id=run_id, window=parsed
            ),
        )
        code = report_outcome(outcome, states, the_plan)
        code = _with_audit(code, write_report_after_run(inputs, states, run_id))
    raise typer.Exit(code)


def _finish_completed(states: Path, run_id: str, inventory: Path, playbook: Path) -> int:
    """A completed run changes nothing more on the cluster; if it was stopped before its
    post-run audit and report were written, they are written now."""
    if report_of_completion(states, run_id):
        out.print(
            f"run {run_id} already completed; nothing to do "
            f"({app.report_command(run_id, states)} re-renders its report)",
            highlight=False,
            markup=False,
        )
        return app.EXIT_OK
    out.print(
        f"run {run_id} completed, but was stopped before its post-run audit and report: "
        "writing them now",
        highlight=False,
    )
    inputs = app.load_inputs(inventory, playbook)
    return _with_audit(app.EXIT_OK, write_report_after_run(inputs, states, run_id))


@cli.command()
def status(
    run_id: str | None = typer.Argument(None, help="Show one run in detail"),
    state_dir: Path | None = STATE_DIR,
) -> None:
    """List runs, or show where each node of one run stands."""
    states = app.state_dir(state_dir)
    with user_errors():
        if states.exists() and not states.is_dir():
            raise app.UserError(
                f"--state-dir {states} is not a folder",
                "give the folder that holds journal.sqlite (default .devpack)",
            )
        if not (states / "journal.sqlite").exists():
            out.print(f"no runs in {states}", highlight=False, markup=False)
            if run_id is not None:
                raise typer.Exit(app.EXIT_INPUT)
            return
        journal = Journal(states / "journal.sqlite")
        try:
            _status(journal, states, run_id)
        finally:
            journal.close()


def _status(journal: Journal, states: Path, run_id: str | None) -> None:
    if run_id is None:
        for record in journal.runs():
            shown = _run_state(journal, states, record.run_id, record.cluster)
            out.print(f"{record.run_id}  {record.cluster}  {shown}", highlight=False, markup=False)
        return
    the_plan, _, _ = app.load_run(states, run_id)
    shown = _run_state(journal, states, run_id, the_plan.cluster)
    out.print(f"run {run_id}: {shown}", highlight=False, markup=False)
    for node, steps in sorted(node_states(journal, run_id, the_plan).items()):
        out.print(
            f"  {node}: " + ", ".join(f"{s}={state}" for s, state in steps),
            highlight=False,
            markup=False,
        )


def _with_audit(code: int, report: Path | None) -> int:
    """A completed run whose post-run audit found errors did not leave the cluster right."""
    if code == app.EXIT_OK and report is not None and audit_counts(report)[0]:
        err.print("the rollout completed, but the cluster is not right (see the audit above)")
        return app.EXIT_FAILED
    return code


def _journaled_state(states: Path, run_id: str) -> str:
    journal = Journal(states / "journal.sqlite")
    try:
        return journal.run_state(run_id)
    finally:
        journal.close()


def _run_state(journal: Journal, states: Path, run_id: str, cluster: str) -> str:
    """The journal's last word, except that a "running" run nobody runs was killed."""
    state = journal.run_state(run_id)
    if state != "running":
        return state
    holder = lock_holder(states / "locks", cluster)
    if holder and holder.get("run_id") == run_id:
        return f"running (pid {holder.get('pid', '?')})"
    return "stopped while running (killed or crashed); continue with: " + app.resume_command(
        run_id, states
    )


cli.command()(demo)


def main() -> None:
    cli()
