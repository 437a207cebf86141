"""The shared journal: the same append-only journal in a PostgreSQL database, so a run
started by one worker can be resumed by another (AWX execution containers are thrown
away after each job; their state dirs with them).

The per-cluster lock is a session-level advisory lock on a connection of its own, held
for the run's life: if the worker dies, its connection goes and the server releases the
lock, as the OS releases a flock. Who holds it is written beside it (``cluster_locks``)
for the message the second worker prints.

Every statement runs in autocommit, so each journal entry is durable (committed, with
the server's ``synchronous_commit``) before the action it announces.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import threading
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import conninfo as pg_conninfo

from orchestrator.config.errors import ConfigError
from orchestrator.config.secrets import REFERENCE_FORMS, SecretRef
from orchestrator.engine.journal import JournalUnusable, JournalWriteFailed, Rows
from orchestrator.engine.lock import ClusterLocked
from orchestrator.engine.migrations import Migration, SchemaTooNew, pending
from orchestrator.errors import EXIT_INPUT, UserError

_MIGRATIONS = [
    Migration(
        1,
        (
            """create table runs (
  run_id text primary key,
  cluster text not null,
  created double precision not null,
  plan text not null,
  inventory text not null,
  playbook text not null
)""",
            """create table entries (
  seq bigserial primary key,
  run_id text not null references runs(run_id),
  time double precision not null,
  step text,
  node text,
  state text not null,
  detail text not null
)""",
            "create index entries_run on entries(run_id, seq)",
            "create index runs_cluster on runs(cluster, created)",
            """create table run_inputs (
  run_id text primary key references runs(run_id),
  fingerprint text not null
)""",
            """create table cluster_locks (
  lock_key bigint primary key,
  name text not null,
  holder text not null
)""",
        ),
    ),
]
# held (per transaction) while a journal is migrated, so two workers starting at once
# do not both create the tables


def _key(kind: str, name: str) -> int:
    """An advisory lock's 64-bit key: devpack's own namespace, then what it locks."""
    digest = hashlib.sha256(f"devpack:{kind}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


_MIGRATION_LOCK = _key("migrate", "journal")
_HINT = (
    "check --journal / DEVPACK_JOURNAL (host, port, database, user; the password by "
    "reference: password=env:VAR or password=file:PATH in the URL, a PGPASSFILE, or "
    "PGPASSWORD), that the database is up and that the user may create tables in it"
)
_DEFAULTS = {"connect_timeout": "10", "application_name": "devpack", "keepalives": "1"}


@dataclass(frozen=True)
class PgLocation:
    """A PostgreSQL journal's address: the URL as given (safe to print: it cannot hold
    a password) and the connection parameters, the password resolved from its reference."""

    url: str
    params: dict[str, str]

    def connect(self) -> psycopg.Connection[Any]:
        """A connection to a journal of the current schema (created or migrated now)."""
        try:
            conninfo = pg_conninfo.make_conninfo("", **{**_DEFAULTS, **self.params})
            db = psycopg.connect(conninfo, autocommit=True)
        except psycopg.Error as exc:
            raise JournalUnusable(self.url, _first_line(exc), _HINT) from None
        try:
            _migrate(db)
        except SchemaTooNew as exc:
            db.close()
            raise JournalUnusable(self.url, str(exc), _HINT) from None
        except psycopg.Error as exc:
            db.close()
            raise JournalUnusable(self.url, _first_line(exc), _HINT) from None
        return db


def is_postgres_url(text: str) -> bool:
    return text.startswith(("postgresql://", "postgres://"))


def parse_location(url: str) -> PgLocation:
    """The URL checked: a password may only be a reference (``password=env:VAR`` or
    ``password=file:PATH``); ``user:password@`` is refused, since a URL is printed,
    logged and visible in process lists. libpq's own ways (PGPASSFILE, passfile=,
    PGPASSWORD, client certificates) and its TLS settings (sslmode, sslrootcert, ...)
    pass through."""
    where = "--journal / DEVPACK_JOURNAL"
    try:
        if urlsplit(url).password is not None:
            raise UserError(
                f"{where}: the URL holds a password; devpack takes passwords only by reference",
                "remove it from the URL and add ?password=env:VAR (or file:PATH), or use "
                "a PGPASSFILE",
                EXIT_INPUT,
            )
        params = pg_conninfo.conninfo_to_dict(url)
    except (psycopg.ProgrammingError, ValueError) as exc:
        raise UserError(
            f"{where}: not a PostgreSQL URL: {exc}",
            "write postgresql://USER@HOST:PORT/DATABASE?sslmode=verify-full",
            EXIT_INPUT,
        ) from None
    text = {key: str(value) for key, value in params.items() if value is not None}
    reference = text.pop("password", None)
    if reference is not None:
        if not reference.startswith(("env:", "file:")):
            raise UserError(
                f"{where}: password= must be a reference (env:VAR or file:PATH): devpack "
                "takes passwords only by reference",
                f"write password=env:VAR or password=file:PATH ({REFERENCE_FORMS})",
                EXIT_INPUT,
            )
        try:
            secret = SecretRef.model_validate(reference).resolve()
        except ConfigError as exc:
            raise UserError(f"{where}: {exc}", exc.hint or "", EXIT_INPUT) from None
        from orchestrator import logs  # the journal module must not pull logging in early

        logs.REDACTOR.add(secret.reveal())
        text["password"] = secret.reveal()
    return PgLocation(url, text)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _schema_version(db: psycopg.Connection[Any]) -> int:
    row = db.execute("select max(version) from schema_version").fetchone()
    return int(row[0] or 0) if row else 0


def _migrate(db: psycopg.Connection[Any]) -> None:
    """Create or bring the journal's schema up to date; one transaction, under a lock,
    so two workers starting at once do not both migrate."""
    with db.transaction():
        db.execute("select pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        db.execute("create table if not exists schema_version (version integer not null)")
        for migration in pending(_schema_version(db), _MIGRATIONS):
            for statement in migration.statements:
                db.execute(statement)  # type: ignore[arg-type]
            db.execute("insert into schema_version values (%s)", (migration.version,))


class PostgresJournal(Rows):
    def __init__(self, location: PgLocation) -> None:
        self.path = location.url
        self.location = location
        self._lock = threading.Lock()
        self._db = location.connect()

    def schema_version(self) -> int:
        return _schema_version(self._db)

    def _written(self, sql: str, args: tuple[Any, ...]) -> psycopg.Cursor[Any]:
        try:
            return self._db.execute(_marks(sql), args)  # type: ignore[arg-type]
        except psycopg.Error as exc:
            raise JournalWriteFailed(self.path, _first_line(exc)) from None

    def _inserted(self, sql: str, args: tuple[Any, ...]) -> int:
        row = self._written(sql + " returning seq", args).fetchone()
        return int(row[0]) if row else 0

    def _rows(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._db.execute(_marks(sql), args).fetchall()  # type: ignore[arg-type]
            except psycopg.Error as exc:
                raise JournalUnusable(self.path, _first_line(exc), _HINT) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _marks(sql: str) -> str:
    """The journal's statements (``?`` placeholders) in psycopg's placeholders."""
    return sql.replace("?", "%s")


class AdvisoryLock:
    """A cluster (or publisher) lock shared by every worker of one journal database: a
    session-level advisory lock on a dedicated connection, held until ``release`` or
    until the connection ends (the worker died: the server drops its session)."""

    def __init__(self, location: PgLocation, kind: str, name: str, cluster: str) -> None:
        self.location = location
        self.cluster = cluster
        self.name = f"{kind} {name}"
        self.key = _key(kind, name)
        self.where = f" (shared journal {location.url})"
        self._db: psycopg.Connection[Any] | None = None

    def _connect(self) -> psycopg.Connection[Any]:
        return self.location.connect()

    def acquire(self, run_id: str) -> None:
        db = self._connect()
        try:
            row = db.execute("select pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if not (row and row[0]):
                holder = _holder(db, self.key)
                raise ClusterLocked(self.cluster, holder, self.where)
            held = {
                "run_id": run_id,
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "user": _user(),
            }
            db.execute(
                "insert into cluster_locks values (%s, %s, %s) on conflict (lock_key)"
                " do update set name = excluded.name, holder = excluded.holder",
                (self.key, self.name, json.dumps(held)),
            )
        except psycopg.Error as exc:
            db.close()
            raise JournalUnusable(self.location.url, _first_line(exc), _HINT) from None
        except ClusterLocked:
            db.close()
            raise
        self._db = db

    def release(self) -> None:
        if self._db is None:
            return
        try:
            self._db.execute("select pg_advisory_unlock(%s)", (self.key,))
        except psycopg.Error:
            pass  # the connection is gone: so is the lock
        finally:
            self._db.close()
            self._db = None

    def holder(self) -> dict[str, object] | None:
        """Who holds it right now (None: nobody; e.g. the run was killed)."""
        db = self._connect()
        try:
            row = db.execute("select pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if row and row[0]:
                db.execute("select pg_advisory_unlock(%s)", (self.key,))
                return None
            return _holder(db, self.key)
        finally:
            db.close()


def _holder(db: psycopg.Connection[Any], key: int) -> dict[str, object]:
    row = db.execute("select holder from cluster_locks where lock_key = %s", (key,)).fetchone()
    try:
        return json.loads(row[0]) if row else {}
    except ValueError:
        return {}


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())
