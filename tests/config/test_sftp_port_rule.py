"""sftp.port: a real node always fetches over 22 (the wizard asks for no port)."""

from __future__ import annotations

import pytest
from config_samples import GOOD_INVENTORY, GOOD_PLAYBOOK, YamlFiles, line_of

from orchestrator.config.errors import ConfigError
from orchestrator.config.loader import load_inventory, load_playbook
from orchestrator.config.sftp_port import check_sftp_port, lab_port_note

NON_22 = GOOD_PLAYBOOK.replace("  directory: /cop", "  port: 2222\n  directory: /cop")


def test_non_22_port_refused_for_a_real_cluster(files: YamlFiles) -> None:
    inventory = load_inventory(files.write(GOOD_INVENTORY))
    path = files.write(NON_22, "playbook.yml")
    playbook = load_playbook(path)
    with pytest.raises(ConfigError) as info:
        check_sftp_port(playbook, path, inventory)
    error = info.value
    assert (error.file, error.line, error.field) == (
        "playbook.yml",
        line_of(NON_22, "port:"),
        "sftp.port",
    )
    assert "2222 is not 22" in error.message and "lab: true" in (error.hint or "")


def test_port_22_passes_and_the_lab_may_override(files: YamlFiles) -> None:
    inventory = load_inventory(files.write(GOOD_INVENTORY))
    path = files.write(GOOD_PLAYBOOK, "playbook.yml")
    check_sftp_port(load_playbook(path), path, inventory)  # default 22
    assert lab_port_note(load_playbook(path)) is None
    lab = load_inventory(files.write(GOOD_INVENTORY + "lab: true\n", "lab.yml"))
    odd = files.write(NON_22, "lab-playbook.yml")
    check_sftp_port(load_playbook(odd), odd, lab)
    assert "lab-only override" in (lab_port_note(load_playbook(odd)) or "")
