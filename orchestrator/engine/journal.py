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
from typing import Any

_SCHEMA = """
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
"""


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
    state: str = "pending"
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


# Step states that end a step; anything else means "was in progress when we stopped".
TERMINAL = {"done", "skipped", "failed"}


class Journal:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("pragma journal_mode=wal")
        self._db.execute("pragma synchronous=full")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ----- writing -------------------------------------------------------------------

    def create_run(
        self, run_id: str, cluster: str, plan_json: str, inventory: str, playbook: str
    ) -> None:
        with self._lock:
            self._db.execute(
                "insert into runs values (?, ?, ?, ?, ?, ?)",
                (run_id, cluster, time.time(), plan_json, inventory, playbook),
            )

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
            cursor = self._db.execute(
                "insert into entries (run_id, time, step, node, state, detail)"
                " values (?, ?, ?, ?, ?, ?)",
                (run_id, now, step, node, state, body),
            )
            seq = int(cursor.lastrowid or 0)
        return Entry(seq, run_id, now, step, node, state, detail)

    # ----- reading -------------------------------------------------------------------

    def run(self, run_id: str) -> RunRecord | None:
        with self._lock:
            row = self._db.execute("select * from runs where run_id = ?", (run_id,)).fetchone()
        return RunRecord(*row) if row else None

    def runs(self, cluster: str | None = None) -> list[RunRecord]:
        sql, args = "select * from runs", ()
        if cluster:
            sql, args = sql + " where cluster = ?", (cluster,)
        with self._lock:
            rows = self._db.execute(sql + " order by created", args).fetchall()
        return [RunRecord(*row) for row in rows]

    def entries(self, run_id: str) -> list[Entry]:
        with self._lock:
            rows = self._db.execute(
                "select seq, run_id, time, step, node, state, detail from entries"
                " where run_id = ? order by seq",
                (run_id,),
            ).fetchall()
        return [Entry(*row[:6], json.loads(row[6])) for row in rows]

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

    def run_state(self, run_id: str) -> str:
        """The last rollout-level state (entries without a step)."""
        state = "unknown"
        for entry in self.entries(run_id):
            if entry.step is None:
                state = entry.state
        return state
