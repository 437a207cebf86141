"""The shipped lab example (inventory/lab-demo.yml, playbooks/lab-demo.yml) is exactly
what `make lab` writes for inventory/lab/demo.lab.yml, and devpack can plan with it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.lab.config import LabConfig
from orchestrator.lab.runner import Lab

ROOT = Path(__file__).resolve().parents[2]


def test_shipped_lab_example_matches_what_lab_up_writes(tmp_path):
    config = LabConfig.load(ROOT / "inventory" / "lab" / "demo.lab.yml")
    assert config.network.block == "127.20.0"  # fixed addresses: the example stays valid
    with Lab(config, tmp_path / "lab") as lab:
        inventory = lab.write_inventory(tmp_path / "inventory" / "lab-demo.yml")
        playbook = lab.write_playbook(tmp_path / "playbooks" / "lab-demo.yml")
        assert inventory.read_text() == (ROOT / "inventory" / "lab-demo.yml").read_text()
        assert playbook.read_text() == (ROOT / "playbooks" / "lab-demo.yml").read_text()
        result = CliRunner().invoke(cli, ["plan", "-i", str(inventory), "-p", str(playbook)])
        assert result.exit_code == 0, result.output
        assert "older than 11.5(1)" in result.output  # 9.1: a cluster reboot
