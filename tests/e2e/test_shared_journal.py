"""Two workers, one PostgreSQL journal (tests/pg_server.py), different state dirs and
different per-host lock folders (as on two hosts): the second cannot run the cluster
while the first holds it (exit 5), and after a SIGKILL of the first it resumes the
first worker's run to the end, with no node installed or restarted twice (judged by
the lab's ground truth)."""

from __future__ import annotations

from devpack_runs import Spawned, devpack, is_event, kill_when, run_args
from test_resume import REBOOT_RELEASE, assert_cluster_right, assert_once_each

from orchestrator.engine import journals
from orchestrator.lab.config import demo_config


def test_second_worker_is_locked_out_then_resumes_the_killed_run(
    lab_cluster, pg_journal_url, tmp_path, monkeypatch
):
    config = demo_config(release=REBOOT_RELEASE, profile="fast")
    config.timing["install_seconds"] = 4.0  # worker A is still installing when B tries
    cluster = lab_cluster(config)
    monkeypatch.setenv(journals.JOURNAL_ENV, pg_journal_url)  # worker A's environment
    worker_a = Spawned(run_args(cluster, tmp_path / "state-a"), tmp_path / "out")
    holding = cluster.world.wait_for(
        lambda: bool(cluster.lab.events.select("install_started")), timeout=60
    )
    assert holding, worker_a.output

    # worker B: another state dir and another host's lock folder; the journal option
    monkeypatch.delenv(journals.JOURNAL_ENV)
    monkeypatch.setenv("DEVPACK_LOCK_DIR", str(tmp_path / "host-b-locks"))
    state_b = tmp_path / "state-b"
    try:
        code, output = devpack("--journal", pg_journal_url, *run_args(cluster, state_b))
        assert code == 5, output
        assert "shared journal" in output and "locked by run" in output, output
        assert "Traceback" not in output
        kill_when(cluster, worker_a, is_event("reboot_started"))
        assert worker_a.wait(timeout=90) == -9, worker_a.output
    finally:
        worker_a.kill()
    journals.select(pg_journal_url)
    journal = journals.open_journal(state_b)
    try:
        [run] = journal.runs()  # B's refused run never reached the journal
        assert journal.run_state(run.run_id) == "running"  # killed: no end journaled
    finally:
        journal.close()
    assert cluster.lab.events.select("reboot_started"), "A was killed before any restart"

    code, output = devpack("--journal", pg_journal_url, "status", "--state-dir", str(state_b))
    assert code == 0 and "stopped while running" in output, output
    code, output = devpack(
        "--journal", pg_journal_url, "resume", run.run_id, "--state-dir", str(state_b)
    )
    assert code == 0, output
    assert f"run {run.run_id} completed" in output
    assert_once_each(cluster, "reboot")
    assert_cluster_right(cluster)
    assert (state_b / "runs" / run.run_id / "report" / "report.json").exists()
