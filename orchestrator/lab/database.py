"""The cluster database (publisher's copy) as an in-memory SQLite DB.

AXL executeSQLQuery runs real SQL against it; only single SELECT statements are allowed.
"""

from __future__ import annotations

import re
import sqlite3
import threading

_SCHEMA = """
create table typemodel (enum integer primary key, name text not null);
create table typeproduct (enum integer primary key, name text not null, tkmodel integer);
create table defaults (
  pkid text primary key, tkmodel integer, tkdeviceprotocol integer,
  loadinformation text, inactiveloadinformation text);
create table typenodeusage (enum integer primary key, name text);
create table processnode (
  pkid text primary key, name text, nodeid integer, tknodeusage integer,
  systemnode text, description text, isactive text);
create table callmanager (pkid text primary key, name text, fkprocessnode text);
create table callmanagergroup (pkid text primary key, name text);
create table callmanagergroupmember (
  pkid text primary key, fkcallmanagergroup text, fkcallmanager text, priority integer);
create table devicepool (pkid text primary key, name text, fkcallmanagergroup text);
create table device (pkid text primary key, name text, tkmodel integer, fkdevicepool text);
"""

_SELECT_ONLY = re.compile(r"^\s*select\b[^;]*;?\s*$", re.IGNORECASE | re.DOTALL)


class SqlError(Exception):
    """A statement the lab DB refuses (AXL answers with a SOAP fault)."""


class ClusterDatabase:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(":memory:", check_same_thread=False)
        self._db.executescript(_SCHEMA)
        self._db.executemany(
            "insert into typenodeusage values (?, ?)", [(0, "Publisher"), (1, "Subscriber")]
        )

    def execute(self, sql: str, params: tuple = ()) -> None:
        with self._lock:
            self._db.execute(sql, params)
            self._db.commit()

    def query(self, sql: str) -> tuple[list[str], list[tuple]]:
        """Run one SELECT; returns column names and rows (values as text, as AXL does)."""
        if not _SELECT_ONLY.match(sql):
            raise SqlError("Only a single SELECT statement is supported by executeSQLQuery")
        with self._lock:
            try:
                cursor = self._db.execute(sql.rstrip().rstrip(";"))
            except sqlite3.Error as exc:
                raise SqlError(f"A syntax error has occurred. ({exc})") from exc
            columns = [d[0] for d in cursor.description or []]
            rows = [tuple("" if v is None else str(v) for v in row) for row in cursor.fetchall()]
        return columns, rows
