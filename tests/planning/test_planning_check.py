"""A plan given with --plan: the checker refuses edited plans, accepts safe splits."""

from __future__ import annotations

import sys
from pathlib import Path

from planning_samples import cluster, inventory_for, node, playbook

from orchestrator.planning import ClusterFacts, Plan, Stage, StageKind, build_plan
from orchestrator.planning.check import plan_problems
from orchestrator.planning.plan import Action

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # bench/ is not installed
from bench.serial import serialise

R91 = "9.1.2.10000-28"


def sample_facts(pub_tftp: bool = True) -> ClusterFacts:
    return cluster(
        node("pub", pub=True, tftp=pub_tftp, release=R91),
        node("s1", tftp=True, release=R91),
        node("s2", release=R91),
        node("s3", release=R91),
        node("s4", tftp=True, release=R91),
        groups={"G1": ["s1", "s2"], "G2": ["s3", "s2", "pub"], "G3": ["s4", "s3"]},
    )


def fresh_plan(facts: ClusterFacts) -> Plan:
    return build_plan(inventory_for(facts), playbook(), facts)


def problems_of(given: Plan, facts: ClusterFacts) -> list[str]:
    return plan_problems(given, fresh_plan(facts), facts, playbook())


def with_waves(plan: Plan, waves: list[list[str]]) -> Plan:
    """``plan`` with its subscriber restart waves replaced by ``waves`` (steps reused)."""
    template = next(s for s in plan.stages if s.kind is StageKind.RESTART_WAVE)
    steps = {
        s.nodes[0]: s
        for s in plan.steps
        if s.action is Action.REBOOT and s.stage.startswith("restart-wave")
    }
    new = []
    for index, wave in enumerate(waves, start=1):
        name = f"restart-wave-{index}"
        new.append(
            template.model_copy(
                update={
                    "name": name,
                    "steps": [
                        steps[n].model_copy(update={"stage": name, "id": f"{name}/{n}"})
                        for n in wave
                    ],
                }
            )
        )
    kept = [s for s in plan.stages if s.kind is not StageKind.RESTART_WAVE]
    return plan.model_copy(update={"stages": kept[:-1] + new + kept[-1:]})


def test_a_fresh_plan_passes():
    facts = sample_facts()
    assert problems_of(fresh_plan(facts), facts) == []


def test_the_serial_baseline_passes():
    facts = sample_facts()
    serial = serialise(fresh_plan(facts))
    assert all(
        len(s.steps) == 1
        for s in serial.stages
        if s.kind is not StageKind.PRECHECKS and s.kind is not StageKind.POSTCHECKS
    )
    assert problems_of(serial, facts) == []


def test_another_valid_split_passes():
    facts = sample_facts()
    # One node per wave in an order that keeps every backup before its primary.
    plan = with_waves(fresh_plan(facts), [["s2"], ["s1"], ["s3"], ["s4"]])
    assert problems_of(plan, facts) == []


def test_two_members_of_a_group_in_one_wave_are_refused():
    facts = sample_facts()
    plan = with_waves(fresh_plan(facts), [["s2"], ["s1", "s3"], ["s4"]])
    assert problems_of(plan, facts) == []  # the planner's own split
    edited = with_waves(fresh_plan(facts), [["s1", "s2"], ["s3"], ["s4"]])
    assert problems_of(edited, facts) == [
        "stage restart-wave-1 restarts s1, s2 of group G1",
        "backup s2 of G1 is not before its primary s1",
    ]


def test_a_primary_before_its_backup_is_refused():
    facts = sample_facts()
    edited = with_waves(fresh_plan(facts), [["s1"], ["s2"], ["s3"], ["s4"]])
    assert problems_of(edited, facts) == ["backup s2 of G1 is not before its primary s1"]


def test_a_wave_too_large_or_without_tftp_is_refused():
    facts = sample_facts(pub_tftp=False)
    edited = with_waves(fresh_plan(facts), [["s2"], ["s1", "s3", "s4"]])
    found = problems_of(edited, facts)
    assert "stage restart-wave-2 has 3 nodes > 2" in found
    assert "stage restart-wave-2 takes every TFTP node down" in found
    assert "stage restart-wave-2 restarts s3, s4 of group G3" in found


def test_a_missing_node_is_refused():
    facts = sample_facts()
    edited = with_waves(fresh_plan(facts), [["s2"], ["s1", "s3"]])
    assert problems_of(edited, facts) == ["missing: reboot on s4"]


def test_an_extra_step_is_refused():
    facts = sample_facts()
    plan = fresh_plan(facts)
    stages = list(plan.stages)
    verify = next(i for i, s in enumerate(stages) if s.kind is StageKind.VERIFY)
    install = next(s for s in plan.steps if s.action is Action.INSTALL and s.nodes == ["s1"])
    extra = install.model_copy(update={"id": "install-again/s1", "stage": "install-again"})
    stages.insert(
        verify,
        Stage(
            name="install-again", kind=StageKind.INSTALL_SUBSCRIBERS, steps=[extra], reason="edited"
        ),
    )
    assert problems_of(plan.model_copy(update={"stages": stages}), facts) == [
        "twice: install on s1"
    ]
    restart = next(s for s in plan.steps if s.action is Action.REBOOT)
    other = restart.model_copy(
        update={"action": Action.RESTART_SERVICES, "services": ["Cisco Tftp"], "id": "x/pub"}
    )
    stages = [
        *plan.stages[:-1],
        Stage(name="x", kind=StageKind.RESTART_WAVE, steps=[other], reason="edited"),
        plan.stages[-1],
    ]
    assert problems_of(plan.model_copy(update={"stages": stages}), facts) == [
        "not in a plan made now: restart_services on pub (Cisco Tftp)"
    ]


def test_reordered_stages_are_refused():
    facts = sample_facts()
    plan = fresh_plan(facts)
    by_name = {s.name: s for s in plan.stages}
    order = [
        "prechecks",
        "install-publisher",
        "verify-publisher",
        "install-subscribers",
        "restart-publisher",
        "verify",
        "restart-wave-1",
        "restart-wave-2",
        "restart-wave-3",
        "postchecks",
    ]
    moved = plan.model_copy(update={"stages": [by_name[n] for n in order]})
    assert problems_of(moved, facts) == ["verify must come before any restart"]

    order = [
        "prechecks",
        "install-subscribers",
        "install-publisher",
        "verify-publisher",
        "verify",
        "restart-wave-1",
        "restart-publisher",
        "restart-wave-2",
        "restart-wave-3",
        "postchecks",
    ]
    moved = plan.model_copy(update={"stages": [by_name[n] for n in order]})
    assert problems_of(moved, facts) == [
        "the publisher installs before every other node",
        "stage verify-publisher must come before any subscriber install",
        "the publisher restarts before every subscriber",
    ]

    order = [
        "install-publisher",
        "verify-publisher",
        "prechecks",
        "install-subscribers",
        "verify",
        "restart-publisher",
        "restart-wave-1",
        "restart-wave-2",
        "postchecks",
        "restart-wave-3",
    ]
    moved = plan.model_copy(update={"stages": [by_name[n] for n in order]})
    assert problems_of(moved, facts) == [
        "prechecks must come before every other stage",
        "postchecks must come after every other stage",
    ]


def test_an_install_after_verify_is_refused_unless_serial():
    facts = sample_facts()
    plan = fresh_plan(facts)
    by_name = {s.name: s for s in plan.stages}
    order = [
        "prechecks",
        "install-publisher",
        "verify-publisher",
        "verify",
        "install-subscribers",
        "restart-publisher",
        "restart-wave-1",
        "restart-wave-2",
        "restart-wave-3",
        "postchecks",
    ]
    moved = plan.model_copy(update={"stages": [by_name[n] for n in order]})
    assert problems_of(moved, facts) == [
        "stage install-subscribers installs s1, s4, s2, s3 after verify"
    ]


def test_the_publisher_verify_must_sit_between_its_install_and_the_subscribers():
    facts = sample_facts()
    plan = fresh_plan(facts)
    kinds = [s.kind for s in plan.stages]
    at = kinds.index(StageKind.VERIFY_PUBLISHER)
    assert kinds[at - 1] is StageKind.INSTALL_PUBLISHER
    assert kinds[at + 1] is StageKind.INSTALL_SUBSCRIBERS
    by_name = {s.name: s for s in plan.stages}
    later = [
        "prechecks",
        "install-publisher",
        "install-subscribers",
        "verify-publisher",
        "verify",
        "restart-publisher",
        "restart-wave-1",
        "restart-wave-2",
        "restart-wave-3",
        "postchecks",
    ]
    moved = plan.model_copy(update={"stages": [by_name[n] for n in later]})
    assert problems_of(moved, facts) == [
        "stage verify-publisher must come before any subscriber install"
    ]
    early = ["prechecks", "verify-publisher", "install-publisher", *later[2:3], *later[4:]]
    moved = plan.model_copy(update={"stages": [by_name[n] for n in early]})
    assert problems_of(moved, facts) == [
        "stage verify-publisher must come after the publisher's install"
    ]
    dropped = [s for s in plan.stages if s.kind is not StageKind.VERIFY_PUBLISHER]
    assert problems_of(plan.model_copy(update={"stages": dropped}), facts) == [
        "missing: verify on pub (Cisco 7841, Cisco 8851)"
    ]


def test_publisher_restart_with_subscribers_is_refused():
    facts = sample_facts()
    plan = fresh_plan(facts)
    stages = list(plan.stages)
    index = next(i for i, s in enumerate(stages) if s.kind is StageKind.RESTART_PUBLISHER)
    wave = stages[index + 1]
    stages[index] = stages[index].model_copy(update={"steps": stages[index].steps + wave.steps})
    del stages[index + 1]
    found = problems_of(plan.model_copy(update={"stages": stages}), facts)
    assert (
        "the publisher restarts alone: stage restart-publisher restarts other nodes "
        "with it" in found
    )


def test_a_dropped_replication_gate_is_refused():
    facts = sample_facts()
    plan = fresh_plan(facts)
    stages = [
        s.model_copy(update={"gate": None}) if s.name == "restart-wave-2" else s
        for s in plan.stages
    ]
    assert problems_of(plan.model_copy(update={"stages": stages}), facts) == [
        "stage restart-wave-2 does not wait for database replication after its restarts"
    ]


def test_another_cluster_is_named():
    facts = sample_facts()
    other = fresh_plan(facts).model_copy(update={"cluster": "prod-east"})
    assert problems_of(other, facts) == ["this plan is for cluster prod-east, not lab"]


def test_a_changed_cluster_is_refused():
    facts = sample_facts()
    plan = fresh_plan(facts)
    changed = facts.model_copy(
        update={
            "nodes": [
                n.model_copy(update={"runs_tftp": False}) if n.name == "s4" else n
                for n in facts.nodes
            ]
        }
    )
    found = plan_problems(plan, fresh_plan(changed), changed, playbook())
    assert len(found) == 1 and "no longer matches" in found[0]


def test_other_scope_or_cop_is_refused():
    facts = sample_facts()
    plan = fresh_plan(facts)
    edited = plan.model_copy(update={"restart_scope": "services"})
    assert problems_of(edited, facts) == [
        "this plan's restart scope is services, a plan made now: reboot"
    ]


def test_a_plan_for_other_cops_is_refused_before_the_fingerprint():
    facts = sample_facts()
    plan = fresh_plan(facts)
    more = plan.model_copy(update={"cop_files": [*plan.cops, "cm-locale-de_DE-1.cop.sgn"]})
    found = problems_of(more, facts)
    assert len(found) == 1
    assert "cm-locale-de_DE-1.cop.sgn" in found[0] and "make the plan again" in found[0]


def test_a_plan_file_from_before_several_cops_still_passes():
    """Plan files written before ``cop_files`` existed mean their one ``cop_file``."""
    facts = sample_facts()
    plan = fresh_plan(facts)
    old = Plan.model_validate(plan.model_dump(mode="json", exclude={"cop_files"}))
    assert old.cop_files == [] and old.cops == [plan.cop_file]
    assert problems_of(old, facts) == []
