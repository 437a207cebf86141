"""``--window START/END``: wait for the start; install only when the rest of the rollout fits,
never begin a restart stage that cannot finish before the end; pause resumably (exit 4)."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime, timedelta

from devpack_runs import devpack, edit_playbook, run_args, run_ids, run_state
from lab_truth import assert_groups_never_fully_down, assert_phones_home

from orchestrator.lab.config import demo_config

REBOOT_RELEASE = "9.1.2.10000-28"
SERVICE_RELEASE = "12.5.1.14900-63"
CHANGES = ("install_started", "reboot_started", "service_restart_requested")


def window(start_in: float, end_in: float) -> str:
    now = datetime.now(UTC)
    start, end = now + timedelta(seconds=start_in), now + timedelta(seconds=end_in)
    return f"{start.isoformat(timespec='seconds')}/{end.isoformat(timespec='seconds')}"


def test_waits_for_the_window_to_open(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release=SERVICE_RELEASE, profile="fast"))
    text = window(3, 3600)
    opens = datetime.fromisoformat(text.split("/")[0]).timestamp()
    code, output = devpack(*run_args(cluster, tmp_path / "state", "--window", text))
    assert code == 0, output
    assert "waiting" in output and "window" in output
    changes = [e for e in cluster.lab.events.all() if e.event in CHANGES]
    assert changes and min(e.time for e in changes) >= opens
    assert_phones_home(cluster.world)


def test_window_too_short_for_the_rollout_pauses_then_resumes(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release=REBOOT_RELEASE, profile="fast"))
    # the playbook says a reboot takes 10 minutes: no restart stage fits a 2-minute window
    # (polled at once all the same: the lab's reboots take a second, and polling that
    # stays quiet for a share of the estimate would make the resume wait minutes)
    edit_playbook(cluster.playbook, estimates={"reboot": 600}, polling={"quiet_share": 0})
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state, "--window", window(-60, 120)))
    assert code == 4, output
    [run_id] = run_ids(state)
    assert run_state(state, run_id) == "paused_window"
    flat = " ".join(output.split())
    assert "installing now: the rest of the rollout is estimated to take" in flat, output
    assert f"devpack resume {run_id} --state-dir {state} --window" in flat, output
    events = cluster.lab.events
    # the installs would commit the cluster to restarts that cannot fit: nothing began
    assert not events.select("install_started")
    assert not events.select("reboot_started")
    code, output = devpack(
        "resume", run_id, "--window", window(-60, 3600), "--state-dir", str(state)
    )
    assert code == 0, output
    assert run_state(state, run_id) == "completed"
    # nothing done twice across the pause
    installs = Counter(e.node for e in events.select("install_started"))
    reboots = Counter(e.node for e in events.select("reboot_started"))
    assert set(installs.values()) == {1} and set(reboots.values()) == {1}
    assert len(reboots) == len(cluster.world.nodes)
    assert_groups_never_fully_down(cluster.world, events.all())
    assert_phones_home(cluster.world)


def test_window_already_over_changes_nothing(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release=SERVICE_RELEASE, profile="fast"))
    state = tmp_path / "state"
    started = time.time()
    code, output = devpack(*run_args(cluster, state, "--window", window(-7200, -3600)))
    assert code == 2, output
    assert "has already ended" in output, output
    assert not (state / "journal.sqlite").exists() or not run_ids(state)
    assert not [e for e in cluster.lab.events.all() if e.event in CHANGES]
    assert time.time() - started < 10


def test_dry_run_says_whether_the_plan_fits_the_window(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release=REBOOT_RELEASE, profile="fast"))
    edit_playbook(cluster.playbook, estimates={"reboot": 600})
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state, "--dry-run", "--window", window(-60, 120)))
    assert code == 3, output
    assert "does not fit the window" in " ".join(output.split())
    code, output = devpack(*run_args(cluster, state, "--dry-run", "--window", window(-60, 86400)))
    assert code == 0, output
    assert "fits the window" in " ".join(output.split())
    assert not [e for e in cluster.lab.events.all() if e.event in CHANGES]
