"""Facts, reconcile and the fingerprint."""

from __future__ import annotations

import pytest
from planning_samples import COP, cluster, inventory_for, node
from pydantic import ValidationError

from orchestrator.planning import ClusterFacts, fingerprint, reconcile


def base() -> ClusterFacts:
    return cluster(
        node("pub", pub=True, tftp=True, address="10.0.0.1"),
        node("s1", address="10.0.0.2"),
        node("s2", address="10.0.0.3"),
        groups={"G1": ["s1", "s2"]},
    )


def test_facts_need_exactly_one_publisher():
    with pytest.raises(ValidationError, match="exactly one publisher"):
        cluster(node("a"), node("b"))


def test_facts_groups_must_name_nodes():
    with pytest.raises(ValidationError, match="unknown nodes: zz"):
        cluster(node("pub", pub=True), groups={"G": ["zz"]})


def test_facts_reject_bad_release():
    with pytest.raises(ValidationError, match="not a CUCM release"):
        node("pub", pub=True, release="12.5")


def test_reconcile_agreeing_inventory_has_no_differences():
    facts = base()
    merged, diffs = reconcile(inventory_for(facts), facts)
    assert diffs == []
    assert merged == facts


def test_reconcile_reports_readable_differences():
    facts = base()
    inventory = inventory_for(facts, cluster="other")
    inventory.nodes[1].tftp = True
    inventory.nodes[2].callmanager = False
    inventory.nodes[2].release = "11.5.1.12900-21"
    _, diffs = reconcile(inventory, facts)
    assert "inventory names the cluster 'other', discovery 'lab'" in diffs
    assert ("node s1: inventory says tftp: yes, the node does not run Cisco Tftp") in diffs
    assert "node s2: inventory says callmanager: no, the node runs Cisco CallManager" in diffs
    assert "node s2: inventory says release 11.5.1.12900-21, the node runs 12.5.1.14900-63" in diffs


def test_reconcile_matches_by_address_and_reports_missing_and_extra_nodes():
    facts = base()
    data = inventory_for(facts).model_dump(mode="json")
    data["nodes"][1]["name"] = "sub-one"  # same address as s1
    data["nodes"][2] = {"name": "ghost", "address": "10.0.0.99"}
    data["callmanager_groups"] = {"G1": ["sub-one"]}
    from orchestrator.config import Inventory

    inventory = Inventory.model_validate(data)
    _, diffs = reconcile(inventory, facts)
    assert "node s1: inventory calls it 'sub-one' (matched by address)" in diffs
    assert "node ghost: in the inventory but not in the cluster" in diffs
    assert "node s2 (10.0.0.3): discovered, not in the inventory" in diffs
    assert "CallManager group G1: inventory lists s1, the cluster s1, s2" in diffs


def test_reconcile_takes_ports_and_missing_groups_from_inventory():
    facts = base()
    inventory = inventory_for(facts)
    inventory.nodes[1].ssh_port = 2222
    bare = facts.model_copy(update={"groups": {}})
    merged, diffs = reconcile(inventory, bare)
    assert merged.node("s1").ssh_port == 2222
    assert merged.groups == {"G1": ["s1", "s2"]}
    assert "discovery found no CallManager groups; using the inventory's" in diffs


def changed(mutate) -> str:
    facts = base().model_copy(deep=True)
    mutate(facts)
    return fingerprint(facts, [COP])


def test_fingerprint_is_stable():
    assert fingerprint(base(), [COP]) == fingerprint(base(), [COP])
    assert fingerprint(base(), [COP]).startswith("sha256:")


@pytest.mark.parametrize(
    "mutate",
    [
        lambda f: setattr(f.nodes[1], "release", "14.0.1.10000-20"),
        lambda f: setattr(f.nodes[1], "runs_tftp", True),
        lambda f: setattr(f.nodes[2], "runs_callmanager", False),
        lambda f: setattr(f.nodes[2], "address", "10.9.9.9"),
        lambda f: f.nodes[1].installed_options.append("cmterm-devicepack12.5.1.17123-1.cop"),
        lambda f: f.nodes[1].installed_options.append(
            "ciscocm.enable-sha512sum-2021-signing-key-v1.0.cop"
        ),
        lambda f: setattr(f.nodes[1], "pending_restart", True),
        lambda f: f.groups.update({"G1": ["s2", "s1"]}),
        lambda f: f.groups.update({"G2": ["s1"]}),
    ],
    ids=[
        "release",
        "tftp",
        "callmanager",
        "address",
        "cop-option",
        "signing-key",
        "pending",
        "group-order",
        "new-group",
    ],
)
def test_fingerprint_changes_with_relevant_facts(mutate):
    assert changed(mutate) != fingerprint(base(), [COP])


def test_fingerprint_changes_when_roles_swap():
    def swap(facts: ClusterFacts) -> None:
        facts.nodes[0].role, facts.nodes[1].role = facts.nodes[1].role, facts.nodes[0].role

    assert changed(swap) != fingerprint(base(), [COP])


@pytest.mark.parametrize(
    "mutate",
    [
        lambda f: f.nodes[1].installed_options.append("cmterm-other-firmware.cop"),
        lambda f: setattr(f.nodes[1], "ssh_port", 2222),
        lambda f: f.nodes.reverse(),
        lambda f: setattr(f.nodes[1], "release", "12.5.1.14900(63)"),
    ],
    ids=["unrelated-option", "port", "node-order", "same-release-other-spelling"],
)
def test_fingerprint_ignores_irrelevant_facts(mutate):
    assert changed(mutate) == fingerprint(base(), [COP])


LOCALE = "cm-locale-de_DE-14.0.1.1000-1.cop.sgn"


def test_fingerprint_covers_every_cop_of_the_run():
    """A locale installed by hand after a two-COP plan was made changes that plan's work."""

    def add_locale(facts: ClusterFacts) -> None:
        facts.nodes[1].installed_options.append("cm-locale-de_DE-14.0.1.1000-1.cop")

    facts = base().model_copy(deep=True)
    add_locale(facts)
    assert fingerprint(facts, [COP, LOCALE]) != fingerprint(base(), [COP, LOCALE])
    # a one-COP plan does not depend on the locale, and keeps its old fingerprint key
    assert fingerprint(facts, [COP]) == fingerprint(base(), [COP])
