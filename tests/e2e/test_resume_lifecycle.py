"""The run's life around the rollout, against the lab: a resume runs the inputs it
journaled (or refuses), finishes a completed run's missing audit and report, survives a
full journal, writes private files, and one publisher is locked across state dirs."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
from pathlib import Path

from devpack_runs import Spawned, devpack, edit_playbook, is_event, kill_when, run_args, run_ids
from lab_truth import REBOOT_RELEASE, SERVICE_RELEASE, assert_cluster_right, assert_once_each

from orchestrator.config.loader import load_inventory, load_playbook
from orchestrator.engine.journal import Journal
from orchestrator.lab.config import Rules, demo_config
from orchestrator.report.service import report_folder

CHANGES = ("install_started", "reboot_started", "service_restart_requested")


def changes(cluster) -> int:
    return len([e for e in cluster.lab.events.all() if e.event in CHANGES])


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_resume_runs_the_journaled_inputs_or_refuses(lab_cluster, tmp_path):
    # the kill drops the install's session: here the install goes on without it (the
    # lab's cautious default, a stuck framework, is test_resume_after_kill_mid_install_stuck)
    config = demo_config(release=REBOOT_RELEASE, profile="fast").model_copy(
        update={"rules": Rules(install_survives_disconnect=True)}
    )
    cluster = lab_cluster(config)
    state = tmp_path / "state"
    spawned = Spawned(run_args(cluster, state), tmp_path / "out")
    kill_when(cluster, spawned, is_event("install_started", "cucmsub2"))
    assert spawned.wait() == -9, spawned.output
    [run_id] = run_ids(state)

    # the playbook edited after the kill: another pack (checksum) and another model list
    original = cluster.playbook.read_text()
    old_md5 = load_playbook(cluster.playbook).cop.md5
    edit_playbook(cluster.playbook, cop={"md5": "0" * 32}, models=["Cisco 8851", "Cisco 9971"])
    before = changes(cluster)
    code, output = devpack("resume", run_id, "--state-dir", str(state))
    assert code == 3, output
    assert f"refusing to resume run {run_id}: its inputs changed" in output
    assert f"  - playbook.cop.md5: {old_md5} -> {'0' * 32}" in output
    assert "  - playbook.models: Cisco 8851, Cisco 8865 -> Cisco 8851, Cisco 9971" in output
    assert "put the inventory and playbook back" in output and "Traceback" not in output
    assert changes(cluster) == before  # refused before touching anything

    # a run journaled before fingerprints existed still resumes, with a warning
    cluster.playbook.write_text(original)
    with sqlite3.connect(state / "journal.sqlite") as db:
        db.execute("delete from run_inputs where run_id = ?", (run_id,))
    code, output = devpack("resume", run_id, "--state-dir", str(state))
    assert code == 0, output
    assert "journaled before devpack recorded its inputs" in output
    assert f"run {run_id} completed" in output
    assert_once_each(cluster, "reboot")
    assert_cluster_right(cluster)

    # everything the run wrote is private to the user (the suite's umask is 022)
    folder = report_folder(state, run_id)
    assert mode(state) == 0o700 and mode(folder) == 0o700
    for path in (
        state / "journal.sqlite",
        folder / "report.json",
        folder / "report.html",
        folder.parent / "log.jsonl",
    ):
        assert mode(path) == 0o600, path

    # killed after the journal said completed, before the audit and report were written
    shutil.rmtree(folder)
    before = changes(cluster)
    code, output = devpack("resume", run_id, "--state-dir", str(state))
    assert code == 0, output
    assert "stopped before its post-run audit and report: writing them now" in output
    assert "post-run audit: clean" in output
    report = json.loads((folder / "report.json").read_text())
    ca_bundle = load_inventory(cluster.inventory).ca_bundle
    assert report["tls_trust"] == f"CA bundle {ca_bundle} (ca_bundle in the inventory)"
    assert f"HTTPS verified against CA bundle {ca_bundle}" in (folder / "report.md").read_text()
    assert changes(cluster) == before  # a completed run is not run again
    code, output = devpack("resume", run_id, "--state-dir", str(state))
    assert code == 0 and "already completed" in output, output


def test_a_full_journal_stops_the_run_resumably(lab_cluster, tmp_path, monkeypatch):
    """The state dir's file system fills up mid-run. Simulated honestly without root: the
    journal's SQLite database gets a size limit (``pragma max_page_count``) two pages
    above its size, so SQLite itself answers SQLITE_FULL "database or disk is full", as
    it does when the disk is full."""
    cluster = lab_cluster(demo_config(release=SERVICE_RELEASE, profile="fast"))
    state = tmp_path / "state"
    real_init = Journal.__init__

    def limited(self: Journal, path: Path) -> None:
        real_init(self, path)
        pages = self._db.execute("pragma page_count").fetchone()[0]
        self._db.execute(f"pragma max_page_count = {pages + 2}")

    monkeypatch.setattr(Journal, "__init__", limited)
    code, output = devpack(*run_args(cluster, state))
    monkeypatch.undo()
    [run_id] = run_ids(state)
    assert code == 1, output
    flat = " ".join(output.split())
    assert f"run {run_id} stopped" in flat and "database or disk is full" in flat, output
    assert "is the file system of" in flat
    assert f"devpack resume {run_id} --state-dir {state}" in flat
    assert "Traceback" not in output
    assert changes(cluster) > 0  # it stopped mid-run, not before

    code, output = devpack("resume", run_id, "--state-dir", str(state))
    assert code == 0, output
    assert f"run {run_id} completed" in output
    assert_once_each(cluster, "services")


def test_two_state_dirs_do_not_run_one_cluster_twice(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release=SERVICE_RELEASE, profile="fast"))
    first_state, second_state = tmp_path / "alice", tmp_path / "bob"
    spawned = Spawned(run_args(cluster, first_state), tmp_path / "out")
    holding = cluster.world.wait_for(
        lambda: bool(cluster.lab.events.select("install_started")), timeout=30
    )
    try:
        assert holding, spawned.output
        code, output = devpack(*run_args(cluster, second_state))
    finally:
        spawned.kill()
        spawned.wait()
    assert code == 5, output
    [run_id] = run_ids(first_state)
    flat = " ".join(output.split())
    assert f"is locked by run {run_id}" in flat and "publisher" in flat, output
    assert "Traceback" not in output
    assert not (second_state / "journal.sqlite").exists() or not run_ids(second_state)
    assert len(cluster.lab.events.select("install_started")) <= len(cluster.world.nodes)
