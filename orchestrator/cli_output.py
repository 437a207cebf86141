"""What every command shows the operator: errors without tracebacks, the progress view,
a run's result. Shared by ``cli``, ``cli_demo`` and ``cli_fleet`` (which therefore do not
import each other)."""

from __future__ import annotations

import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import typer
from rich.markup import escape

from orchestrator import app, results
from orchestrator.config.errors import ConfigError
from orchestrator.console import LiveProgress, PlainProgress, operator_console
from orchestrator.engine.rollout import ProgressView
from orchestrator.engine.states import FINISHED, RunState
from orchestrator.planning.plan import Plan
from orchestrator.roll_out import PostRunReport, RunResult, exit_code

out = operator_console()
err = operator_console(stderr=True)

# Under --json: the command whose document stdout is reserved for (None: no --json).
_JSON_COMMAND: ContextVar[str | None] = ContextVar("json_command", default=None)


@contextmanager
def json_mode(command: str | None) -> Iterator[None]:
    """``--json``: stdout carries one JSON document and nothing else, so everything the
    operator would read (plan, progress, messages) goes to stderr while it lasts."""
    if command is None:
        yield
        return
    token = _JSON_COMMAND.set(command)
    # rich resolves its stream at print time when none is set (``_file`` None); the
    # previous value is restored as it was, so tests' swapped streams keep working
    previous = out._file
    out.file = sys.stderr
    try:
        yield
    finally:
        out._file = previous
        _JSON_COMMAND.reset(token)


def json_command() -> str | None:
    return _JSON_COMMAND.get()


def _fail(exit_code: int, message: str, hint: str = "") -> typer.Exit:
    command = json_command()
    if command is not None:
        results.emit(results.error_document(command, exit_code, message, hint))
    return typer.Exit(exit_code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Anything a user could have typed or a cluster could have answered: no traceback
    (under ``--json`` also an error document on stdout)."""
    try:
        yield
    except ConfigError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise _fail(app.EXIT_INPUT, str(exc), exc.hint or "") from None
    except app.UserError as exc:
        err.print(f"[red]error:[/] {escape(exc.message)}", highlight=False)
        if exc.hint:
            err.print(f"  what to do: {exc.hint}", highlight=False, markup=False)
        raise _fail(exc.exit_code, exc.message, exc.hint) from None


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


@contextmanager
def progress_for(plan: Plan) -> Iterator[ProgressView]:
    """The run's progress view: a live per-node table on a terminal, plain lines else;
    SIGTERM stops the run like Ctrl-C while it is shown."""
    nodes = sorted({step.nodes[0] for step in plan.steps})
    with sigterm_as_interrupt():
        if json_command() is not None:
            yield PlainProgress(sys.stderr)
        elif sys.stdout.isatty():
            with LiveProgress(nodes, out) as live:
                yield live
        else:
            yield PlainProgress()


def show_result(result: RunResult) -> int:
    """Print how the run ended, where each node stands, its report and audit; return
    the run's exit code (``roll_out.exit_code``)."""
    outcome = result.outcome
    run_id = result.run_id
    if outcome is None and result.already_complete:
        out.print(
            f"run {run_id} already completed; nothing to do "
            f"({app.report_command(run_id, result.states)} re-renders its report)",
            highlight=False,
            markup=False,
        )
    elif outcome is not None and outcome.status == RunState.COMPLETED:
        out.print(f"[green]run {run_id} completed[/]: {outcome.message}")
    elif outcome is not None:
        colour = "red" if outcome.status == RunState.FAILED else "yellow"
        if outcome.precheck:
            err.print(f"[red]run {run_id}: prechecks failed, nothing was changed[/]")
        err.print(
            f"[{colour}]run {run_id} {outcome.status}[/]: {escape(outcome.message)}",
            highlight=False,
        )
        err.print("where each node stands:")
        for node, steps in sorted(result.node_states.items()):
            done = [s for s, state in steps if state in FINISHED]
            open_steps = [f"{s} ({state})" for s, state in steps if state not in FINISHED]
            err.print(
                f"  {node}: done {', '.join(done) or 'nothing'}; "
                f"open {', '.join(open_steps) or 'nothing'}",
                highlight=False,
                markup=False,
            )
        err.print(f"what to do: {result.next_step().text}", highlight=False, markup=False)
    if result.report is not None:
        show_report(result.report, run_id, result)
    code = exit_code(result)
    completed = outcome is None or outcome.status == RunState.COMPLETED
    if code == app.EXIT_FAILED and result.audit_found_errors and completed:
        err.print("the rollout completed, but the cluster is not right (see the audit above)")
        err.print(f"what to do: {result.next_step().text}", highlight=False, markup=False)
    return code


def show_report(report: PostRunReport, run_id: str, result: RunResult) -> None:
    if report.folder is None:
        err.print(
            f"[yellow]warning:[/] could not write the run's report: {escape(report.failure or '')}",
            highlight=False,
        )
        # a resume of a completed run without its report audits and writes it again
        err.print(
            "  what to do: fix that (free space?), then: "
            + app.resume_command(run_id, result.states),
            highlight=False,
            markup=False,
        )
        return
    out.print(f"report: {report.folder / 'report.html'}", highlight=False)
    if report.pdf is not None:
        out.print(f"report: {report.pdf}", highlight=False)
    elif report.pdf_problem:
        err.print(f"[yellow]warning:[/] no report.pdf: {escape(report.pdf_problem)}")
    if report.errors or report.warnings:
        err.print(
            f"[red]post-run audit: {report.errors} error(s), {report.warnings} warning(s)[/] "
            f"— see {report.folder / 'report.md'}",
            highlight=False,
        )
    else:
        out.print("post-run audit: clean", highlight=False)
