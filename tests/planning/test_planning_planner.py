"""build_plan: Cisco's order, skips, restart scope, waves, estimates, round trips."""

from __future__ import annotations

import socket

import pytest
from planning_samples import COP, cluster, inventory_for, node, playbook

from orchestrator.config import Playbook
from orchestrator.cucm.release import RestartScope
from orchestrator.cucm.texts import SVC_CALLMANAGER as CALLMANAGER
from orchestrator.cucm.texts import SVC_TFTP as TFTP
from orchestrator.cucm.texts import SVC_TOMCAT as TOMCAT
from orchestrator.planning import (
    Action,
    ClusterFacts,
    Estimates,
    Plan,
    StageKind,
    build_plan,
    violations,
)
from orchestrator.planning.waves import WaveProblem


def plan_for(facts: ClusterFacts, estimates: Estimates | None = None, **book) -> Plan:
    return build_plan(inventory_for(facts), playbook(**book), facts, estimates)


def typical(release: str = "12.5.1.14900-63") -> ClusterFacts:
    return cluster(
        node("pub", pub=True, tftp=True, release=release),
        node("s1", release=release),
        node("s2", release=release),
        node("s3", release=release),
        node("s4", release=release),
        node("tftp1", cm=False, tftp=True, release=release),
        groups={"G1": ["s1", "s2"], "G2": ["s3", "s4"]},
    )


def waves_of(plan: Plan) -> list[list[str]]:
    return [
        sorted(n for s in st.steps for n in s.nodes)
        for st in plan.stages
        if st.kind is StageKind.RESTART_WAVE
    ]


def stage(plan: Plan, name: str):
    return next(s for s in plan.stages if s.name == name)


def test_stage_order():
    plan = plan_for(typical())
    assert [s.kind for s in plan.stages] == [
        StageKind.PRECHECKS,
        StageKind.INSTALL_PUBLISHER,
        StageKind.VERIFY_PUBLISHER,
        StageKind.INSTALL_SUBSCRIBERS,
        StageKind.VERIFY,
        StageKind.RESTART_PUBLISHER,
        StageKind.RESTART_WAVE,
        StageKind.RESTART_WAVE,
        StageKind.RESTART_WAVE,
        StageKind.POSTCHECKS,
    ]
    assert [s.nodes for s in stage(plan, "prechecks").steps] == [
        ["pub"],
        ["s1"],
        ["s2"],
        ["s3"],
        ["s4"],
        ["tftp1"],
    ]
    assert len(stage(plan, "postchecks").steps) == 6


def test_publisher_installs_alone_and_first_then_tftp_nodes():
    plan = plan_for(typical())
    installs = [s for s in plan.stages if s.kind.value.startswith("install")]
    assert [st.nodes for st in installs[0].steps] == [["pub"]]
    assert "publisher first" in installs[0].steps[0].reason
    # the subscribers share one bounded pool; the TFTP node is queued first
    assert len(installs) == 2
    assert [st.nodes[0] for st in installs[1].steps] == ["tftp1", "s1", "s2", "s3", "s4"]
    assert "TFTP" in installs[1].steps[0].reason


def test_install_parallel_bounds_the_pool():
    facts = cluster(node("pub", pub=True, tftp=True), *(node(f"s{i}") for i in range(7)))
    plan = plan_for(facts, install_parallel=3)
    pools = [st for st in plan.stages if st.kind is StageKind.INSTALL_SUBSCRIBERS]
    assert [(p.name, len(p.steps), p.max_parallel) for p in pools] == [
        ("install-subscribers", 7, 3)
    ]
    # three rounds of the slowest install
    assert pools[0].estimated_seconds == 3 * plan.estimates.install_subscriber


def test_installed_nodes_are_skipped_with_reason():
    facts = cluster(
        node("pub", pub=True, tftp=True),
        node("s1", options=("cmterm-devicepack12.5.1.17123-1.cop",)),
        node("s2"),
    )
    plan = plan_for(facts)
    installed = [s.nodes[0] for s in plan.steps if s.action is Action.INSTALL]
    assert installed == ["pub", "s2"]
    subs = stage(plan, "install-subscribers")
    assert [(k.node, k.action) for k in subs.skipped] == [("s1", Action.INSTALL)]
    assert "already installed" in subs.skipped[0].reason
    # The restart is cluster-wide whatever was skipped.
    assert plan.restart_scope is RestartScope.SERVICES


def test_sha512_cop_matches_option_listed_without_suffix():
    cop = "cmterm-devicepack15.0.1.15031-2.cop.sha512"
    facts = cluster(
        node(
            "pub",
            pub=True,
            tftp=True,
            release="15.0.1.10000-1",
            options=("cmterm-devicepack15.0.1.15031-2.cop",),
        ),
        node("s1", release="15.0.1.10000-1"),
    )
    plan = plan_for(facts, cop=cop)
    assert [s.nodes for s in plan.steps if s.action is Action.INSTALL] == [["s1"]]
    assert stage(plan, "install-publisher").skipped[0].node == "pub"
    assert plan.warnings == []


def test_sha512_cop_on_old_release_warns_about_signing_key():
    cop = "cmterm-devicepack15.0.1.15031-2.cop.sha512"
    facts = cluster(
        node("pub", pub=True, tftp=True, release="12.5.1.13900-152"),
        node(
            "s1",
            release="12.5.1.13900-152",
            options=("ciscocm.enable-sha512sum-2021-signing-key-v1.0.cop",),
        ),
    )
    warnings = plan_for(facts, cop=cop).warnings
    assert len(warnings) == 1
    assert warnings[0].startswith("pub runs 12.5.1.13900-152")


def test_everything_installed_means_no_restart():
    opts = ("cmterm-devicepack12.5.1.17123-1.cop",)
    facts = cluster(node("pub", pub=True, tftp=True, options=opts), node("s1", options=opts))
    plan = plan_for(facts)
    assert not [
        s
        for s in plan.steps
        if s.action in (Action.INSTALL, Action.REBOOT, Action.RESTART_SERVICES)
    ]
    assert plan.restart_scope is None
    assert any("nothing to install or restart" in n for n in plan.notes)
    assert [s.kind for s in plan.stages if s.steps][-2:] == [StageKind.VERIFY, StageKind.POSTCHECKS]


def test_pending_restart_restarts_even_when_installed():
    opts = ("cmterm-devicepack12.5.1.17123-1.cop",)
    facts = cluster(
        node("pub", pub=True, tftp=True, options=opts), node("s1", options=opts, pending=True)
    )
    plan = plan_for(facts)
    # only the node that has not picked the pack up restarts; the publisher already did
    assert [s.nodes for s in plan.steps if s.action is Action.RESTART_SERVICES] == [["s1"]]
    assert any("s1 has not been restarted" in n for n in plan.notes)
    assert any("publisher pub already picked up" in n for n in plan.notes)


def test_installed_node_that_picked_the_pack_up_is_not_restarted():
    opts = ("cmterm-devicepack12.5.1.17123-1.cop",)
    facts = cluster(node("pub", pub=True, tftp=True), node("s1", options=opts), node("s2"))
    plan = plan_for(facts)
    restarted = [
        s.nodes[0] for s in plan.steps if s.action in (Action.RESTART_SERVICES, Action.REBOOT)
    ]
    assert restarted == ["pub", "s2"]


def test_verify_step_checks_the_playbook_models_on_the_publisher():
    plan = plan_for(typical())
    for name in ("verify-publisher", "verify"):
        step = stage(plan, name).steps[0]
        assert (step.action, step.nodes, step.models) == (
            Action.VERIFY,
            ["pub"],
            ["Cisco 7841", "Cisco 8851"],
        )
    names = [s.name for s in plan.stages]
    # right after the publisher's install, before any subscriber is touched
    assert names[names.index("install-publisher") + 1] == "verify-publisher"
    assert names.index("verify-publisher") < names.index("install-subscribers")


def test_no_publisher_verify_without_subscriber_installs():
    opts = ("cmterm-devicepack12.5.1.17123-1.cop",)
    only_pub = plan_for(cluster(node("pub", pub=True, tftp=True), node("s1", options=opts)))
    assert StageKind.VERIFY_PUBLISHER not in [s.kind for s in only_pub.stages]
    # the publisher already has the pack, a subscriber does not: check before touching it
    only_sub = plan_for(cluster(node("pub", pub=True, tftp=True, options=opts), node("s1")))
    kinds = [s.kind for s in only_sub.stages if s.steps]
    assert kinds.index(StageKind.VERIFY_PUBLISHER) < kinds.index(StageKind.INSTALL_SUBSCRIBERS)


@pytest.mark.parametrize(
    ("release", "scope", "words"),
    [
        ("9.1.2.10000-28", RestartScope.REBOOT, "older than 11.5(1)"),
        ("11.5.1.12900-21", RestartScope.REBOOT, "11.5(1)SU5"),
        ("12.0.1.21900-7", RestartScope.REBOOT, "12.0(1)SU2"),
        ("11.5.1.15900-18", RestartScope.SERVICES, "or later"),
        ("12.5.1.14900-63", RestartScope.SERVICES, "or later"),
        ("15.0.1.10000-1", RestartScope.SERVICES, "or later"),
    ],
)
def test_auto_follows_cisco_rule(release, scope, words):
    plan = plan_for(typical(release))
    assert plan.restart_scope is scope
    assert words in plan.restart_reason
    action = Action.REBOOT if scope is RestartScope.REBOOT else Action.RESTART_SERVICES
    restarts = [s for s in plan.steps if s.action in (Action.REBOOT, Action.RESTART_SERVICES)]
    assert {s.action for s in restarts} == {action}
    assert sorted(s.nodes[0] for s in restarts) == ["pub", "s1", "s2", "s3", "s4", "tftp1"]


def test_mixed_releases_use_the_lowest_and_say_so():
    facts = cluster(
        node("pub", pub=True, tftp=True, release="12.5.1.14900-63"),
        node("s1", release="11.5.1.12900-21"),
    )
    plan = plan_for(facts)
    assert plan.restart_scope is RestartScope.REBOOT
    assert "mixed releases" in plan.restart_reason
    assert "lowest, 11.5.1.12900-21" in plan.restart_reason
    assert any("mixed releases" in n for n in plan.notes)


def test_mixed_but_all_new_enough_still_services():
    facts = cluster(
        node("pub", pub=True, tftp=True, release="14.0.1.10000-20"),
        node("s1", release="12.5.1.14900-63"),
    )
    plan = plan_for(facts)
    assert plan.restart_scope is RestartScope.SERVICES
    assert "mixed releases" in plan.restart_reason


def test_forced_reboot_on_new_release():
    plan = plan_for(typical(), strategy="reboot")
    assert plan.restart_scope is RestartScope.REBOOT
    assert plan.restart_reason == "reboot forced by playbook (restart.strategy: reboot)"
    assert any("more than" in n for n in plan.notes)
    assert stage(plan, "restart-publisher").steps[0].action is Action.REBOOT


def test_forced_services_on_old_release_warns():
    plan = plan_for(typical("9.1.2.10000-28"), strategy="services")
    assert plan.restart_scope is RestartScope.SERVICES
    assert "forced by playbook" in plan.restart_reason
    assert any("requires a cluster reboot" in w for w in plan.warnings)


def test_services_scope_service_lists():
    plan = plan_for(typical())
    services = {s.nodes[0]: s.services for s in plan.steps if s.action is Action.RESTART_SERVICES}
    assert services == {
        "pub": [TFTP, TOMCAT, CALLMANAGER],
        "tftp1": [TFTP, TOMCAT],
        **{n: [TOMCAT] for n in ("s1", "s2", "s3", "s4")},
    }
    assert stage(plan, "restart-publisher").steps[0].nodes == ["pub"]


def test_services_scope_skips_callmanager_on_a_publisher_without_it():
    facts = cluster(
        node("pub", pub=True, cm=False, tftp=False), node("s1", tftp=True), node("s2", tftp=True)
    )
    plan = plan_for(facts)
    assert stage(plan, "restart-publisher").steps[0].services == [TOMCAT]
    assert any("does not run on the publisher" in n for n in plan.notes)


def test_backups_restart_before_primaries():
    facts = cluster(
        node("pub", pub=True, tftp=True),
        node("a"),
        node("b"),
        node("c"),
        groups={"G1": ["a", "b", "c"]},
    )
    plan = plan_for(facts, strategy="reboot", max_parallel=3)
    waves = waves_of(plan)
    position = {n: i for i, w in enumerate(waves) for n in w}
    assert position["a"] > position["b"]
    assert position["a"] > position["c"]
    assert len(waves) == 3  # one group of three: one member per wave
    reasons = {s.nodes[0]: s.reason for s in plan.steps if s.action is Action.REBOOT}
    assert "backup of group G1 before its primary a" in reasons["b"]
    assert "primary of group G1 after its backups b, c" in reasons["a"]


def test_mutual_backups_are_split_and_explained():
    facts = cluster(
        node("pub", pub=True, tftp=True),
        node("a"),
        node("b"),
        groups={"G1": ["a", "b"], "G2": ["b", "a"]},
    )
    plan = plan_for(facts, strategy="reboot")
    assert waves_of(plan) == [["a"], ["b"]]
    assert any("back each other up" in n for n in plan.notes)


def test_no_two_group_members_in_one_wave_and_wave_limit():
    plan = plan_for(typical(), strategy="reboot", max_parallel=2)
    for wave in waves_of(plan):
        assert len(wave) <= 2
        assert not {"s1", "s2"} <= set(wave)
        assert not {"s3", "s4"} <= set(wave)
    # 5 subscribers, 2 per wave: 3 waves at least, and this cluster needs no more.
    assert len(waves_of(plan)) == 3


def test_tftp_stays_up_when_the_publisher_is_not_tftp():
    facts = cluster(node("pub", pub=True, tftp=False), node("t1", tftp=True), node("t2", tftp=True))
    plan = plan_for(facts, strategy="reboot", max_parallel=4)
    assert waves_of(plan) == [["t1"], ["t2"]]
    reasons = [s.reason for s in plan.steps if s.action is Action.REBOOT and s.nodes != ["pub"]]
    assert "TFTP stays up on t2" in reasons[0]


def test_single_tftp_node_is_noted():
    facts = cluster(node("pub", pub=True, tftp=False), node("t1", tftp=True), node("s1"))
    plan = plan_for(facts, strategy="reboot")
    assert any("only TFTP node" in n for n in plan.notes)


def test_publisher_only_cluster():
    plan = plan_for(cluster(node("pub", pub=True, tftp=True)))
    assert waves_of(plan) == []
    assert [s.kind for s in plan.stages][-2:] == [StageKind.RESTART_PUBLISHER, StageKind.POSTCHECKS]


def test_estimates_follow_the_critical_path():
    est = Estimates(
        precheck=10,
        install_publisher=100,
        install_subscriber=50,
        verify=5,
        reboot=30,
        services_back=20,
        replication_settle=40,
        service_restart=7,
    )
    facts = cluster(
        node("pub", pub=True, tftp=True), node("s1"), node("s2"), groups={"G": ["s1", "s2"]}
    )
    plan = plan_for(facts, est, strategy="reboot", gates={"replication": True, "settle_seconds": 3})
    gate = 3 + 40
    assert stage(plan, "restart-publisher").estimated_seconds == 30 + 20 + gate
    expected = 10 + 100 + 5 + 50 + 5 + (50 + gate) * 3 + 10  # verify-publisher, then verify
    assert plan.estimated_seconds == expected
    services = plan_for(facts, est, gates={"replication": True, "settle_seconds": 3})
    # pub restarts Tftp, Tomcat, CallManager; subscribers Tomcat; no replication gate.
    assert services.estimated_seconds == 10 + 100 + 5 + 50 + 5 + (3 * 7 + 3) + 2 * (7 + 3) + 10


def test_no_gate_without_replication_and_settle():
    plan = plan_for(typical("9.1.2.10000-28"), gates={"replication": False, "settle_seconds": 0})
    assert all(s.gate is None for s in plan.stages)


def test_replication_gate_uses_playbook_timeout():
    plan = plan_for(typical("9.1.2.10000-28"), timeouts={"replication": 999})
    gate = stage(plan, "restart-wave-1").gate
    assert gate is not None and gate.replication and gate.timeout_seconds == 999


def test_step_ids_are_unique_and_stable():
    facts = typical()
    plan = plan_for(facts)
    ids = [s.id for s in plan.steps]
    assert len(ids) == len(set(ids))
    assert "install-publisher/pub" in ids
    assert plan_for(facts).model_dump() == plan.model_dump()


def test_json_round_trip():
    plan = plan_for(typical("11.5.1.12900-21"))
    text = plan.model_dump_json()
    again = Plan.model_validate_json(text)
    assert again == plan
    assert again.estimated_seconds == plan.estimated_seconds
    assert '"estimated_seconds"' in text


def test_waves_in_plan_obey_the_rules():
    facts = typical("9.1.2.10000-28")
    plan = plan_for(facts)
    problem = WaveProblem(
        nodes=("s1", "s2", "s3", "s4", "tftp1"),
        groups=facts.groups,
        tftp=frozenset({"tftp1"}),
        tftp_elsewhere=True,
        max_parallel=2,
    )
    assert violations(problem, waves_of(plan)) == []


def test_planner_is_pure(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the planner must not touch the network")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr("builtins.open", no_network)
    assert plan_for(typical()).stages


def test_inventory_differences_become_warnings():
    facts = typical()
    inventory = inventory_for(facts)
    inventory.nodes[5].tftp = False
    plan = build_plan(inventory, playbook(), facts)
    assert any("tftp1" in w and "tftp: no" in w for w in plan.warnings)


def test_is_current(monkeypatch):
    facts = typical()
    plan = plan_for(facts)
    assert plan.is_current(facts)
    changed = facts.model_copy(deep=True)
    changed.nodes[1].release = "14.0.1.10000-20"
    assert not plan.is_current(changed)


def test_playbook_estimates_are_the_default():
    facts = typical()
    book = playbook(estimates={"verify": 1234})
    plan = build_plan(inventory_for(facts), book, facts)
    assert plan.estimates.verify == 1234
    assert stage(plan, "verify").steps[0].estimated_seconds == 1234
    assert book.cop.file == COP


def test_plan_reminds_of_the_drs_backup_only_when_something_is_installed():
    opts = ("cmterm-devicepack12.5.1.17123-1.cop",)
    fresh = plan_for(cluster(node("pub", pub=True, tftp=True), node("s1")))
    assert any("DRS backup" in note for note in fresh.notes)
    done = plan_for(
        cluster(node("pub", pub=True, tftp=True, options=opts), node("s1", options=opts))
    )
    assert not any("DRS backup" in note for note in done.notes)


def test_the_plan_says_how_much_free_space_the_prechecks_want():
    assumed = plan_for(typical())
    assert any("2048 MB free" in n and "cop.size_mb" in n for n in assumed.notes), assumed.notes
    book = playbook()
    book = book.model_copy(update={"cop": book.cop.model_copy(update={"size_mb": 300})})
    sized = build_plan(inventory_for(typical()), book, typical(), None)
    assert any("600 MB free (twice the COP's 300 MB)" in n for n in sized.notes), sized.notes


@pytest.mark.parametrize("release", ["9.1.2.10000-28", "12.5.1.14900-63"])
def test_single_node_cluster_has_no_replication_gates(release):
    facts = cluster(node("pub", pub=True, release=release, tftp=True), groups={"G": ["pub"]})
    plan = plan_for(facts)
    assert not plan.replication_checks
    assert any("single-node cluster" in note for note in plan.notes)
    assert all(not (s.gate and s.gate.replication) for s in plan.stages)
    assert all("replication" not in step.reason for step in plan.steps)
    multi = plan_for(typical(release))
    assert multi.replication_checks


# ----- several COPs: each kind's restart need, the strongest wins -------------------------

LOCALE = "cm-locale-de_DE-12.5.1.1000-1.cop.sgn"
DIALPLAN = "dp-ffr.3-1-24.GLOBAL.cop.sgn"
KEY = "ciscocm.enable-sha512sum-2021-signing-key-v1.0.cop.sgn"


def _cops(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"file": f, "kind": k, "md5": "c413ad957bc8c1011b91bbda8d8409ea"} for f, k in pairs]


def plan_cops(
    facts: ClusterFacts, cops: list[dict[str, str]], models: list[str] | None = None
) -> Plan:
    book = playbook().model_dump(exclude={"cop", "cops"}, exclude_none=True)
    book["sftp"]["password"] = "env:Z"
    book.update(cops=cops, models=["Cisco 7841"] if models is None else models)
    return build_plan(inventory_for(facts), Playbook.model_validate(book), facts)


def test_a_locale_cop_makes_a_service_restart_release_reboot():
    result = plan_cops(typical(), _cops((COP, "devicepack"), (LOCALE, "locale")))
    assert result.restart_scope is RestartScope.REBOOT
    assert LOCALE in result.restart_reason and "locale" in result.restart_reason
    assert any("2 COPs" in note and "one restart cycle" in note for note in result.notes)
    # still one install step per node, one restart per node
    installs = [s for s in result.steps if s.action is Action.INSTALL]
    assert sorted(s.nodes[0] for s in installs) == sorted(n.name for n in typical().nodes)
    reboots = [s.nodes[0] for s in result.steps if s.action is Action.REBOOT]
    assert len(reboots) == len(set(reboots)) == len(typical().nodes)


def test_a_dial_plan_restarts_callmanager_on_every_node_running_it():
    result = plan_cops(typical(), _cops((COP, "devicepack"), (DIALPLAN, "dialplan")))
    assert result.restart_scope is RestartScope.SERVICES
    by_node = {s.nodes[0]: s.services for s in result.steps if s.action is Action.RESTART_SERVICES}
    assert CALLMANAGER in by_node["s1"] and CALLMANAGER in by_node["pub"]
    assert CALLMANAGER not in by_node["tftp1"]  # it does not run there


def test_only_a_signing_key_needs_no_restart_and_no_verify():
    result = plan_cops(typical(), _cops((KEY, "signing-key")), models=[])
    assert result.restart_scope is None
    assert not [
        s
        for s in result.steps
        if s.action in (Action.REBOOT, Action.VERIFY, Action.RESTART_SERVICES)
    ]
    assert [s for s in result.steps if s.action is Action.INSTALL]


def test_a_node_with_only_some_cops_still_installs():
    facts = typical()
    for n in facts.nodes:
        n.installed_options.append(COP.removesuffix(".sgn"))
    result = plan_cops(facts, _cops((COP, "devicepack"), (LOCALE, "locale")))
    assert len([s for s in result.steps if s.action is Action.INSTALL]) == len(facts.nodes)


def test_a_signing_key_cop_in_the_playbook_answers_the_sha512_warning():
    old = "11.5.1.10000-6"
    facts = cluster(node("pub", pub=True, tftp=True, release=old), node("s1", release=old))
    sha = "cmterm-devicepack15.0.1.15031-2.cop.sha512"
    alone = plan_cops(facts, _cops((sha, "devicepack")))
    assert any("signing-key" in w for w in alone.warnings)
    with_key = plan_cops(facts, _cops((sha, "devicepack"), (KEY, "signing-key")))
    assert not any("signing-key" in w for w in with_key.warnings)
