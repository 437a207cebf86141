"""Fleet mode: two lab clusters from one process, each an ordinary, complete run."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.app import check_run_id
from orchestrator.cli import cli
from orchestrator.config.fields import MAX_CLUSTER_NAME
from orchestrator.engine.journal import Journal
from orchestrator.fleet import MAX_FLEET_RUN_ID, cluster_run_id
from orchestrator.lab.config import demo_config


def test_fleet_runs_two_clusters_to_completion(lab_cluster, tmp_path):
    clusters = [
        lab_cluster(demo_config(profile="fast").model_copy(update={"cluster": name}))
        for name in ("east", "west")
    ]
    fleet = tmp_path / "fleet.yml"
    fleet.write_text(
        "clusters:\n"
        + "".join(f"  - inventory: {c.inventory}\n    playbook: {c.playbook}\n" for c in clusters)
    )
    state = tmp_path / "state"
    cluster_by_name = dict(zip(("east", "west"), clusters, strict=True))
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
    runs = completed_runs(state)
    assert sorted(runs) == ["east", "west"]
    for cluster, run_id in runs.items():
        lines = (state / "runs" / run_id / "log.jsonl").read_text().splitlines()
        assert lines, f"no log lines for {cluster}"
        events = [json.loads(line) for line in lines]
        assert {event.get("run") for event in events} == {run_id}
        # discovery (and the post-run audit) read nodes on worker threads, discovery
        # before the run's journal entry: their lines still carry the run id and land in
        # the run's log, not the fleet's fallback
        discovered = {e["node"] for e in events if e.get("event") == "cluster.node_read"}
        assert discovered == set(cluster_by_name[cluster].world.nodes)
    fallback = (state / "fleet.log.jsonl").read_text()
    assert "cluster.node_read" not in fallback


def _fleet_file(tmp_path, clusters) -> object:
    fleet = tmp_path / "fleet.yml"
    fleet.write_text(
        "clusters:\n"
        + "".join(f"  - inventory: {c.inventory}\n    playbook: {c.playbook}\n" for c in clusters)
    )
    return fleet


def test_two_entries_for_one_cluster_are_refused(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(profile="fast"))
    fleet = _fleet_file(tmp_path, [cluster, cluster])
    result = CliRunner().invoke(cli, ["fleet", "run", "--fleet", str(fleet)])
    assert result.exit_code == 2, result.output
    assert "both describe cluster 'demo'" in " ".join(result.output.split())
    assert not cluster.lab.events.select("install_started")


def test_sigterm_stops_the_fleet_like_a_run_and_its_run_id_continues_it(lab_cluster, tmp_path):
    """SIGTERM stops a fleet as it stops a run; the same `fleet run --run-id` again
    continues each cluster's run (<id>-<cluster>) where it stands, and once more only
    reports them completed, touching no node."""
    import os
    import signal
    import subprocess
    import sys
    import threading

    first, second = (
        lab_cluster(demo_config(profile="fast").model_copy(update={"cluster": name}))
        for name in ("east", "west")
    )
    fleet = _fleet_file(tmp_path, [first, second])
    state = tmp_path / "state"
    devpack = os.path.join(os.path.dirname(sys.executable), "devpack")
    out = (tmp_path / "fleet.out").open("wb")
    proc = subprocess.Popen(
        [
            devpack,
            "fleet",
            "run",
            "--fleet",
            str(fleet),
            "--max-clusters",
            "1",
            "--state-dir",
            str(state),
            "--run-id",
            "CHG7",
        ],
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    sent = threading.Event()

    def terminate(event) -> None:
        if event.event == "install_started" and event.node == "cucmpub" and not sent.is_set():
            sent.set()
            os.kill(proc.pid, signal.SIGTERM)

    first.lab.events.subscribe(terminate)
    code = proc.wait(timeout=120)
    out.close()
    output = (tmp_path / "fleet.out").read_text()
    assert sent.is_set() and code == 130, output
    assert "fleet interrupted" in output and "Traceback" not in output
    # the cluster under way stopped at a stage boundary; the queued one never started
    assert not second.lab.events.select("install_started")
    assert not first.lab.events.select("reboot_started")
    with Journal(state / "journal.sqlite") as journal:
        (east,) = journal.runs("east")
        assert east.run_id == "CHG7-east"
        assert journal.run_state(east.run_id) == "interrupted"

    # the scheduler's retry: east's run continues (its publisher is not installed again),
    # west's starts under its own derived id, both at once
    again = ["fleet", "run", "--fleet", str(fleet), "--max-clusters", "2"]
    again += ["--state-dir", str(state), "--run-id", "CHG7", "--json"]
    result = CliRunner().invoke(cli, again, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["fleet"]["run_id"] == "CHG7"
    ids = {c["cluster"]: c["run_id"] for c in document["fleet"]["clusters"]}
    assert ids == {"east": "CHG7-east", "west": "CHG7-west"}
    assert completed_runs(state) == ids  # one run per cluster in the journal, no third
    for cluster in (first, second):
        for node in cluster.world.nodes:
            assert len(cluster.lab.events.select("install_started", node)) == 1, node
            assert len(cluster.lab.events.select("reboot_started", node)) == 1, node
    # and once more: both completed, nothing touched
    seen = [len(c.lab.events.all()) for c in (first, second)]
    result = CliRunner().invoke(cli, again, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    clusters = json.loads(result.stdout)["fleet"]["clusters"]
    assert {c["message"] for c in clusters} == {"already completed; nothing to do"}
    for cluster, before in zip((first, second), seen, strict=True):
        done = cluster.lab.events.all()[before:]
        assert not [e for e in done if e.event in ("install_started", "reboot_started")]


def test_fleet_run_id_leaves_room_for_each_cluster_name(tmp_path):
    long_id = "x" * (MAX_FLEET_RUN_ID + 1)
    result = CliRunner().invoke(
        cli, ["fleet", "run", "--fleet", str(tmp_path / "none.yml"), "--run-id", long_id]
    )
    assert result.exit_code == 2, result.output
    flat = " ".join(result.output.split())
    assert f"at most {MAX_FLEET_RUN_ID}" in flat and "Traceback" not in result.output
    # the longest fleet id and the longest cluster name still make a valid run id
    check_run_id(cluster_run_id("x" * MAX_FLEET_RUN_ID, "c" * MAX_CLUSTER_NAME))


def test_fleet_exit_code_follows_the_post_run_audit(lab_cluster, tmp_path):
    """A cluster whose rollout completes but whose post-run audit finds errors is not a
    success: `fleet run` exits 1 for it, as `devpack run` does (one exit-code rule)."""
    clean = lab_cluster(
        demo_config(release="12.5.1.14900-63", profile="fast").model_copy(
            update={"cluster": "clean"}
        )
    )
    # 12.5: the rule restarts CallManager on the publisher only. A cluster whose
    # subscribers do not learn new models without their own restart (the reference marks
    # that behaviour inferred) completes the rollout with the subscribers rejecting the
    # pack's phones: the post-run audit reports phone-rejected errors.
    strict = demo_config(release="12.5.1.14900-63", profile="fast")
    strict = strict.model_copy(
        update={
            "cluster": "strict",
            "rules": strict.rules.model_copy(
                update={"subscriber_learns_models_without_restart": False}
            ),
        }
    )
    rejecting = lab_cluster(strict)
    fleet = _fleet_file(tmp_path, [clean, rejecting])
    state = tmp_path / "state"
    result = CliRunner().invoke(
        cli,
        ["fleet", "run", "--fleet", str(fleet), "--max-clusters", "2", "--state-dir", str(state)],
        catch_exceptions=False,
    )
    output = " ".join(result.output.split())
    assert result.exit_code == 1, result.output
    assert "1 of 2 cluster(s) completed" in output
    assert "post-run audit found" in output and "the cluster is not right" in output
    # both rollouts themselves completed: the journal says so for each
    runs = completed_runs(state)
    # the audit's errors are the rejected phones of the strict cluster, and only there
    findings = {
        cluster: {
            f["code"]
            for f in json.loads((state / "runs" / run_id / "report" / "report.json").read_text())[
                "audit"
            ]["findings"]
            if f["severity"] == "error"
        }
        for cluster, run_id in runs.items()
    }
    assert findings == {"clean": set(), "strict": {"phone-rejected"}}
    assert rejecting.lab.events.select("phone_registration")


def completed_runs(state) -> dict[str, str]:
    """cluster -> run id of every run in the journal, each asserted completed."""
    with Journal(state / "journal.sqlite") as journal:
        runs = {record.cluster: record.run_id for record in journal.runs()}
        for run_id in runs.values():
            assert journal.run_state(run_id) == "completed", run_id
    return runs


def test_sigkill_mid_reboot_and_the_same_fleet_run_id_twice(lab_cluster, tmp_path):
    """A fleet killed outright (SIGKILL: no handler runs, the run's lock and its running
    state stay behind) the moment its publisher's reboot is requested: the same `fleet run
    --run-id` continues the killed run (the reboot under way is waited for, not asked
    again) and starts the other; once more, nothing is touched."""
    import sys

    sys.path.insert(0, str(Path(__file__).parent / "e2e"))
    from devpack_runs import Spawned, is_event, kill_when

    first, second = (
        lab_cluster(demo_config(profile="fast").model_copy(update={"cluster": name}))
        for name in ("east", "west")
    )
    fleet = _fleet_file(tmp_path, [first, second])
    state = tmp_path / "state"
    again = ["fleet", "run", "--fleet", str(fleet), "--max-clusters", "1"]
    again += ["--state-dir", str(state), "--run-id", "CHG9"]
    spawned = Spawned(again, tmp_path / "out")
    kill_when(first, spawned, is_event("reboot_started", "cucmpub"))
    code = spawned.wait(timeout=120)
    assert spawned.killed_at is not None and code == -signal.SIGKILL, spawned.output
    with Journal(state / "journal.sqlite") as journal:
        assert [r.run_id for r in journal.runs()] == ["CHG9-east"]
        assert journal.run_state("CHG9-east") == "running"  # nobody said otherwise

    for _ in range(2):  # the scheduler's retry, and a second one
        result = CliRunner().invoke(cli, again, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
        assert completed_runs(state) == {"east": "CHG9-east", "west": "CHG9-west"}
        for cluster in (first, second):
            for node in cluster.world.nodes:
                assert len(cluster.lab.events.select("install_started", node)) == 1, node
                assert len(cluster.lab.events.select("reboot_started", node)) == 1, node
