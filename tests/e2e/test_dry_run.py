"""``devpack run --dry-run``: read-only prechecks and the plan; nothing changes."""

from __future__ import annotations

from devpack_runs import devpack, run_args

from orchestrator.lab.config import (
    OLD_REPLICATION_CHECK_MINUTES,
    FaultKind,
    FaultSpec,
    demo_config,
)

CHANGES = (
    "install_started",
    "cop_downloaded",
    "reboot_started",
    "service_restart_requested",
    "upgrade_wizard_taken_over",
)


def test_dry_run_prints_plan_and_changes_nothing(lab_cluster, tmp_path):
    config = demo_config(release="9.1.2.10000-28", profile="fast")
    config.replication_check_minutes_ago = OLD_REPLICATION_CHECK_MINUTES
    cluster = lab_cluster(config)
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state, "--dry-run"))
    assert code == 0, output
    assert "restart-publisher" in output and "restart-wave-1" in output  # the plan
    assert "prechecks passed" in output and "nothing was changed" in output
    assert not [e for e in cluster.lab.events.all() if e.event in CHANGES]
    # a lab showing a months-old finished replication check: a warning naming
    # its start, its age and the command, never a new check (read-only)
    flat = " ".join(output.split())
    assert "replication status check shown started" in flat and "270 days old" in flat, output
    assert "utils dbreplication status" in flat
    commands = [e.data["command"] for e in cluster.lab.events.all() if e.event == "cli_command"]
    assert "utils dbreplication status" not in commands
    code, listing = devpack("status", "--state-dir", str(state))
    assert "no runs" in listing, listing


def test_dry_run_with_a_precheck_problem_exits_3(lab_cluster, tmp_path):
    cluster = lab_cluster(
        demo_config(release="12.5.1.14900-63", profile="fast").model_copy(
            update={
                "faults": [FaultSpec(kind=FaultKind.REPLICATION_STUCK, node="cucmsub3", state=3)],
            }
        )
    )
    cluster.world.apply_standing_faults()
    code, output = devpack(*run_args(cluster, tmp_path / "state", "--dry-run"))
    assert code == 3, output
    flat = " ".join(output.split())
    assert "replication state on cucmsub3 is 3" in flat, output
    assert "nothing was changed" in flat
    assert "Traceback" not in output
    assert not [e for e in cluster.lab.events.all() if e.event in CHANGES]
