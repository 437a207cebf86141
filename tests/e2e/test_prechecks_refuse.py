"""Prechecks that refuse before anything changes, judged by the lab's ground truth: a
held install wizard (another admin's session) and a short common partition."""

from __future__ import annotations

import json

from devpack_runs import devpack, edit_playbook, run_args, run_ids

from orchestrator.lab.config import FaultKind, FaultSpec, LabConfig, demo_config
from orchestrator.lab.testing import LabCluster

RELEASE = "12.5.1.14900-63"
CHANGES = ("install_started", "install_finished", "cop_downloaded", "reboot_started")


def config(*faults: FaultSpec, short: str | None = None) -> LabConfig:
    base = demo_config(release=RELEASE, profile="fast")
    nodes = [
        n.model_copy(update={"common_free_mb": 10}) if n.name == short else n for n in base.nodes
    ]
    return base.model_copy(update={"faults": list(faults), "nodes": nodes})


def changes(cluster: LabCluster) -> list[str]:
    return [f"{e.node} {e.event}" for e in cluster.lab.events.all() if e.event in CHANGES]


def test_a_held_wizard_stops_the_run_at_prechecks(lab_cluster, tmp_path):
    held = FaultSpec(kind=FaultKind.STALE_UPGRADE_WIZARD, node="cucmsub3")
    cluster = lab_cluster(config(held))
    owner = cluster.world.nodes["cucmsub3"].upgrade.owner
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    flat = " ".join(output.split())
    assert code == 3, output
    assert "cucmsub3: another session holds the install wizard" in flat, output
    assert "utils system upgrade cancel" in flat and "take_over_held_wizard" in flat
    assert changes(cluster) == []
    # the probe answered "no": the other session still holds the wizard
    assert cluster.world.nodes["cucmsub3"].upgrade.owner is owner
    assert not cluster.lab.events.select("upgrade_wizard_taken_over")
    assert "Traceback" not in output


def test_taking_over_a_held_wizard_is_journaled_and_reported(lab_cluster, tmp_path):
    held = FaultSpec(kind=FaultKind.STALE_UPGRADE_WIZARD, node="cucmsub3")
    cluster = lab_cluster(config(held))
    edit_playbook(cluster.playbook, install={"take_over_held_wizard": True})
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    assert code == 0, output
    assert [e.node for e in cluster.lab.events.select("upgrade_wizard_taken_over")] == ["cucmsub3"]
    [run_id] = run_ids(state)
    report = json.loads((state / "runs" / run_id / "report" / "report.json").read_text())
    steps = {s["id"]: s for node in report["nodes"] for s in node["steps"]}
    taken = [i for i, s in steps.items() if "took_over_wizard" in s["detail"]]
    assert taken == ["install-subscribers/cucmsub3"], taken
    assert "Assume control" in steps[taken[0]]["message"]
    html = (state / "runs" / run_id / "report" / "report.html").read_text()
    assert "open install wizard was taken over (Assume control: yes)" in html
    log = (state / "runs" / run_id / "log.jsonl").read_text()
    assert '"event": "install.took_over_wizard"' in log and '"node": "cucmsub3"' in log


def test_ten_megabytes_free_refuses_at_prechecks(lab_cluster, tmp_path):
    cluster = lab_cluster(config(short="cucmsub2"))
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    flat = " ".join(output.split())
    assert code == 3, output
    assert "cucmsub2: only 10 MB free in the common partition" in flat, output
    assert "104 MB" in flat  # twice the pack's 52 MB (cop.size_mb)
    assert changes(cluster) == []  # nothing installed (or even downloaded) anywhere
    assert "Traceback" not in output
