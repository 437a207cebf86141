"""SIGKILL the engine at several points, resume, and judge by the lab's ground truth:
the run completes, and no node was installed or restarted twice."""

from __future__ import annotations

from pathlib import Path

import pytest
from devpack_runs import (
    Spawned,
    devpack,
    is_event,
    journal_states,
    kill_when,
    run_args,
    run_ids,
    run_state,
)
from lab_truth import (
    REBOOT_RELEASE,
    SERVICE_RELEASE,
    assert_cluster_right,
    assert_once_each,
)

from orchestrator.lab.config import Rules, demo_config
from orchestrator.lab.testing import LabCluster


def kill_then_resume(
    cluster: LabCluster, state: Path, tmp_path: Path, kill_event: str, kill_node: str
) -> tuple[str, int, str]:
    """Run as a subprocess, SIGKILL it at the event, resume in-process; (run id, code, out)."""
    spawned = Spawned(run_args(cluster, state), tmp_path / "out")
    kill_when(cluster, spawned, is_event(kill_event, kill_node))
    code = spawned.wait()
    assert spawned.killed_at is not None, f"never saw {kill_event} on {kill_node}:\n" + (
        spawned.output
    )
    assert code == -9, spawned.output
    [run_id] = run_ids(state)
    assert run_state(state, run_id) == "running"  # killed: the journal never saw an end
    code, output = devpack("status", "--state-dir", str(state))
    assert code == 0 and "stopped while running" in output, output
    code, output = devpack("resume", run_id, "--state-dir", str(state))
    return run_id, code, output


@pytest.mark.parametrize(
    ("kill_event", "kill_node"),
    [
        ("install_started", "cucmsub2"),  # mid-install, in the parallel install stage
        ("cop_downloaded", "cucmsub1"),  # mid-dialog: checksum shown, `yes` not yet sent
        ("reboot_started", "cucmsub2"),  # a subscriber reboot just requested (wave 1)
        # journal says `requested`, the node asked "Enter (yes/no)?" but never got `yes`:
        # the resumed run must see no reboot under way and ask again (exactly once)
        ("restart_confirmation_asked", "cucmpub"),
        ("ssh_up", "cucmsub3"),  # mid-wave 2: one node back, the other maybe not
    ],
    ids=[
        "mid-install",
        "mid-install-dialog",
        "subscriber-reboot-requested",
        "publisher-restart-unconfirmed",
        "mid-wave",
    ],
)
def test_resume_after_kill(lab_cluster, tmp_path, kill_event, kill_node):
    # a kill drops the install's session: here the install goes on without it (the lab's
    # cautious default, a stuck framework, is test_resume_after_kill_mid_install_stuck)
    config = demo_config(release=REBOOT_RELEASE, profile="fast").model_copy(
        update={"rules": Rules(install_survives_disconnect=True)}
    )
    cluster = lab_cluster(config)
    state = tmp_path / "state"
    run_id, code, output = kill_then_resume(cluster, state, tmp_path, kill_event, kill_node)
    assert code == 0, output
    assert f"run {run_id} completed" in output
    assert_once_each(cluster, "reboot")
    assert_cluster_right(cluster)
    code, output = devpack("status", "--state-dir", str(state))
    assert code == 0 and run_id in output and "completed" in output, output
    # resuming a completed run changes nothing and says so
    before = len(cluster.lab.events.all())
    code, output = devpack("resume", run_id, "--state-dir", str(state))
    assert code == 0 and "already completed" in output, output
    assert len(cluster.lab.events.all()) == before


def test_resume_after_kill_mid_install_stuck(lab_cluster, tmp_path):
    """The lab's default: the killed run's install dies with its session and leaves the
    node's upgrade framework stuck until reboot (reference 9.5); the resumed run says so
    with Cisco's remedy instead of installing again."""
    cluster = lab_cluster(demo_config(release=REBOOT_RELEASE, profile="fast"))
    state = tmp_path / "state"
    _, code, output = kill_then_resume(cluster, state, tmp_path, "install_started", "cucmsub2")
    flat = " ".join(output.split())
    assert code != 0, output
    assert "cucmsub2" in flat and "upgrade framework is stuck" in flat, output
    assert "utils system upgrade cancel" in flat and "reboot" in flat
    assert len(cluster.lab.events.select("install_started", "cucmsub2")) == 1
    assert not cluster.lab.events.select("reboot_started")


def test_resume_after_kill_while_publisher_shuts_down(lab_cluster, tmp_path):
    """Killed after the journal said `requested` and the node took the restart, but before
    the node went down: the resumed run must see the reboot under way, not ask again."""
    config = demo_config(release=REBOOT_RELEASE, profile="fast")
    config.timing["shutdown_seconds"] = 1.0
    cluster = lab_cluster(config)
    state = tmp_path / "state"
    spawned = Spawned(run_args(cluster, state), tmp_path / "out")
    kill_when(cluster, spawned, is_event("reboot_started", "cucmpub"))
    assert spawned.wait() == -9, spawned.output
    [run_id] = run_ids(state)
    assert journal_states(state, run_id, "restart-publisher/cucmpub")[-1] == "requested"
    assert cluster.world.publisher.phase == "shutting_down"  # not down yet
    code, output = devpack("resume", run_id, "--state-dir", str(state))
    assert code == 0, output
    assert_once_each(cluster, "reboot")
    assert_cluster_right(cluster)


def test_resume_service_release_after_kill_mid_restart(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release=SERVICE_RELEASE, profile="fast"))
    state = tmp_path / "state"
    run_id, code, output = kill_then_resume(
        cluster, state, tmp_path, "service_restart_requested", "cucmsub2"
    )
    assert code == 0, output
    assert f"run {run_id} completed" in output
    assert_once_each(cluster, "services")
    assert_cluster_right(cluster)


def test_second_run_on_a_locked_cluster_exits_locked(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release=SERVICE_RELEASE, profile="fast"))
    state = tmp_path / "state"
    spawned = Spawned(run_args(cluster, state), tmp_path / "out")
    holding = cluster.world.wait_for(
        lambda: bool(cluster.lab.events.select("install_started")), timeout=30
    )
    try:
        assert holding, spawned.output
        code, output = devpack(*run_args(cluster, state))
    finally:
        spawned.kill()
        spawned.wait()
    assert code == 5, output
    [run_id] = run_ids(state)
    assert "locked" in output and run_id in output, output
    assert "Traceback" not in output
    # refused before discovery and the plan: no page of plan before the one-line refusal
    assert "Plan for cluster" not in output, output
    # the refused run changed nothing: the only installs are the first run's
    assert len(cluster.lab.events.select("install_started")) <= len(cluster.world.nodes)
