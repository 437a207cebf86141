"""The ``devpack`` command line: parses arguments, calls the use cases
(``orchestrator.roll_out``, ``orchestrator.app``) and presents what they return."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestrator import __version__, app, logs, roll_out
from orchestrator.audit.command import audit_command
from orchestrator.cli_demo import demo
from orchestrator.cli_fleet import fleet_app
from orchestrator.cli_lab import lab_app
from orchestrator.cli_output import err, out, progress_for, show_result, user_errors
from orchestrator.cli_trust import trust_command
from orchestrator.config.planfile import read_plan_file
from orchestrator.engine.journal import Journal
from orchestrator.engine.lock import lock_holder
from orchestrator.engine.rollout import node_states
from orchestrator.engine.states import RunState
from orchestrator.files import check_writable_file, write_output
from orchestrator.planning.plan import Plan
from orchestrator.planning.render import duration, render_plan
from orchestrator.report.command import report_command

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
cli.command("trust")(trust_command)
__all__ = ["cli", "err", "main", "out", "user_errors"]

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
    given = roll_out.GivenPlan(plan_file, read_plan_file(plan_file)) if plan_file else None
    if not dry_run:
        app.check_state_dir(states)
    inputs = app.load_inputs(inventory, playbook)
    if dry_run:
        dry = roll_out.dry_run(inputs, window=window, given=given, show_plan=_show_plan)
        return _show_dry_run(dry)
    result = roll_out.roll_out(
        inputs, states, progress_for, window=window, given=given, show_plan=_show_plan
    )
    return show_result(result)


def _show_plan(the_plan: Plan) -> None:
    out.print(render_plan(the_plan))


def _show_dry_run(result: roll_out.DryRun) -> int:
    fit = result.window
    problems: list[str] = []
    if fit is not None and fit.fits:
        out.print(
            f"the plan's estimate ({duration(result.plan.estimated_seconds)}) fits the window "
            f"ending {fit.window.end.isoformat()}"
        )
    elif fit is not None:
        problems.append(
            f"the plan's estimate ({duration(result.plan.estimated_seconds)}) does not fit "
            f"the window {fit.window.start.isoformat()} / {fit.window.end.isoformat()}: the "
            "run would pause before installing"
        )
    for node in result.prechecks.nodes:
        for warning in node.warnings:
            out.print(f"[yellow]warning[/] {node.node}: {warning}")
    for warning in result.prechecks.warnings:
        out.print(f"[yellow]warning[/] {warning}")
    problems += result.prechecks.problems
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
        result = roll_out.resume(
            states,
            run_id,
            progress_for,
            window=parsed,
            announce=lambda text: out.print(text, highlight=False),
        )
    raise typer.Exit(show_result(result))


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


def _run_state(journal: Journal, states: Path, run_id: str, cluster: str) -> str:
    """The journal's last word, except that a "running" run nobody runs was killed."""
    state = journal.run_state(run_id)
    if state != RunState.RUNNING:
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
