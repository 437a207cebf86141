"""``devpack report``: re-render a past run's report (the one written at the end of a
run comes from ``roll_out.post_run_report``)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from orchestrator.audit.gather import AuditUnavailable
from orchestrator.audit.service import audit_cluster
from orchestrator.config.errors import ConfigError
from orchestrator.console import operator_console
from orchestrator.engine import journals
from orchestrator.errors import EXIT_INPUT
from orchestrator.report.pdf import PdfUnavailable, render_pdf
from orchestrator.report.service import NoSuchRun, write_audit_report, write_run_report


def _console(stderr: bool = False) -> Console:
    return operator_console(stderr)


def report_command(
    run_id: str = typer.Argument(..., help="The run to render (devpack status lists them)"),
    state_dir: Path | None = typer.Option(
        None, "--state-dir", help="Journal and run folders (default .devpack)"
    ),
    audit: bool = typer.Option(
        False,
        "--audit",
        help="Also audit the cluster now: written beside the run's report under its own "
        "time; the run's post-run audit is kept as it was",
    ),
    pdf: bool = typer.Option(
        False,
        "--pdf",
        help="Also print report.pdf with headless Chromium (DEVPACK_CHROMIUM, else "
        "chromium/google-chrome on PATH); without one: a warning, exit 0, HTML written",
    ),
) -> None:
    """Re-render a past run's report (JSON, Markdown, HTML) from the journal."""
    from orchestrator import app  # the use-case layer; imported late, as the CLI is

    states = app.state_dir(state_dir)
    err = _console(stderr=True)
    try:
        folder = write_run_report(states, run_id)
        later = None
        if audit:
            _, inventory, playbook = app.load_run(states, run_id)
            inputs = app.load_inputs(inventory, playbook)
            result = audit_cluster(app.audit_inputs(inputs))
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            later = write_audit_report(
                result,
                folder.parent / f"audit-{stamp}",
                playbook=inputs.playbook,
                ca_bundle=inputs.ca_bundle,
            )
    except AuditUnavailable as exc:
        err.print(f"[red]error:[/] could not audit: {escape(exc.reason)}", highlight=False)
        if exc.hint:
            err.print(f"  what to do: {escape(exc.hint)}", highlight=False)
        raise typer.Exit(EXIT_INPUT) from None
    except NoSuchRun:
        err.print(
            f"[red]error:[/] no run {escape(run_id)} in {escape(journals.where(states))}",
            highlight=False,
        )
        err.print(
            "  what to do: devpack status lists the runs (use --state-dir if they live elsewhere)",
            highlight=False,
        )
        raise typer.Exit(EXIT_INPUT) from None
    except ConfigError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(EXIT_INPUT) from None
    except app.UserError as exc:
        err.print(f"[red]error:[/] {escape(exc.message)}", highlight=False)
        if exc.hint:
            err.print(f"  what to do: {escape(exc.hint)}", highlight=False)
        raise typer.Exit(exc.exit_code) from None
    out = _console()
    for name in ("report.json", "report.md", "report.html"):
        out.print(str(folder / name), highlight=False)
    if pdf:
        try:
            out.print(str(render_pdf(folder / "report.html")), highlight=False)
        except PdfUnavailable as exc:  # documented: the HTML stands, exit 0
            err.print(f"[yellow]warning:[/] no report.pdf: {escape(str(exc))}", highlight=False)
    if later is not None:
        out.print(f"audit of the cluster now: {later / 'report.html'}", highlight=False)
