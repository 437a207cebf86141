"""Clusters of other shapes than the demo's (issue 10 items 2, 10, 11), over real sockets:
a publisher-only cluster, IM and Presence nodes, clusters defined by IP and by FQDN."""

from __future__ import annotations

import json

import pytest
from devpack_runs import devpack, run_args, run_ids
from lab_truth import assert_all_know, assert_phones_home
from ruamel.yaml import YAML

from orchestrator.lab.config import ImPresenceSpec, NodeSpec, PhoneSpec, demo_config

MODELS = ["Cisco 8851", "Cisco 8865"]


def test_single_node_cluster_rolls_out_without_replication_gates(lab_cluster, tmp_path):
    config = demo_config(release="9.1.2.10000-28", profile="fast").model_copy(
        update={
            "nodes": [NodeSpec(name="cucmpub", role="publisher", tftp=True)],
            "groups": {"G1": ["cucmpub"]},
            "phones": [PhoneSpec(name="SEP001122334455", model="Cisco 8851", group="G1")],
        }
    )
    cluster = lab_cluster(config)
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    assert code == 0, output
    flat = " ".join(output.split())  # the run prints its plan first
    assert "single-node cluster (publisher only)" in flat, output
    assert "replication state 2" not in flat, output
    assert "wait for database replication" not in flat, output
    events = cluster.lab.events
    assert len(events.select("install_finished", "cucmpub")) == 1
    assert len(events.select("reboot_started", "cucmpub")) == 1
    assert_all_know(cluster.world, MODELS)
    assert_phones_home(cluster.world)


@pytest.mark.parametrize("server_names", ["ip", "fqdn"])
def test_clusters_defined_by_ip_or_fqdn_with_im_presence(lab_cluster, tmp_path, server_names):
    """AXL's processnode, the CLI's processnode table and RisPort70 name the nodes one way
    per cluster (by IP or by FQDN); an IM and Presence server is listed beside them."""
    config = demo_config(release="12.5.1.14900-63", profile="fast").model_copy(
        update={"server_names": server_names, "im_presence": [ImPresenceSpec(name="cupnode1")]}
    )
    cluster = lab_cluster(config)
    world = cluster.world
    spelled = {world.server_name(n) for n in world.nodes.values()}
    if server_names == "ip":
        assert spelled == {n.address for n in world.nodes.values()}
    else:
        assert spelled == {f"{n}.{config.domain}" for n in world.nodes}
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    assert code == 0, output
    flat = " ".join(output.split())
    assert "out of scope: cupnode1, IM and Presence server" in flat, output
    assert "not installed on it" in flat
    assert "post-run audit: clean" in flat, output
    assert_all_know(world, MODELS)
    assert_phones_home(world)
    [run_id] = run_ids(state)
    report = json.loads((state / "runs" / run_id / "report" / "report.json").read_text())
    codes = {(f["code"], f["node"]) for f in report["audit"]["findings"]}
    assert codes == {("node-out-of-scope", "cupnode1")}, report["audit"]["findings"]
    facts = report["audit"]["facts"]
    # phones are placed on the inventory's names, however RisPort70 spells the nodes
    assert {p["node"] for p in facts["phones"]} <= set(world.nodes)
    assert facts["groups"] == config.groups


def test_im_presence_server_listed_in_the_inventory_is_never_touched(lab_cluster, tmp_path):
    """The lab serves no SSH or HTTPS for it: any attempt would fail the plan or audit."""
    config = demo_config(release="12.5.1.14900-63", profile="fast").model_copy(
        update={"im_presence": [ImPresenceSpec(name="cupnode1")]}
    )
    cluster = lab_cluster(config)
    [(name, address)] = cluster.world.im_presence
    yaml = YAML()
    document = yaml.load(cluster.inventory.read_text())
    document["nodes"].append({"name": name, "address": address})
    with cluster.inventory.open("w") as handle:
        yaml.dump(document, handle)
    out = tmp_path / "plan.json"
    code, output = devpack(
        "plan", "-i", str(cluster.inventory), "-p", str(cluster.playbook), "-o", str(out)
    )
    assert code == 0, output
    assert "out of scope: cupnode1, IM and Presence server" in " ".join(output.split())
    plan = json.loads(out.read_text())
    assert all(name not in step["nodes"] for s in plan["stages"] for step in s["steps"])
    code, output = devpack(
        "audit", "-i", str(cluster.inventory), "-p", str(cluster.playbook), "--json"
    )
    findings = json.loads(output[output.index("{") :])["audit"]["findings"]
    assert [(f["code"], f["severity"]) for f in findings if f["node"] == name] == [
        ("node-out-of-scope", "info")
    ], findings
