"""Suite-wide fixtures: the lab cluster (orchestrator.lab.testing) and a PostgreSQL
server for the shared journal (pg_server)."""

from pathlib import Path

import pytest
from pg_server import pg_journal_url, postgres_server  # noqa: F401

from orchestrator.engine import journals

pytest_plugins = ["orchestrator.lab.testing"]


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
