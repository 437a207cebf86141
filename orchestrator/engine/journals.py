"""Which journal and which cluster lock a command uses.

By default the journal is ``journal.sqlite`` in the state dir and the cluster lock a
flock beside it. ``--journal postgresql://...`` (or ``DEVPACK_JOURNAL``) selects a shared
PostgreSQL journal instead, and with it advisory locks that every worker of that
database sees; the state dir then keeps only the run folders (logs, reports).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from orchestrator.engine.journal import Journal, JournalStore
from orchestrator.engine.lock import ClusterLock, lock_holder, publisher_key, publisher_lock
from orchestrator.errors import EXIT_INPUT, UserError

if TYPE_CHECKING:
    from orchestrator.engine.journal_pg import PgLocation

JOURNAL_ENV = "DEVPACK_JOURNAL"
_selected: str | None = None


class RunLock(Protocol):
    def acquire(self, run_id: str) -> None: ...
    def release(self) -> None: ...


def select(url: str | None) -> None:
    """``--journal URL`` of this command (None: ``$DEVPACK_JOURNAL`` or SQLite)."""
    global _selected
    _selected = url or None


def journal_url() -> str | None:
    return _selected or os.environ.get(JOURNAL_ENV) or None


def shared_location() -> PgLocation | None:
    """The shared journal's location, checked (None: the state dir's SQLite journal)."""
    url = journal_url()
    if url is None:
        return None
    from orchestrator.engine.journal_pg import is_postgres_url, parse_location

    if not is_postgres_url(url):
        raise UserError(
            f"--journal / {JOURNAL_ENV}: {url.split('://')[0]!r} is not a journal devpack "
            "knows (only postgresql://...)",
            f"give postgresql://USER@HOST:PORT/DATABASE, or unset {JOURNAL_ENV} to use "
            "journal.sqlite in the state dir",
            EXIT_INPUT,
        )
    return parse_location(url)


def open_journal(states: Path) -> JournalStore:
    location = shared_location()
    if location is None:
        return Journal(states / "journal.sqlite")
    from orchestrator.engine.journal_pg import PostgresJournal

    return PostgresJournal(location)


def where(states: Path) -> str:
    """The journal as an operator reads it in a message."""
    return journal_url() or str(states / "journal.sqlite")


def has_journal(states: Path) -> bool:
    return journal_url() is not None or (states / "journal.sqlite").exists()


def run_locks(states: Path, cluster: str, address: str, port: int) -> list[RunLock]:
    """The locks a run holds for its life, in the order taken. The publisher's lock on
    this host stays with a shared journal: a run of another journal on this host is
    kept out all the same."""
    local = publisher_lock(cluster, address, port)
    location = shared_location()
    if location is None:
        return [ClusterLock(states / "locks", cluster), local]
    from orchestrator.engine.journal_pg import AdvisoryLock

    return [
        AdvisoryLock(location, "cluster", cluster, cluster),
        AdvisoryLock(location, "publisher", publisher_key(address, port), cluster),
        local,
    ]


def cluster_lock_holder(states: Path, cluster: str) -> dict[str, object] | None:
    """Who holds the cluster's lock right now (None: nobody, e.g. the run was killed)."""
    location = shared_location()
    if location is None:
        return lock_holder(states / "locks", cluster)
    from orchestrator.engine.journal_pg import AdvisoryLock

    return AdvisoryLock(location, "cluster", cluster, cluster).holder()
