"""Rendering: the table and the plain text carry stages, nodes, durations and reasons."""

from __future__ import annotations

import pytest
from planning_samples import cluster, inventory_for, node, playbook
from rich.console import Console

from orchestrator.planning import build_plan
from orchestrator.planning.render import duration, render_plan, render_plan_text


def sample_plan():
    facts = cluster(
        node("pub", pub=True, tftp=True, release="11.5.1.12900-21"),
        node("s1", release="11.5.1.12900-21", options=("cmterm-devicepack12.5.1.17123-1.cop",)),
        node("s2", release="11.5.1.12900-21"),
        groups={"G1": ["s1", "s2"]},
    )
    return build_plan(inventory_for(facts), playbook(), facts)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (40, "40s"), (60, "1m"), (95, "1m 35s"), (3600, "1h 00m"), (3725, "1h 02m")],
)
def test_duration(seconds, text):
    assert duration(seconds) == text


def test_rich_table_shows_every_stage_node_and_total():
    plan = sample_plan()
    console = Console(record=True, width=220, color_system=None)
    console.print(render_plan(plan))
    text = console.export_text()
    for stage in plan.stages:
        assert stage.name in text
    assert "skip install" in text
    assert "backup of group G1 before its primary s1" in text
    assert "Total" in text and duration(plan.estimated_seconds) in text
    assert "restart scope reboot" in text


def test_plain_text_has_no_markup_and_lists_everything():
    plan = sample_plan()
    text = render_plan_text(plan)
    assert "\x1b" not in text and "┃" not in text
    assert f"Total estimate: {duration(plan.estimated_seconds)} (critical path)" in text
    assert "   - skip install s1: cmterm-devicepack12.5.1.17123-1.cop is already installed" in text
    assert "   - wait (" in text
    assert "1. prechecks [2m]" in text
    # s1 already has the pack (and no pending restart): only pub and s2 reboot
    assert text.count("reboot ") == 2


def test_headline_says_nothing_to_restart_when_nothing_is_left():
    opts = ("cmterm-devicepack12.5.1.17123-1.cop",)
    facts = cluster(
        node("pub", pub=True, tftp=True, release="9.1.2.10000-28", options=opts),
        node("s1", release="9.1.2.10000-28", options=opts),
    )
    plan = build_plan(inventory_for(facts), playbook(), facts)
    assert plan.restart_scope is None
    headline = render_plan_text(plan).splitlines()[0]
    assert headline.endswith("— nothing to restart"), headline
    assert "older than" not in headline and "restart scope" not in headline
    console = Console(record=True, width=220, color_system=None)
    console.print(render_plan(plan))
    assert "nothing to restart" in console.export_text()
