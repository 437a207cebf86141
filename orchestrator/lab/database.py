"""The cluster database (publisher's copy) as an in-memory SQLite DB.

AXL executeSQLQuery runs real SQL against it; only single SELECT statements are allowed.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import uuid
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from orchestrator.lab.config import LabConfig, ModelSpec

if TYPE_CHECKING:
    from orchestrator.lab.nodes import Node

_SCHEMA = """
create table typemodel (enum integer primary key, name text not null);
create table typeproduct (enum integer primary key, name text not null, tkmodel integer);
create table defaults (
  pkid text primary key, tkmodel integer, tkdeviceprotocol integer,
  loadinformation text, inactiveloadinformation text);
create table typenodeusage (enum integer primary key, name text);
create table processnode (
  pkid text primary key, name text, nodeid integer, tknodeusage integer,
  systemnode text, description text, isactive text, tkprocessnoderole integer);
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

    # ----- the cluster's configuration, as the lab starts ------------------------------

    def add_models(self, models: Iterable[ModelSpec]) -> None:
        """typemodel + defaults rows for phone models (a device pack on the publisher)."""
        for model in models:
            self.execute("insert or ignore into typemodel values (?, ?)", (model.enum, model.name))
            self.execute(
                "insert or ignore into defaults values (?, ?, ?, ?, ?)",
                (str(uuid.uuid4()), model.enum, 11, f"sip{model.enum}.14-1-1SR1-1", ""),
            )

    def seed(
        self,
        config: LabConfig,
        nodes: list[Node],
        model_enum: Callable[[str], int | None],
        im_presence: list[tuple[str, str]] | None = None,
    ) -> None:
        """processnode, callmanager, groups and members, device pools and phones."""
        self.add_models(config.base_models)
        self.execute(
            "insert into processnode values (?, ?, ?, ?, ?, ?, ?, ?)",
            (str(uuid.uuid4()), "EnterpriseWideData", 0, 1, "t", "", "t", 1),
        )
        cm_pkid: dict[str, str] = {}
        for number, node in enumerate(nodes, start=1):
            pkid = str(uuid.uuid4())
            usage = 0 if node.is_publisher else 1
            # named as the cluster defines its servers (by IP or by FQDN); the
            # description is the host name (inferred: admins usually write it there)
            self.execute(
                "insert into processnode values (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    pkid,
                    config.server_name(node.name, node.address),
                    number,
                    usage,
                    "f",
                    node.name,
                    "t",
                    1,
                ),
            )
            if node.spec.callmanager:
                cm_pkid[node.name] = str(uuid.uuid4())
                self.execute(
                    "insert into callmanager values (?, ?, ?)",
                    (cm_pkid[node.name], f"CM_{node.name}", pkid),
                )
        for offset, (name, address) in enumerate(im_presence or [], start=len(nodes) + 1):
            # role 2: IM and Presence (inferred column use); never in a CallManager group
            self.execute(
                "insert into processnode values (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    str(uuid.uuid4()),
                    config.server_name(name, address),
                    offset,
                    1,
                    "f",
                    name,
                    "t",
                    2,
                ),
            )
        pools: dict[str, str] = {}
        for group, members in config.groups.items():
            group_pkid = str(uuid.uuid4())
            self.execute("insert into callmanagergroup values (?, ?)", (group_pkid, group))
            # Phones reach their CallManager group through a device pool, as on CUCM.
            pools[group] = str(uuid.uuid4())
            self.execute(
                "insert into devicepool values (?, ?, ?)", (pools[group], f"DP_{group}", group_pkid)
            )
            for priority, member in enumerate(members):
                if member in cm_pkid:
                    self.execute(
                        "insert into callmanagergroupmember values (?, ?, ?, ?)",
                        (str(uuid.uuid4()), group_pkid, cm_pkid[member], priority),
                    )
        for phone in config.phones:
            self.execute(
                "insert into device values (?, ?, ?, ?)",
                (str(uuid.uuid4()), phone.name, model_enum(phone.model), pools[phone.group]),
            )
