"""``devpack report`` and the report written at the end of ``run`` / ``resume``."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from orchestrator import logs
from orchestrator.access import ClusterAccess
from orchestrator.app import Inputs
from orchestrator.audit.gather import AuditInputs, AuditUnavailable
from orchestrator.audit.service import audit_cluster
from orchestrator.config.errors import ConfigError
from orchestrator.console import operator_console
from orchestrator.engine.cluster import DriverGateway
from orchestrator.errors import EXIT_INPUT
from orchestrator.report.service import NoSuchRun, write_audit_report, write_run_report


def _console(stderr: bool = False) -> Console:
    return operator_console(stderr)


def audit_inputs(inputs: Inputs) -> AuditInputs:
    access = {f.name: getattr(inputs, f.name) for f in fields(ClusterAccess)}
    return AuditInputs(**access, playbook=inputs.playbook)


def write_report_after_run(
    inputs: Inputs, states: Path, run_id: str, gateway: DriverGateway | None = None
) -> Path | None:
    """Audit the cluster and write the run's report; a failure here never fails the run."""
    try:
        folder = write_run_report(
            states,
            run_id,
            playbook=inputs.playbook,
            audit_inputs=audit_inputs(inputs),
            gateway=gateway,
        )
    except Exception as exc:
        from orchestrator.app import resume_command

        reason = logs.REDACTOR.scrub(f"{type(exc).__name__}: {exc}")
        _console(stderr=True).print(
            f"[yellow]warning:[/] could not write the run's report: {escape(reason)}",
            highlight=False,
        )
        # a resume of a completed run without its report audits and writes it again
        _console(stderr=True).print(
            f"  what to do: fix that (free space?), then: {resume_command(run_id, states)}",
            highlight=False,
            markup=False,
        )
        return None
    _console().print(f"report: {folder / 'report.html'}", highlight=False)
    errors, warnings = audit_counts(folder)
    if errors or warnings:
        _console(stderr=True).print(
            f"[red]post-run audit: {errors} error(s), {warnings} warning(s)[/] "
            f"— see {folder / 'report.md'}",
            highlight=False,
        )
    else:
        _console().print("post-run audit: clean", highlight=False)
    return folder


def audit_counts(folder: Path) -> tuple[int, int]:
    """(errors, warnings) of the post-run audit written in ``folder``."""
    try:
        report = json.loads((folder / "report.json").read_text())
    except (OSError, ValueError):
        return 0, 0
    findings = (report.get("audit") or {}).get("findings") or []
    severities = [f.get("severity") for f in findings]
    return severities.count("error"), severities.count("warning")


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
            result = audit_cluster(audit_inputs(inputs))
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
            f"[red]error:[/] no run {escape(run_id)} in {states / 'journal.sqlite'}",
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
    if later is not None:
        out.print(f"audit of the cluster now: {later / 'report.html'}", highlight=False)
