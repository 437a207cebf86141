"""Clusters of other shapes than the demo's (issue 10 items 2, 10, 11), over real sockets:
a publisher-only cluster, IM and Presence nodes, clusters defined by IP and by FQDN."""

from __future__ import annotations

from devpack_runs import devpack, run_args
from lab_truth import assert_all_know, assert_phones_home

from orchestrator.lab.config import NodeSpec, PhoneSpec, demo_config

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
