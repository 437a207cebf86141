"""Discover the cluster's facts (read-only) over the CLI and AXL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC

import structlog

from orchestrator.config.inventory import Inventory, Node, Role
from orchestrator.cucm.release import Release, RestartScope, axl_version_for, restart_rule
from orchestrator.cucm.texts import SVC_CALLMANAGER, SVC_TFTP, SVC_TOMCAT
from orchestrator.drivers.ssh import parsers
from orchestrator.engine.cluster import DriverGateway
from orchestrator.planning.facts import ClusterFacts, NodeFacts

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


@dataclass
class Discovery:
    facts: ClusterFacts
    unknown_nodes: list[str] = field(default_factory=list)  # in the cluster, not inventory
    notes: list[str] = field(default_factory=list)
    # why AXL could not be read (discovery goes on without it; the caller may warn)
    axl_error: Exception | None = None


def _node_facts(gateway: DriverGateway, node: Node) -> NodeFacts:
    with gateway.cli(node.label) as cli:
        version = cli.show_version()
        services = cli.service_list()
        status = cli.status()
        history = cli.install_history()

    def activated(name: str) -> bool:
        svc = services.get(name)
        return svc is not None and not svc.reason

    pending = _restart_pending(
        gateway,
        node,
        version.master_version,
        history,
        activated("Cisco Tftp"),
        activated("Cisco CallManager"),
    )
    return NodeFacts(
        name=node.name or status.hostname or node.address,
        address=node.address,
        role=node.role,
        release=version.master_version,
        runs_callmanager=activated("Cisco CallManager"),
        runs_tftp=activated("Cisco Tftp"),
        installed_options=list(version.options),
        ssh_port=node.ssh_port,
        https_port=node.https_port,
        pending_restart=pending,
    )


def _epoch(entry: parsers.HistoryEntry) -> float:
    # History stamps and Control Center StartTime are both read as UTC (the node's zone).
    return entry.timestamp.replace(tzinfo=UTC).timestamp()


def _restart_pending(
    gateway: DriverGateway,
    node: Node,
    release: str,
    history: list[parsers.HistoryEntry],
    runs_tftp: bool,
    runs_callmanager: bool,
) -> bool:
    """Whether the last device pack installed here has not been picked up yet.

    Reboot releases: installed after the last boot. Service-restart releases: installed
    after the start of a service Cisco says to restart (Tomcat everywhere, Tftp on TFTP
    nodes, CallManager on the publisher); without Control Center, assume pending.
    """
    pack = parsers.last_entry(history, "install", "devicepack")
    if pack is None or pack.outcome.lower() != "success":
        return False
    installed = _epoch(pack)
    boot = parsers.last_entry(history, "boot")
    if restart_rule(Release.parse(release)).scope is RestartScope.REBOOT:
        return boot is None or installed > _epoch(boot)
    required = [SVC_TOMCAT]
    if runs_tftp:
        required.append(SVC_TFTP)
    if node.role is Role.PUBLISHER and runs_callmanager:
        required.append(SVC_CALLMANAGER)
    for service in required:
        started = gateway.service_start_time(node.label, service)
        if started is None or started < installed:
            return True
    return False


def discover(gateway: DriverGateway, inventory: Inventory) -> Discovery:
    with ThreadPoolExecutor(max_workers=min(16, len(inventory.nodes))) as pool:
        nodes = list(pool.map(lambda n: _node_facts(gateway, n), inventory.nodes))
    by_key = {n.address.lower(): n.name for n in nodes} | {n.name.lower(): n.name for n in nodes}
    publisher = next((n for n in nodes if n.role is Role.PUBLISHER), None)
    if publisher is not None:
        gateway.axl_version = axl_version_for(Release.parse(publisher.release))
    notes: list[str] = []
    unknown: list[str] = []
    unknown_keys: set[str] = set()

    def not_listed(name: str, description: str) -> None:
        # One entry per node however the cluster spells it (address or hostname).
        keys = {k for k in (name.lower(), description.lower()) if k}
        if keys & unknown_keys:
            return
        unknown_keys.update(keys)
        extra = f" ({description})" if description and description.lower() != name.lower() else ""
        unknown.append(f"{name or '?'}{extra}")

    groups: dict[str, list[str]] = {}
    axl_error: Exception | None = None
    try:
        axl = gateway.axl()
        for row in axl.sql(NODES_SQL):
            keys = {row.get("name", "").lower(), row.get("description", "").lower()}
            if not keys & set(by_key):
                not_listed(row.get("name", ""), row.get("description", ""))
            usage = row.get("tknodeusage")
            name = next((by_key[k] for k in keys if k in by_key), None)
            if name and usage in ("0", "1"):
                role = Role.PUBLISHER if usage == "0" else Role.SUBSCRIBER
                for i, fact in enumerate(nodes):
                    if fact.name == name and fact.role is not role:
                        notes.append(f"node {name}: the cluster says {role}")
                        nodes[i] = fact.model_copy(update={"role": role})
        for row in axl.sql(GROUPS_SQL):
            keys = [row.get("nodename", "").lower(), row.get("description", "").lower()]
            member = next((by_key[k] for k in keys if k in by_key), None)
            if member is None:  # a member the inventory misses: reported, not in the facts
                not_listed(row.get("nodename", ""), row.get("description", ""))
                continue
            groups.setdefault(row["groupname"], []).append(member)
    except Exception as exc:  # AXL is optional for discovery: the inventory has groups
        axl_error = exc
        log.warning("discovery.axl_unavailable", error=str(exc))
        notes.append(
            f"AXL unavailable for discovery ({exc}); CallManager groups from the inventory"
        )
    facts = ClusterFacts(cluster=inventory.cluster, nodes=nodes, groups=groups)
    return Discovery(facts, unknown, notes, axl_error)
