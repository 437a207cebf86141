"""Reading a cluster as discovery and the audit both need it: one node's snapshot over
the CLI, the cluster's own list of nodes and CallManager groups over AXL, and the names
the cluster uses for its nodes (hostname, address or AXL description) matched to the
inventory's."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import structlog

from orchestrator.cluster.pool import ConnectionPool
from orchestrator.config.inventory import Node
from orchestrator.drivers.soap.axl import AxlClient
from orchestrator.drivers.ssh import parsers

log = structlog.get_logger(__name__)

GROUPS_SQL = (
    "select g.name as groupname, p.name as nodename, p.description as description,"
    " m.priority as priority"
    " from callmanagergroup g, callmanagergroupmember m, callmanager c, processnode p"
    " where m.fkcallmanagergroup = g.pkid and m.fkcallmanager = c.pkid"
    " and c.fkprocessnode = p.pkid order by g.name, m.priority"
)
NODES_SQL = (
    "select name, description, tknodeusage from processnode where name != 'EnterpriseWideData'"
)


@dataclass(frozen=True)
class NodeSnapshot:
    """One node as its CLI shows it now (read-only)."""

    node: Node
    version: parsers.VersionInfo
    services: parsers.ServiceList
    history: list[parsers.HistoryEntry]
    timezone: str | None  # IANA name; None: unknown, UTC assumed
    status: parsers.SystemStatus | None = None  # only when asked for (hostname, disks)

    @property
    def running(self) -> set[str]:
        """Services STARTED now."""
        return {s.name for s in self.services.services if s.state == "STARTED"}


def read_node(pool: ConnectionPool, node: Node, *, with_status: bool = False) -> NodeSnapshot:
    """``show version active``, ``utils service list``, the install history (and ``show
    status``) over the node's session; driver errors propagate to the caller."""
    with pool.cli(node.label) as cli:
        version = cli.show_version()
        services = cli.service_list()
        status = cli.status() if with_status else None
        history = cli.install_history()
    timezone = pool.timezone(node.label)
    log.info("cluster.node_read", node=node.label, release=version.master_version)
    return NodeSnapshot(node, version, services, history, timezone, status)


@dataclass(frozen=True)
class ProcessNode:
    """A row of the cluster's processnode table: a node as the cluster lists it."""

    name: str
    description: str
    usage: str | None  # tknodeusage: "0" publisher, "1" subscriber

    @property
    def spellings(self) -> list[str]:
        return [self.name.lower(), self.description.lower()]


@dataclass(frozen=True)
class GroupMember:
    group: str
    name: str
    description: str

    @property
    def spellings(self) -> list[str]:
        return [self.name.lower(), self.description.lower()]


def process_nodes(axl: AxlClient) -> list[ProcessNode]:
    return [
        ProcessNode(row.get("name", ""), row.get("description", ""), row.get("tknodeusage"))
        for row in axl.sql(NODES_SQL)
    ]


def group_members(axl: AxlClient) -> list[GroupMember]:
    """Every CallManager group's members, in the group's priority order."""
    return [
        GroupMember(row["groupname"], row.get("nodename", ""), row.get("description", ""))
        for row in axl.sql(GROUPS_SQL)
    ]


class NodeNames:
    """Any spelling of a node the cluster may use (inventory name, address, hostname, AXL
    description; case-insensitive) -> the name the caller knows it by."""

    def __init__(self, known: Iterable[tuple[str, str]] = ()) -> None:
        self._keys: dict[str, str] = {}
        for spelling, name in known:
            self.add(spelling, name)

    def add(self, spelling: str, name: str) -> None:
        """Keep the first name a spelling was given."""
        if spelling:
            self._keys.setdefault(spelling.lower(), name)

    def find(self, *spellings: str) -> str | None:
        return next(
            (self._keys[s.lower()] for s in spellings if s and s.lower() in self._keys), None
        )

    def __contains__(self, spelling: str) -> bool:
        return spelling.lower() in self._keys

    def get(self, spelling: str, default: str | None = None) -> str | None:
        return self._keys.get(spelling.lower(), default)


def sql_quoted(values: Iterable[str]) -> str:
    """``'a', 'b'`` for an SQL ``in (...)``, quotes doubled."""
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)
