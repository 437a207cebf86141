"""Render a report as JSON, Markdown and one self-contained HTML file (jinja2)."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from orchestrator import logs
from orchestrator.audit.model import AuditResult, Severity, stamp
from orchestrator.audit.restarts import has_option
from orchestrator.cucm.pickup import last_install
from orchestrator.cucm.texts import SVC_CALLMANAGER
from orchestrator.report.build import row_order
from orchestrator.report.schema import Report
from orchestrator.report.timeline import duration_text, picture

FILES = ("report.json", "report.md", "report.html")


def _clock(epoch: float | None) -> str:
    """ISO 8601 with its zone: ``2026-11-30T02:10:00Z`` (Z: UTC, offset zero)."""
    if epoch is None:
        return "–"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _time(epoch: float | None) -> str:
    """The time of day in UTC, with its zone: ``02:10:00Z``."""
    if epoch is None:
        return "–"
    return datetime.fromtimestamp(epoch, UTC).strftime("%H:%M:%SZ")


def _duration(seconds: float | None) -> str:
    return "–" if seconds is None else duration_text(seconds)


# Markdown passes HTML through, reads [..](..) as a link and a '|' as a table's column
# break; a backslash escapes the next character (a text ending in one would escape the
# cell's closing '|').
_MARKDOWN_ESCAPES = str.maketrans(
    {
        "\\": "\\\\",
        "|": "\\|",
        "[": "\\[",
        "]": "\\]",
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        "\r": " ",
        "\n": " ",
    }
)


def markdown_text(text: object) -> str:
    """Text (an operator, a note, a node's message) as a Markdown line or table cell shows
    it, never as markup: one line, its columns kept."""
    return str(text).translate(_MARKDOWN_ESCAPES)


def markdown_code(text: object) -> str:
    """Text as one Markdown code span (a command to copy), whatever backticks it holds:
    CommonMark closes a span only on a run of backticks as long as the one that opened it,
    so the fence is one longer than the text's longest run (padded where the text starts
    or ends with one)."""
    value = str(text).replace("\r", " ").replace("\n", " ")
    longest = max((len(run) for run in re.findall(r"`+", value)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{fence}{pad}{value}{pad}{fence}"


@functools.cache
def _environment(html: bool) -> Environment:
    # One environment per process: templates compile once, not once per report (a fleet
    # writes a report per cluster).
    env = Environment(
        loader=PackageLoader("orchestrator.report", "templates"),
        autoescape=select_autoescape(["html", "html.j2"]) if html else False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        clock=_clock,
        time=_time,
        duration=_duration,
        stamp=stamp,
        pretty=lambda value: json.dumps(value, indent=2, sort_keys=True, default=str),
        md=markdown_text,
        md_code=markdown_code,
    )
    return env


@dataclass(frozen=True)
class NodeFactsRow:
    """One node of an audit, as the per-node table shows it."""

    name: str
    role: str
    reachable: bool
    release: str
    pack: str  # yes / no / –
    installed: str
    last_boot: str
    callmanager: str
    replication: str
    worst: str  # error / warning / info / ok


def node_rows(audit: AuditResult) -> list[NodeFactsRow]:
    if audit.facts is None:
        return []
    rows = []
    for node in audit.facts.nodes:
        severities = {f.severity for f in audit.findings if f.node == node.name}
        worst = next((s.value for s in Severity if s in severities), "ok")
        install = last_install(node.installs, audit.pack) if audit.pack else None
        cm = node.service(SVC_CALLMANAGER)
        if cm is None or not cm.activated:
            callmanager = "not activated"
        elif cm.start_time is not None:
            callmanager = f"{cm.state} since {stamp(cm.start_time, node.timezone)}"
        else:
            callmanager = cm.state
        rows.append(
            NodeFactsRow(
                name=node.name,
                role=node.role,
                reachable=node.reachable,
                release=node.release or "–",
                pack=("yes" if has_option(node, audit.pack) else "no") if audit.pack else "–",
                installed=(stamp(install.time, node.timezone) or "–") if install else "–",
                last_boot=stamp(node.last_boot, node.timezone) or "–",
                callmanager=callmanager if node.reachable else "–",
                replication="–" if node.replication is None else str(node.replication),
                worst=worst,
            )
        )
    return rows


MATRIX = (
    ("Prechecks", ("precheck",)),
    ("Install", ("install",)),
    ("Verify", ("verify",)),
    ("Restart", ("reboot", "restart_services")),
    ("Postchecks", ("postcheck",)),
)


@dataclass(frozen=True)
class Cell:
    outcome: str  # done | failed | interrupted | pending | skipped | none
    when: str
    duration: str
    note: str


def node_matrix(report: Report) -> tuple[list[str], list[tuple[Any, list[Cell]]]]:
    """Per node one row, per kind of step one column: the at-a-glance table."""
    skipped: dict[tuple[str, str], str] = {}
    if report.plan:
        for stage in report.plan.stages:
            for text in stage.skipped:
                skipped_node, _, reason = text.partition(": ")
                skipped[(skipped_node, stage.kind.split("_")[0])] = reason
    used = [
        (title, actions)
        for title, actions in MATRIX
        if any(s.action in actions for n in report.nodes for s in n.steps)
    ]
    rows = []
    for node in report.nodes:
        cells = []
        for _title, actions in used:
            step = next((s for s in node.steps if s.action in actions), None)
            if step is None:
                reason = skipped.get((node.name, actions[0]), "")
                cells.append(Cell("skipped" if reason else "none", "", "", reason))
                continue
            when = f"{_time(step.started)}–{_time(step.finished)}" if step.started else ""
            note = step.message or (
                step.action.replace("_", " ") if step.action != actions[0] else ""
            )
            cells.append(Cell(step.outcome, when, _duration(step.duration_seconds), note))
        rows.append((node, cells))
    return [title for title, _ in used], rows


def _context(report: Report) -> dict[str, Any]:
    audit = report.audit
    steps = [s for node in report.nodes for s in node.steps]
    columns, matrix = node_matrix(report)
    return {
        "columns": columns,
        "matrix": matrix,
        "steps_done": sum(s.outcome in ("done", "skipped") for s in steps),
        "steps_total": len(steps),
        "r": report,
        "changes": report.changes,
        "audit": audit,
        "pic": picture(report.timeline, report.markers, row_order(report)),
        "node_rows": node_rows(audit) if audit else [],
        "counts": {s.value: audit.count(s) for s in Severity} if audit else {},
        "phones": (audit.facts.phones or []) if audit and audit.facts else [],
        "title": (
            f"devpack run {report.run.run_id}" if report.run else f"devpack audit {report.cluster}"
        ),
    }


def render(report: Report) -> dict[str, str]:
    """The three files' contents, with every known secret masked."""
    scrubbed = Report.model_validate_json(logs.REDACTOR.scrub(report.to_json()))
    context = _context(scrubbed)
    texts = {
        "report.json": scrubbed.to_json() + "\n",
        "report.md": _environment(html=False).get_template("report.md.j2").render(context),
        "report.html": _environment(html=True).get_template("report.html.j2").render(context),
    }
    # A second pass: anything a template computed from raw values is masked too.
    return {name: logs.REDACTOR.scrub(text) for name, text in texts.items()}
