"""Show a plan to a human: a rich table for terminals, plain text for logs and mail."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from orchestrator.planning.plan import Plan, Stage


def duration(seconds: int) -> str:
    """3725 -> '1h 02m'; 95 -> '1m 35s'; 40 -> '40s'."""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s" if secs else f"{minutes}m"
    return f"{secs}s"


def _headline(plan: Plan) -> str:
    if plan.restart_scope is None:
        # Nothing to restart: Cisco's rule for the release does not apply to this plan.
        return f"Plan for cluster {plan.cluster}: {plan.cop_file} — nothing to restart"
    return (
        f"Plan for cluster {plan.cluster}: {plan.cop_file} — restart scope "
        f"{plan.restart_scope}: {plan.restart_reason}"
    )


def _action(step_action: str, services: list[str], models: list[str]) -> str:
    if services:
        return f"{step_action}: {', '.join(services)}"
    if models:
        return f"{step_action}: {', '.join(models)}"
    return step_action


def render_plan(plan: Plan) -> RenderableType:
    """A rich renderable: headline, one row per step, gates and skips, the total."""
    table = Table(title=f"{plan.cluster}: {plan.cop_file}", show_lines=False, expand=False)
    table.add_column("#", justify="right", style="dim")
    table.add_column("Stage", style="bold")
    table.add_column("Action")
    table.add_column("Nodes", style="cyan")
    table.add_column("Estimate", justify="right")
    table.add_column("Why")
    for number, stage in enumerate(plan.stages, start=1):
        _stage_rows(table, number, stage)
    table.add_section()
    table.add_row(
        "",
        "Total",
        "critical path",
        "",
        Text(duration(plan.estimated_seconds), style="bold"),
        "stages run in order; steps within a stage in parallel",
    )
    parts: list[RenderableType] = [Text(_headline(plan))]
    parts.append(table)
    for note in plan.notes:
        parts.append(Text(f"note: {note}", style="dim"))
    for warning in plan.warnings:
        parts.append(Text(f"warning: {warning}", style="yellow"))
    return Group(*parts)


def _stage_rows(table: Table, number: int, stage: Stage) -> None:
    first = True
    for step in stage.steps:
        table.add_row(
            str(number) if first else "",
            stage.name if first else "",
            _action(step.action, step.services, step.models),
            ", ".join(step.nodes),
            duration(step.estimated_seconds),
            step.reason,
        )
        first = False
    for skip in stage.skipped:
        table.add_row(
            str(number) if first else "",
            stage.name if first else "",
            Text(f"skip {skip.action}", style="dim"),
            skip.node,
            "-",
            skip.reason,
        )
        first = False
    if stage.gate:
        table.add_row(
            "",
            "",
            Text("wait", style="magenta"),
            "",
            duration(stage.gate.estimated_seconds),
            stage.gate.reason,
        )
    table.add_row(
        "",
        "",
        "",
        Text("stage total", style="dim"),
        Text(duration(stage.estimated_seconds), style="dim"),
        stage.reason,
        end_section=True,
    )


def render_plan_text(plan: Plan) -> str:
    """The same content without colour or box drawing, one line per item."""
    lines = [_headline(plan), ""]
    for number, stage in enumerate(plan.stages, start=1):
        lines.append(
            f"{number}. {stage.name} [{duration(stage.estimated_seconds)}] — {stage.reason}"
        )
        for step in stage.steps:
            lines.append(
                f"   - {_action(step.action, step.services, step.models)} "
                f"{', '.join(step.nodes)} ({duration(step.estimated_seconds)}): "
                f"{step.reason}"
            )
        for skip in stage.skipped:
            lines.append(f"   - skip {skip.action} {skip.node}: {skip.reason}")
        if stage.gate:
            lines.append(
                f"   - wait ({duration(stage.gate.estimated_seconds)}): {stage.gate.reason}"
            )
    lines.append("")
    lines.append(f"Total estimate: {duration(plan.estimated_seconds)} (critical path)")
    lines.extend(f"Note: {note}" for note in plan.notes)
    lines.extend(f"Warning: {warning}" for warning in plan.warnings)
    return "\n".join(lines) + "\n"
