"""DRS backup precheck (issue 10 item 8) over real SSH against the lab."""

from __future__ import annotations

from devpack_runs import devpack, edit_playbook, run_args

from orchestrator.lab.config import BackupSpec, demo_config

CHANGES = ("install_started", "reboot_started", "service_restart_requested")


def test_no_backup_refused_by_setting_changes_nothing(lab_cluster, tmp_path):
    config = demo_config(release="12.5.1.14900-63", profile="fast").model_copy(
        update={"backup": BackupSpec(taken_minutes_ago=None)}
    )
    cluster = lab_cluster(config)
    edit_playbook(cluster.playbook, backup={"when_missing_or_old": "refuse"})
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    assert code == 3, output
    flat = " ".join(output.split())
    assert "No backup status available" in flat and "refuse" in flat, output
    assert not [e for e in cluster.lab.events.all() if e.event in CHANGES]


def test_old_backup_warns_by_default(lab_cluster, tmp_path):
    config = demo_config(release="12.5.1.14900-63", profile="fast").model_copy(
        update={"backup": BackupSpec(taken_minutes_ago=30 * 60), "timezone": "Asia/Tokyo"}
    )
    cluster = lab_cluster(config)
    code, output = devpack(*run_args(cluster, tmp_path / "state", "--dry-run"))
    assert code == 0, output
    flat = " ".join(output.split())
    # the stamp is Tokyo time: read as UTC the backup would look 21 h old, not 30
    assert "the last successful DRS backup is 30 h old" in flat, output
    edit_playbook(cluster.playbook, backup={"max_age_hours": 31})
    code, output = devpack(*run_args(cluster, tmp_path / "state", "--dry-run"))
    assert code == 0 and "last successful DRS backup" not in output, output
