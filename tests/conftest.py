"""Suite-wide fixtures: the lab cluster, per-test lock folders, the embedded journal
unless a test selects the shared one (PostgreSQL server: pg_server); the e2e marker."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pg_server import pg_journal_url, postgres_server  # noqa: F401

from orchestrator.engine import journals
from orchestrator.lab.config import LabConfig
from orchestrator.lab.testing import LabCluster, start_lab_cluster

E2E = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything under tests/e2e, and every test that starts a lab cluster, is
    end-to-end: `pytest -m "not e2e"` is the fast loop."""
    for item in items:
        uses_lab = "lab_cluster" in getattr(item, "fixturenames", ())
        if uses_lab or E2E in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def lab_cluster(tmp_path: Path) -> Iterator[Callable[[LabConfig], LabCluster]]:
    """``lab_cluster(config)`` starts a lab cluster in the test's tmp folder; every one
    started is stopped at teardown."""
    started: list[LabCluster] = []

    def start(config: LabConfig) -> LabCluster:
        cluster = start_lab_cluster(config, tmp_path / f"cluster{len(started)}")
        started.append(cluster)
        return cluster

    yield start
    for cluster in started:
        cluster.lab.stop()


@pytest.fixture(autouse=True)
def _own_publisher_locks(tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """Each test gets its own per-host lock folder (subprocesses inherit it): the suite
    never touches /tmp/devpack-locks, and parallel tests never meet in it."""
    folder = tmp_path_factory.mktemp("devpack-locks")
    monkeypatch.setenv("DEVPACK_LOCK_DIR", str(folder))
    return folder


@pytest.fixture(autouse=True)
def _embedded_journal(monkeypatch) -> None:
    """The SQLite journal unless a test selects a shared one (whatever the caller's
    environment says)."""
    monkeypatch.delenv(journals.JOURNAL_ENV, raising=False)
    journals.select(None)
