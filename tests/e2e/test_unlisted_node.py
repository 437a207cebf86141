"""A cluster node the inventory does not list: a clear refusal, and an audit that knows
the node by its address and its hostname alike."""

from __future__ import annotations

import json
from pathlib import Path

from devpack_runs import devpack, run_args
from ruamel.yaml import YAML
from typer.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.lab.config import PhoneSpec, demo_config

CHANGES = ("install_started", "cop_downloaded", "reboot_started", "service_restart_requested")


def drop_node(inventory: Path, name: str) -> None:
    yaml = YAML()
    document = yaml.load(inventory.read_text())
    document["nodes"] = [n for n in document["nodes"] if n.get("name") != name]
    for members in (document.get("callmanager_groups") or {}).values():
        if name in members:
            members.remove(name)
    with inventory.open("w") as handle:
        yaml.dump(document, handle)


def test_plan_and_run_name_the_unlisted_node_and_change_nothing(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release="9.1.2.10000-28", profile="fast"))
    address = cluster.world.nodes["cucmsub3"].address
    drop_node(cluster.inventory, "cucmsub3")
    for args in (
        ["plan", "-i", str(cluster.inventory), "-p", str(cluster.playbook)],
        run_args(cluster, tmp_path / "state"),
    ):
        code, output = devpack(*args)
        assert code == 3, output
        flat = " ".join(output.split())
        assert "Traceback" not in output and "ValidationError" not in output
        assert f"the cluster has nodes the inventory does not list: {address} (cucmsub3)" in flat, (
            output
        )
        assert "add them to the inventory" in flat
    assert not [e for e in cluster.lab.events.all() if e.event in CHANGES]


def test_audit_matches_the_unlisted_node_by_address_and_hostname(lab_cluster):
    config = demo_config(release="9.1.2.10000-28", profile="fast")
    # A G2 phone of a model the cluster knows: registered to G2's first node, cucmsub3.
    phone = PhoneSpec(name="SEP001122334488", model="Cisco 7841", group="G2")
    cluster = lab_cluster(config.model_copy(update={"phones": [*config.phones, phone]}))
    address = cluster.world.nodes["cucmsub3"].address
    drop_node(cluster.inventory, "cucmsub3")
    result = CliRunner().invoke(
        cli, ["audit", "-i", str(cluster.inventory), "--json"], catch_exceptions=False
    )
    report = json.loads(result.stdout)["audit"]
    findings = report["findings"]
    assert [f["node"] for f in findings if f["code"] == "node-not-in-inventory"] == [address]
    # The G2 phone is registered to its home, cucmsub3 (RisPort70 says the hostname,
    # processnode the address): the same node, so it is not "away from home".
    phones = {p["name"]: p for p in report["facts"]["phones"]}
    assert (phones[phone.name]["status"], phones[phone.name]["node"]) == ("Registered", address)
    assert report["facts"]["groups"]["G2"][0] == address
    assert [f for f in findings if f["code"] == "phone-not-home"] == [], findings
