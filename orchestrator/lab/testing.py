"""The lab as a pytest fixture: ``pytest_plugins = ["orchestrator.lab.testing"]``.

``lab_cluster(config)`` starts a whole lab (SFTP, SSH, HTTPS) in the test's tmp folder,
writes an inventory and a playbook for it, and stops everything at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from orchestrator.lab.config import LabConfig
from orchestrator.lab.runner import Lab
from orchestrator.lab.world import World


@dataclass
class LabCluster:
    lab: Lab
    inventory: Path
    playbook: Path
    folder: Path

    @property
    def world(self) -> World:
        assert self.lab.world is not None
        return self.lab.world


def start_lab_cluster(config: LabConfig, folder: Path) -> LabCluster:
    lab = Lab(config, folder / "lab", events_path=folder / "events.jsonl").start()
    try:
        inventory = lab.write_inventory(folder / "inventory" / "lab.yml")
        playbook = lab.write_playbook(folder / "playbooks" / "lab.yml")
    except Exception:
        lab.stop()
        raise
    return LabCluster(lab, inventory, playbook, folder)


@pytest.fixture
def lab_cluster(tmp_path: Path) -> Iterator[Callable[[LabConfig], LabCluster]]:
    started: list[LabCluster] = []

    def start(config: LabConfig) -> LabCluster:
        cluster = start_lab_cluster(config, tmp_path / f"cluster{len(started)}")
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.lab.stop()
