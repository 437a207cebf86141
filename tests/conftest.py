"""Suite-wide fixtures: the lab cluster (orchestrator.lab.testing)."""

from pathlib import Path

import pytest

pytest_plugins = ["orchestrator.lab.testing"]


@pytest.fixture(autouse=True)
def _own_publisher_locks(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """Each test gets its own per-host lock folder (subprocesses inherit it): the suite
    never touches /tmp/devpack-locks, and parallel tests never meet in it."""
    folder = tmp_path_factory.mktemp("devpack-locks")
    monkeypatch.setenv("DEVPACK_LOCK_DIR", str(folder))
    return folder
