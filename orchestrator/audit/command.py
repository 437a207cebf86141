"""``devpack audit``: the command (registered in ``orchestrator.cli``)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from orchestrator import results
from orchestrator.audit.gather import AuditUnavailable
from orchestrator.audit.model import EXIT_UNAVAILABLE, AuditResult, Severity
from orchestrator.audit.service import audit_cluster, load_audit_inputs
from orchestrator.config.errors import ConfigError
from orchestrator.console import operator_console
from orchestrator.errors import UserError
from orchestrator.files import check_writable_dir

_COLOURS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def _consoles() -> tuple[Console, Console]:
    return operator_console(), operator_console(stderr=True)


def audit_command(
    inventory: Path = typer.Option(..., "--inventory", "-i", help="Inventory YAML"),
    playbook: Path | None = typer.Option(
        None,
        "--playbook",
        "-p",
        help="Audit against this playbook's device pack (default: the newest pack found)",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the machine-readable result"),
    report: Path | None = typer.Option(
        None, "--report", help="Also write report.json, report.md and report.html here"
    ),
    state_dir: Path | None = typer.Option(
        None,
        "--state-dir",
        help="Accepted like every command's; the audit itself writes no state (default .devpack)",
    ),
) -> None:
    """Audit a cluster (read-only): is the device pack everywhere and picked up?

    Exit status: 0 clean, 1 findings (errors or warnings), 2 could not audit.
    """
    out, err = _consoles()

    def unavailable(message: str, hint: str = "") -> typer.Exit:
        if as_json:
            results.emit(results.error_document("audit", EXIT_UNAVAILABLE, message, hint))
        return typer.Exit(EXIT_UNAVAILABLE)

    if state_dir is not None and state_dir.exists() and not state_dir.is_dir():
        err.print(f"[red]error:[/] --state-dir {escape(str(state_dir))} is not a folder")
        raise unavailable(f"--state-dir {state_dir} is not a folder")
    try:
        if report is not None:  # before logging in to every node
            check_writable_dir(report, "--report")
        inputs = load_audit_inputs(inventory, playbook)
        result = audit_cluster(inputs)
    except ConfigError as exc:
        err.print(f"[red]error:[/] {escape(str(exc))}", highlight=False)
        raise unavailable(str(exc), exc.hint or "") from None
    except UserError as exc:
        err.print(f"[red]error:[/] {escape(exc.message)}", highlight=False)
        if exc.hint:
            err.print(f"  what to do: {escape(exc.hint)}", highlight=False)
        raise unavailable(exc.message, exc.hint) from None
    except AuditUnavailable as exc:
        err.print(f"[red]could not audit:[/] {escape(exc.reason)}", highlight=False)
        if exc.hint:
            err.print(f"  what to do: {escape(exc.hint)}", highlight=False)
        raise unavailable(f"could not audit: {exc.reason}", exc.hint or "") from None
    if report is not None:
        from orchestrator.report.service import write_audit_report

        try:
            write_audit_report(result, report, inputs.playbook, inputs.ca_bundle)
        except OSError as exc:
            err.print(
                f"[red]error:[/] cannot write the report to {escape(str(report))}: "
                f"{escape(exc.strerror or str(exc))}",
                highlight=False,
            )
            err.print("  what to do: give --report a folder you can write", highlight=False)
            raise unavailable(
                f"cannot write the report to {report}: {exc.strerror or exc}",
                "give --report a folder you can write",
            ) from None
    if as_json:
        results.emit(results.audit_document(result, report))
    else:
        print_result(result, out)
        if report is not None:
            out.print(f"report written to {report}/report.html", highlight=False)
    raise typer.Exit(result.exit_code)


def print_result(result: AuditResult, out: Console) -> None:
    against = f"{result.pack} ({result.pack_source})" if result.pack else "no device pack"
    out.print(
        f"audit of cluster [bold]{escape(result.cluster)}[/] ({', '.join(result.nodes)}) "
        f"against {escape(against)}",
        highlight=False,
    )
    if result.release:
        rule = "a reboot of every node" if result.restart_rule == "reboot" else "service restarts"
        out.print(
            f"release {result.release}: Cisco's rule after a device pack is {rule}",
            highlight=False,
        )
    for finding in result.findings:
        colour = _COLOURS[finding.severity]
        where = f" {finding.node}" if finding.node else ""
        out.print(
            f"[{colour}]{finding.severity.upper():7}[/] {finding.code}{escape(where)}: "
            f"{escape(finding.message)}",
            highlight=False,
        )
        if finding.remedy:
            out.print(f"        what to do: {escape(finding.remedy)}", highlight=False)
    colour = "green" if result.exit_code == 0 else "red"
    out.print(f"[{colour}]audit: {result.verdict}[/]", highlight=False)
