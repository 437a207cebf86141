"""``devpack plan`` and ``devpack audit`` agree on who has picked the pack up, over real
SSH and HTTPS, when Control Center does not answer (the drift ``cucm.pickup`` ended:
the plan restarted services the audit called clean)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

from audit_scenarios import PACK, audit_json, devpack, healthy_config
from ruamel.yaml import YAML

from orchestrator.lab.config import InstalledOption

SUBSCRIBERS = ("cucmsub1", "cucmsub2")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _control_center_refused(inventory: Path, nodes: tuple[str, ...]) -> None:
    """Point the nodes' HTTPS port at a closed one: Control Center refuses (the
    publisher's AXL and RisPort70 stay reachable)."""
    yaml = YAML()
    document = yaml.load(inventory.read_text())
    for node in document["nodes"]:
        if node["name"] in nodes:
            node["https_port"] = _closed_port()
    with inventory.open("w") as handle:
        yaml.dump(document, handle)


def _plan_restarts(cluster, tmp_path: Path) -> set[str]:
    out = tmp_path / "plan.json"
    code, output = devpack(
        "plan", "-i", str(cluster.inventory), "-p", str(cluster.playbook), "-o", str(out)
    )
    assert code == 0, output
    plan = json.loads(out.read_text())
    return {
        node
        for stage in plan["stages"]
        if stage["name"].startswith("restart-")
        for step in stage["steps"]
        for node in step["nodes"]
    }


def _audit_pending(cluster) -> tuple[set[str], dict]:
    code, result = audit_json("-i", str(cluster.inventory), "-p", str(cluster.playbook))
    pending = {f["node"] for f in result["findings"] if f["code"].endswith("pending")}
    assert (code == 1) is bool(pending), result["findings"]
    return pending, result


def test_booted_after_the_install_without_control_center_nothing_to_restart(lab_cluster, tmp_path):
    cluster = lab_cluster(healthy_config("12.5.1.14900-63"))  # installed 1 day ago, booted 1 h
    _control_center_refused(cluster.inventory, SUBSCRIBERS)

    restarts = _plan_restarts(cluster, tmp_path)
    pending, result = _audit_pending(cluster)

    assert restarts == pending == set()
    gaps = {u["source"] for u in result["facts"]["unavailable"]}
    assert {f"control-center {n}" for n in SUBSCRIBERS} <= gaps


def test_installed_after_the_boot_without_control_center_both_restart(lab_cluster, tmp_path):
    config = healthy_config("12.5.1.14900-63")
    for node in config.nodes:  # installed 30 min ago, after the boot an hour ago
        node.options = [InstalledOption(file=PACK, installed_minutes_ago=30)]
    cluster = lab_cluster(config)
    _control_center_refused(cluster.inventory, SUBSCRIBERS)

    restarts = _plan_restarts(cluster, tmp_path)
    pending, result = _audit_pending(cluster)

    assert restarts == pending == {"cucmpub", *SUBSCRIBERS}
    boot_based = {
        f["node"]
        for f in result["findings"]
        if f["code"].endswith("pending") and f["evidence"].get("start_time_source") == "boot"
    }
    assert boot_based == set(SUBSCRIBERS)
