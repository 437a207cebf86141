"""The durable journal: every transition is written (and fsynced) before the action it
announces, so a run killed at any point, SIGKILL included, can be resumed.

The journal is append-only; the state of a run and of each step is derived by folding
its entries, so there is no second copy of state to drift out of date.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, Self

from orchestrator.engine.migrations import Migration, SchemaTooNew, pending
from orchestrator.engine.states import TERMINAL, RunState, StepState
from orchestrator.errors import EXIT_INPUT, UserError
from orchestrator.files import make_dirs, make_private

# Migration 1 is the schema journals had before it was versioned ("if not exists"), so
# an older journal.sqlite is recorded as version 1 as it stands.
_MIGRATIONS = [
    Migration(
        1,
        (
            """
create table if not exists runs (
  run_id text primary key,
  cluster text not null,
  created real not null,
  plan text not null,
  inventory text not null,
  playbook text not null
);
create table if not exists entries (
  seq integer primary key autoincrement,
  run_id text not null references runs(run_id),
  time real not null,
  step text,
  node text,
  state text not null,
  detail text not null
);
create index if not exists entries_run on entries(run_id, seq);
create table if not exists run_inputs (
  run_id text primary key references runs(run_id),
  fingerprint text not null
);
""",
        ),
    ),
]
_COLUMNS = {
    "runs": ["run_id", "cluster", "created", "plan", "inventory", "playbook"],
    "entries": ["seq", "run_id", "time", "step", "node", "state", "detail"],
}
_HINT = (
    "point --state-dir at the folder that holds your runs' journal.sqlite "
    "(or move this one aside to start afresh; its runs cannot be resumed without it)"
)


class JournalUnusable(UserError):
    """The journal cannot be opened or is not a devpack journal (exit 2)."""

    def __init__(self, path: Path | str, reason: str, hint: str = _HINT) -> None:
        super().__init__(f"{path}: cannot use the journal: {reason}", hint, EXIT_INPUT)
        self.path = path


class JournalWriteFailed(Exception):
    """A journal write failed (most often: the state dir's file system is full, or the
    journal's database went away). The failed write left nothing behind: the journal is
    as it was before it."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: cannot write the journal: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Entry:
    seq: int
    run_id: str
    time: float
    step: str | None
    node: str | None
    state: str
    detail: dict[str, Any]


@dataclass
class StepRecord:
    """A step's history folded from the journal."""

    step: str
    node: str | None
    state: str = StepState.PENDING
    started: float | None = None
    finished: float | None = None
    detail: dict[str, Any] = field(default_factory=dict)
    history: list[Entry] = field(default_factory=list)


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    cluster: str
    created: float
    plan: str
    inventory: str
    playbook: str


__all__ = [
    "TERMINAL",
    "Entry",
    "Journal",
    "JournalStore",
    "RunRecord",
    "RunState",
    "StepRecord",
    "StepState",
]


class JournalStore(Protocol):
    """What the engine needs of a journal, whatever holds it (SQLite in the state dir,
    or a PostgreSQL database that several workers share)."""

    @property
    def path(self) -> Path | str:
        """Where it is, as an operator reads it (a file, or the database's URL)."""

    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *exc: object) -> None: ...
    def create_run(
        self, run_id: str, cluster: str, plan_json: str, inventory: str, playbook: str
    ) -> None: ...
    def record_inputs(self, run_id: str, fingerprint: dict[str, str]) -> None: ...
    def inputs(self, run_id: str) -> dict[str, str] | None: ...
    def write(
        self,
        run_id: str,
        state: str,
        *,
        step: str | None = None,
        node: str | None = None,
        **detail: Any,
    ) -> Entry: ...
    def run(self, run_id: str) -> RunRecord | None: ...
    def runs(self, cluster: str | None = None) -> list[RunRecord]: ...
    def entries(self, run_id: str) -> list[Entry]: ...
    def steps(self, run_id: str) -> dict[str, StepRecord]: ...
    def run_state(self, run_id: str) -> str: ...
    def paused_before(self, run_id: str) -> str | None: ...
    def schema_version(self) -> int: ...


class Folding:
    """A run's steps and state, folded from its entries (the same for every backend).

    Every journal is a context manager (``with open_journal(states) as journal:``) so
    its database is closed whatever happens."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def entries(self, run_id: str) -> list[Entry]:
        raise NotImplementedError

    def steps(self, run_id: str) -> dict[str, StepRecord]:
        records: dict[str, StepRecord] = {}
        for entry in self.entries(run_id):
            if entry.step is None:
                continue
            record = records.setdefault(entry.step, StepRecord(entry.step, entry.node))
            record.history.append(entry)
            record.state = entry.state
            record.detail.update(entry.detail)
            if record.started is None:
                record.started = entry.time
            if entry.state in TERMINAL:
                record.finished = entry.time
        return records

    def paused_before(self, run_id: str) -> str | None:
        """The stage a paused run (``RunState.PAUSED``) is held before, else None."""
        last: Entry | None = None
        for entry in self.entries(run_id):
            if entry.step is None:
                last = entry
        if last is None or last.state != RunState.PAUSED:
            return None
        before = last.detail.get("before")
        return str(before) if before else None

    def run_state(self, run_id: str) -> str:
        """The last rollout-level state (entries without a step)."""
        state: str = RunState.UNKNOWN
        for entry in self.entries(run_id):
            if entry.step is None:
                state = entry.state
        return state


class Rows(Folding):
    """The journal's rows (runs, their inputs fingerprint, entries), written and read
    the same way whatever database holds them. A backend runs the statements, written
    with ``?`` placeholders: ``_written`` (a failure is ``JournalWriteFailed``, the write
    left nothing behind), ``_inserted`` (an entry's insert, its new ``seq``), ``_rows``
    (a read, under the journal's lock)."""

    path: Path | str
    _lock: threading.Lock

    def _written(self, sql: str, args: tuple[Any, ...]) -> Any:
        raise NotImplementedError

    def _inserted(self, sql: str, args: tuple[Any, ...]) -> int:
        raise NotImplementedError

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    # ----- writing -------------------------------------------------------------------

    def create_run(
        self, run_id: str, cluster: str, plan_json: str, inventory: str, playbook: str
    ) -> None:
        with self._lock:
            self._written(
                "insert into runs values (?, ?, ?, ?, ?, ?)",
                (run_id, cluster, time.time(), plan_json, inventory, playbook),
            )

    def record_inputs(self, run_id: str, fingerprint: dict[str, str]) -> None:
        """What the run does to the nodes, as its inputs said when it started."""
        body = json.dumps(fingerprint, sort_keys=True)
        with self._lock:
            self._written("insert into run_inputs values (?, ?)", (run_id, body))

    def inputs(self, run_id: str) -> dict[str, str] | None:
        """The journaled fingerprint; None for runs journaled before fingerprints."""
        rows = self._rows("select fingerprint from run_inputs where run_id = ?", (run_id,))
        return json.loads(rows[0][0]) if rows else None

    def write(
        self,
        run_id: str,
        state: str,
        *,
        step: str | None = None,
        node: str | None = None,
        **detail: Any,
    ) -> Entry:
        now = time.time()
        body = json.dumps(detail, default=str, sort_keys=True)
        with self._lock:
            seq = self._inserted(
                "insert into entries (run_id, time, step, node, state, detail)"
                " values (?, ?, ?, ?, ?, ?)",
                (run_id, now, step, node, str(state), body),
            )
        return Entry(seq, run_id, now, step, node, str(state), detail)

    # ----- reading -------------------------------------------------------------------

    def run(self, run_id: str) -> RunRecord | None:
        rows = self._rows("select * from runs where run_id = ?", (run_id,))
        return RunRecord(*rows[0]) if rows else None

    def runs(self, cluster: str | None = None) -> list[RunRecord]:
        if cluster:
            rows = self._rows(
                "select * from runs where cluster = ? order by created, run_id", (cluster,)
            )
        else:
            rows = self._rows("select * from runs order by created, run_id")
        return [RunRecord(*row) for row in rows]

    def entries(self, run_id: str) -> list[Entry]:
        rows = self._rows(
            "select seq, run_id, time, step, node, state, detail from entries"
            " where run_id = ? order by seq",
            (run_id,),
        )
        return [
            Entry(row[0], row[1], row[2], row[3], row[4], row[5], json.loads(row[6]))
            for row in rows
        ]


class Journal(Rows):
    """The embedded journal: ``journal.sqlite`` in the state dir."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        try:
            make_dirs(path.parent)
            if path.exists() and not path.is_file():
                raise JournalUnusable(path, "it is not a file")
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        except OSError as exc:
            raise JournalUnusable(path, exc.strerror or str(exc)) from None
        except sqlite3.Error as exc:
            raise JournalUnusable(path, str(exc)) from None
        try:
            self._db.execute("pragma journal_mode=wal")
            self._db.execute("pragma synchronous=full")
            self._migrate()
            self._check_schema()
        except SchemaTooNew as exc:
            self._db.close()
            raise JournalUnusable(path, str(exc)) from None
        except sqlite3.Error as exc:
            self._db.close()
            reason = "not a devpack journal" if "not a database" in str(exc) else str(exc)
            raise JournalUnusable(path, reason) from None
        except JournalUnusable:
            self._db.close()
            raise
        for name in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            make_private(name)

    def _migrate(self) -> None:
        self._db.execute("create table if not exists schema_version (version integer not null)")
        for migration in pending(self.schema_version(), _MIGRATIONS):
            # one transaction per migration: a journal is never left half migrated
            script = "".join(migration.statements)
            self._db.executescript(
                f"begin immediate;\n{script}\n"
                f"insert into schema_version values ({migration.version});\ncommit;"
            )

    def schema_version(self) -> int:
        row = self._db.execute("select max(version) from schema_version").fetchone()
        return int(row[0] or 0)

    def _check_schema(self) -> None:
        for table, columns in _COLUMNS.items():
            found = [row[1] for row in self._db.execute(f"pragma table_info({table})")]
            if found != columns:
                raise JournalUnusable(
                    self.path,
                    f"table {table} has columns {', '.join(found)}, not those of a devpack "
                    "journal (written by another program or version)",
                )

    def _written(self, sql: str, args: tuple[Any, ...]) -> sqlite3.Cursor:
        try:
            return self._db.execute(sql, args)
        except sqlite3.Error as exc:
            raise JournalWriteFailed(self.path, str(exc)) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    def _inserted(self, sql: str, args: tuple[Any, ...]) -> int:
        return int(self._written(sql, args).lastrowid or 0)
