"""The ``devpack`` command line: parses arguments, calls the use cases
(``orchestrator.roll_out``, ``orchestrator.app``) and presents what they return."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestrator import __version__, app, logs, results, roll_out, ticket
from orchestrator.audit.command import audit_command
from orchestrator.cli_demo import demo
from orchestrator.cli_fleet import fleet_app
from orchestrator.cli_lab import lab_app
from orchestrator.cli_options import CHANGE_ID, JSON, OPERATOR, STATE_DIR
from orchestrator.cli_output import (
    err,
    json_mode,
    out,
    progress_for,
    show_result,
    user_errors,
)
from orchestrator.cli_trust import trust_command
from orchestrator.config.planfile import read_plan_file
from orchestrator.engine import journals
from orchestrator.engine.journal import JournalStore
from orchestrator.engine.rollout import node_states
from orchestrator.engine.states import RunState
from orchestrator.files import check_writable_file, write_output
from orchestrator.next_step import next_step
from orchestrator.planning.plan import Plan
from orchestrator.planning.render import duration, render_plan
from orchestrator.report.command import report_command

cli = typer.Typer(
    help="Roll out Cisco CUCM device packs across a cluster, safely and unattended.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,
)
cli.add_typer(lab_app, name="lab")
cli.add_typer(fleet_app, name="fleet")
cli.command("audit")(audit_command)
cli.command("report")(report_command)
cli.command("trust")(trust_command)
__all__ = ["cli", "err", "main", "out", "user_errors"]

INVENTORY = typer.Option(..., "--inventory", "-i", help="Inventory YAML (inventory/*.yml)")
PLAYBOOK = typer.Option(..., "--playbook", "-p", help="Playbook YAML (playbooks/*.yml)")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"devpack {__version__}")
        raise typer.Exit()


@cli.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
    journal: str | None = typer.Option(
        None,
        "--journal",
        help="A shared journal: postgresql://USER@HOST:PORT/DB?sslmode=verify-full "
        f"(password only by reference: password=env:VAR or file:PATH, or a PGPASSFILE); "
        f"default ${journals.JOURNAL_ENV}, else journal.sqlite in the state dir",
    ),
    verbose: bool = typer.Option(
        False, "--verbose", "-v", help="Also show the run's log events on stderr"
    ),
    debug: bool = typer.Option(
        False, "--debug", help="Debug detail in the run's log and on stderr (implies -v)"
    ),
) -> None:
    """devpack."""
    journals.select(journal)
    # Structured logs go to each run's log.jsonl; -v / --debug mirror them on stderr
    # (redacted like the file), so stdout stays the operator's (or --json's) alone.
    logs.set_verbosity(debug=debug, verbose=verbose or debug)
    logs.configure(None)
    logs.quiet_libraries()


@cli.command()
def plan(
    inventory: Path = INVENTORY,
    playbook: Path = PLAYBOOK,
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the plan as JSON"),
    state_dir: Path | None = STATE_DIR,
    as_json: bool = JSON,
) -> None:
    """Discover the cluster (read-only) and print the rollout plan."""
    with json_mode("plan" if as_json else None), user_errors():
        if output:  # before logging in to every node
            check_writable_file(output, "--output")
        states = app.state_dir(state_dir)
        if states.exists() and not states.is_dir():
            raise app.UserError(
                f"--state-dir {states} is not a folder",
                "give the folder that holds journal.sqlite (default .devpack)",
            )
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
        if as_json:
            results.emit(results.plan_document(the_plan, output))


@cli.command()
def run(
    inventory: Path = INVENTORY,
    playbook: Path = PLAYBOOK,
    plan_file: Path | None = typer.Option(None, "--plan", help="Execute exactly this plan"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Prechecks and plan only"),
    window: str | None = typer.Option(None, "--window", help="START/END, ISO 8601"),
    state_dir: Path | None = STATE_DIR,
    run_id: str | None = typer.Option(
        None,
        "--run-id",
        help="Choose the run id (a scheduler's); an existing run of that id is resumed, a "
        "completed one only reports its result again",
    ),
    stop_after: str | None = typer.Option(
        None,
        "--stop-after",
        help="install: end after the installs and their verification (paused, exit 7); "
        "devpack resume does the restarts later",
    ),
    change_id: str | None = CHANGE_ID,
    operator: str | None = OPERATOR,
    as_json: bool = JSON,
) -> None:
    """Roll the playbook's device pack out to the inventory's cluster."""
    with json_mode("run" if as_json else None), user_errors():
        app.check_stop_after(stop_after)
        code = _run(
            inventory,
            playbook,
            plan_file,
            dry_run,
            window,
            app.state_dir(state_dir),
            run_id,
            stop_after,
            ticket.given(change_id, operator),
        )
    raise typer.Exit(code)


def _run(
    inventory: Path,
    playbook: Path,
    plan_file: Path | None,
    dry_run: bool,
    window_text: str | None,
    states: Path,
    run_id: str | None,
    stop_after: str | None = None,
    flags: ticket.TicketFlags | None = None,
) -> int:
    # every local input is checked before any network I/O (logging in takes minutes)
    window = app.parse_window(window_text) if window_text else None
    given = roll_out.GivenPlan(plan_file, read_plan_file(plan_file)) if plan_file else None
    if run_id is not None:
        app.check_run_id(run_id)
    if not dry_run:
        app.check_state_dir(states)
    if run_id is not None and not dry_run:
        # a scheduler's retry of the same run: continue it (a completed one is reported)
        continued = roll_out.continue_run(
            states,
            run_id,
            inventory,
            playbook,
            progress_for,
            window=window,
            announce=_announce,
            ticket=flags,
        )
        if continued is not None:
            return _finish("run", continued)
    inputs = app.load_inputs(inventory, playbook)
    if dry_run:
        dry = roll_out.dry_run(inputs, window=window, given=given, show_plan=_show_plan)
        return _show_dry_run(dry)
    result = roll_out.roll_out(
        inputs,
        states,
        progress_for,
        window=window,
        given=given,
        show_plan=_show_plan,
        run_id=run_id,
        stop_after=stop_after,
        ticket=flags,
    )
    return _finish("run", result)


def _announce(text: str) -> None:
    out.print(text, highlight=False, markup=False)


def _finish(command: str, result: roll_out.RunResult) -> int:
    """Show the run's result (stderr under --json) and, under --json, its document."""
    from orchestrator.cli_output import json_command

    code = show_result(result)
    if json_command() is not None:
        results.emit(results.run_document(command, result, code))
    return code


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
    code = app.EXIT_PRECHECK if problems else app.EXIT_OK
    if problems:
        err.print("dry run: prechecks failed; nothing was changed")
    else:
        out.print("dry run: prechecks passed; nothing was changed")
    from orchestrator.cli_output import json_command

    if json_command() is not None:
        results.emit(results.dry_run_document(result, code))
    return code


@cli.command()
def resume(
    run_id: str = typer.Argument(..., help="The run to continue (devpack status lists them)"),
    window: str | None = typer.Option(None, "--window", help="START/END, ISO 8601"),
    state_dir: Path | None = STATE_DIR,
    change_id: str | None = typer.Option(
        None, "--change-id", help="Override the run's change ticket (journaled with a note)"
    ),
    operator: str | None = typer.Option(
        None, "--operator", help="Who resumes it (journaled with a note when it differs)"
    ),
    as_json: bool = JSON,
) -> None:
    """Continue a run that stopped, failed or was killed, without redoing finished work."""
    states = app.state_dir(state_dir)
    with json_mode("resume" if as_json else None), user_errors():
        app.check_run_id(run_id)
        app.check_state_dir(states)
        parsed = app.parse_window(window) if window else None
        flags = ticket.given(change_id, operator)
        result = roll_out.resume(
            states, run_id, progress_for, window=parsed, announce=_announce, ticket=flags
        )
        code = _finish("resume", result)
    raise typer.Exit(code)


@cli.command()
def status(
    run_id: str | None = typer.Argument(None, help="Show one run in detail"),
    state_dir: Path | None = STATE_DIR,
    as_json: bool = JSON,
) -> None:
    """List runs, or show where each node of one run stands."""
    states = app.state_dir(state_dir)
    with json_mode("status" if as_json else None), user_errors():
        if run_id is not None:
            app.check_run_id(run_id)
        if states.exists() and not states.is_dir():
            raise app.UserError(
                f"--state-dir {states} is not a folder",
                "give the folder that holds journal.sqlite (default .devpack)",
            )
        if not journals.has_journal(states):
            if run_id is not None:
                raise app.UserError(
                    f"no runs in {states}", "give the --state-dir the run was started with"
                )
            out.print(f"no runs in {states}", highlight=False, markup=False)
            if as_json:
                results.emit(results.status_document([]))
            return
        journal = journals.open_journal(states)
        try:
            runs = _status(journal, states, run_id)
        finally:
            journal.close()
        if as_json:
            results.emit(results.status_document(runs))


def _status(journal: JournalStore, states: Path, run_id: str | None) -> list[results.Document]:
    """Print the runs (or one run with its nodes); return them for --json."""
    if run_id is None:
        shown_runs = []
        for record in journal.runs():
            entry = _run_entry(journal, states, record.run_id, record.cluster)
            shown = _shown_state(entry)
            out.print(f"{record.run_id}  {record.cluster}  {shown}", highlight=False, markup=False)
            shown_runs.append(entry)
        return shown_runs
    the_plan, _, _ = app.load_run(states, run_id)
    entry = _run_entry(journal, states, run_id, the_plan.cluster)
    out.print(f"run {run_id}: {_shown_state(entry)}", highlight=False, markup=False)
    per_node = node_states(journal, run_id, the_plan)
    for node, steps in sorted(per_node.items()):
        out.print(
            f"  {node}: " + ", ".join(f"{s}={state}" for s, state in steps),
            highlight=False,
            markup=False,
        )
    entry["nodes"] = {
        node: [{"step": s, "state": state} for s, state in steps]
        for node, steps in sorted(per_node.items())
    }
    return [entry]


def _run_entry(journal: JournalStore, states: Path, run_id: str, cluster: str) -> results.Document:
    """The journal's last word, except that a "running" run nobody runs was killed."""
    state = journal.run_state(run_id)
    entry: results.Document = {
        "run_id": run_id,
        "cluster": cluster,
        "state": str(state),
        "resume_command": None,
    }
    if state == RunState.PAUSED:
        entry["paused_before"] = journal.paused_before(run_id)
    if state == RunState.RUNNING:
        holder = journals.cluster_lock_holder(states, cluster)
        if holder and holder.get("run_id") == run_id:
            entry["running_pid"] = holder.get("pid")
            return entry
    if state not in (RunState.COMPLETED, RunState.UNKNOWN):
        entry["resume_command"] = app.resume_command(run_id, states)
        last = next((e for e in reversed(journal.entries(run_id)) if e.step is None), None)
        detail = last.detail if last is not None else {}
        step = next_step(
            state,
            entry["resume_command"],
            remedy=str(detail.get("remedy") or ""),
            paused_before=entry.get("paused_before"),
        )
        entry["next_step"] = {
            "action": str(step.action),
            "command": step.command,
            "text": step.text,
        }
    return entry


def _shown_state(entry: results.Document) -> str:
    state = entry["state"]
    if "running_pid" in entry:
        return f"running (pid {entry['running_pid'] or '?'})"
    if state == RunState.RUNNING:
        return "stopped while running (killed or crashed); continue with: " + str(
            entry["resume_command"]
        )
    if state == RunState.PAUSED:
        return f"paused before {entry.get('paused_before')}; continue with: " + str(
            entry["resume_command"]
        )
    if "next_step" in entry:  # failed, paused at the window's end, interrupted
        return f"{state}; what to do: {entry['next_step']['text']}"
    return str(state)


cli.command()(demo)


def main() -> None:
    cli()
