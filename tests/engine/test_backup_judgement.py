"""DRS backup precheck (issue 10 item 8): the judgement and the playbook setting."""

from __future__ import annotations

import pytest
from fake_cluster import FakeCluster

from orchestrator.config import ConfigError, load_playbook
from orchestrator.engine.gateway import BackupFact
from orchestrator.engine.prechecks import PrecheckPolicy, backup_finding, check_backup

NOW = 1_800_000_000.0
HOUR = 3600.0


@pytest.mark.parametrize(
    ("backup", "words"),
    [
        (BackupFact(True, True, NOW - 2 * HOUR, "SUCCESS"), None),
        (BackupFact(False), "No backup status available"),
        (BackupFact(True, False, NOW - HOUR, "ERROR"), "did not succeed (Status: ERROR)"),
        (BackupFact(True, True, NOW - 30 * HOUR, "SUCCESS"), "is 30 h old"),
        (BackupFact(True, True, None, "SUCCESS"), "could not tell when"),
    ],
)
def test_backup_finding(backup, words):
    found = backup_finding(backup, 24, NOW)
    assert (found is None) if words is None else (words in found)


def test_warn_or_refuse_by_setting():
    cluster = FakeCluster(["pub"], "x.cop.sgn")
    cluster.backup = BackupFact(False)
    assert check_backup(cluster, PrecheckPolicy(), NOW)[0] == []
    [warning] = check_backup(cluster, PrecheckPolicy(), NOW)[1]
    problems, warnings = check_backup(
        cluster, PrecheckPolicy(refuse_without_recent_backup=True), NOW
    )
    assert warnings == [] and problems == [warning + " (backup.when_missing_or_old: refuse)"]


PLAYBOOK = """\
cop:
  file: cmterm-devicepack12.5.1.17123-1.cop.sgn
  md5: 0123456789abcdef0123456789abcdef
sftp:
  host: 10.0.0.5
  directory: /cop
  username: copuser
  password: env:SFTP_PASSWORD
models: [Cisco 8851]
backup:
{backup}
"""


@pytest.mark.parametrize(
    ("backup", "field"),
    [
        ("  when_missing_or_old: maybe", "backup.when_missing_or_old"),
        ("  max_age_hours: 0", "backup.max_age_hours"),
        ("  max_age_hours: '24'", "backup.max_age_hours"),
        ("  max_age: 24", "backup.max_age"),
    ],
)
def test_backup_setting_is_strictly_validated(tmp_path, backup, field):
    path = tmp_path / "playbook.yml"
    path.write_text(PLAYBOOK.format(backup=backup))
    with pytest.raises(ConfigError) as info:
        load_playbook(path)
    assert info.value.field == field and info.value.line == 11, str(info.value)


def test_backup_setting_loads(tmp_path):
    path = tmp_path / "playbook.yml"
    path.write_text(PLAYBOOK.format(backup="  max_age_hours: 48\n  when_missing_or_old: refuse"))
    book = load_playbook(path)
    assert book.backup.max_age_hours == 48 and book.backup.when_missing_or_old == "refuse"
