"""Fleet mode: two lab clusters from one process, each an ordinary, complete run."""

from __future__ import annotations

import json
import sqlite3

from typer.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.lab.config import demo_config


def test_fleet_runs_two_clusters_to_completion(lab_cluster, tmp_path):
    clusters = [
        lab_cluster(demo_config(profile="fast").model_copy(update={"cluster": name}))
        for name in ("east", "west")
    ]
    fleet = tmp_path / "fleet.yml"
    fleet.write_text(
        "clusters:\n"
        + "".join(
            f"  - inventory: {c.inventory}\n    playbook: {c.playbook}\n" for c in clusters
        )
    )
    state = tmp_path / "state"
    result = CliRunner().invoke(
        cli,
        ["fleet", "run", "--fleet", str(fleet), "--max-clusters", "2", "--state-dir", str(state)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert "2 of 2 cluster(s) completed" in result.output
    # lab truth: every node of both clusters installed once and rebooted once
    for cluster in clusters:
        for node in cluster.world.nodes:
            assert len(cluster.lab.events.select("install_finished", node)) == 1
            assert len(cluster.lab.events.select("reboot_started", node)) == 1
    # two ordinary runs: own run id, completed in the journal, own log file
    with sqlite3.connect(state / "journal.sqlite") as db:
        runs = dict(db.execute("select cluster, run_id from runs").fetchall())
        assert sorted(runs) == ["east", "west"]
        for run_id in runs.values():
            last = db.execute(
                "select state from entries where run_id = ? and step is null "
                "order by seq desc limit 1",
                (run_id,),
            ).fetchone()
            assert last == ("completed",)
    for cluster, run_id in runs.items():
        lines = (state / "runs" / run_id / "log.jsonl").read_text().splitlines()
        assert lines, f"no log lines for {cluster}"
        assert {json.loads(line).get("run") for line in lines} == {run_id}
