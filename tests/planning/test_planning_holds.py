"""Stage names the playbook's ``approvals`` are checked against are the planner's, and
where ``--stop-after install`` and approvals hold a plan."""

from __future__ import annotations

from planning_samples import cluster, inventory_for, node, playbook

from orchestrator.app import hold_points
from orchestrator.config.playbook import STAGE_NAMES
from orchestrator.planning import build_plan

REBOOT = "9.1.2.10000-28"


def typical_plan():
    facts = cluster(
        node("pub", pub=True, tftp=True, release=REBOOT),
        node("s1", release=REBOOT),
        node("s2", release=REBOOT),
        node("s3", release=REBOOT),
        groups={"G1": ["s1", "s2"], "G2": ["s3"]},
    )
    return build_plan(inventory_for(facts), playbook(max_parallel=1), facts)


def test_every_planned_stage_has_a_name_approvals_accept():
    plan = typical_plan()
    names = [stage.name for stage in plan.stages]
    assert "restart-publisher" in names and "restart-wave-2" in names
    assert set(names) <= set(STAGE_NAMES)


def test_stop_after_install_holds_before_the_first_restart_and_approvals_match_patterns():
    plan = typical_plan()
    book = playbook()
    assert hold_points(plan, book) == {}
    holds = hold_points(plan, book, "install")
    assert (
        list(holds) == ["restart-publisher"]
        and "--stop-after install" in holds["restart-publisher"]
    )
    book = book.model_copy(update={"approvals": ["restart-wave-*"]})
    waves = [s.name for s in plan.stages if s.name.startswith("restart-wave-")]
    assert list(hold_points(plan, book)) == waves
