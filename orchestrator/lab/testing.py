"""The lab as a pytest fixture: ``pytest_plugins = ["orchestrator.lab.testing"]``.

``lab_cluster(config)`` starts a whole lab (SFTP, SSH, HTTPS) in the test's tmp folder,
writes an inventory and a playbook for it, and stops everything at teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from orchestrator.lab.config import LabConfig
from orchestrator.lab.runner import LabCluster, start_lab_cluster

__all__ = ["LabCluster", "lab_cluster", "start_lab_cluster"]


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
