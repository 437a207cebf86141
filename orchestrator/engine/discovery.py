"""Discover the cluster's facts (read-only) over the CLI and AXL."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import structlog

from orchestrator.config.inventory import Inventory, Node, Role
from orchestrator.cucm import pickup, servers
from orchestrator.cucm import services as services_rule
from orchestrator.cucm.release import Release, RestartScope, axl_version_for, restart_rule
from orchestrator.cucm.texts import SVC_CALLMANAGER, SVC_TFTP
from orchestrator.drivers.ssh import parsers
from orchestrator.drivers.ssh.errors import DriverError
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


@dataclass
class _NodeRead:
    """One node as read, before the cluster's restart rule is known."""

    node: Node
    facts: NodeFacts
    history: list[parsers.HistoryEntry]
    running: set[str]  # services STARTED now


def _read_node(gateway: DriverGateway, node: Node) -> _NodeRead:
    with gateway.cli(node.label) as cli:
        version = cli.show_version()
        services = cli.service_list()
        status = cli.status()
        history = cli.install_history()

    def activated(name: str) -> bool:
        svc = services.get(name)
        return svc is not None and services_rule.is_activated(svc.reason)

    facts = NodeFacts(
        name=node.name or status.hostname or node.address,
        address=node.address,
        role=node.role,
        release=version.master_version,
        runs_callmanager=activated(SVC_CALLMANAGER),
        runs_tftp=activated(SVC_TFTP),
        installed_options=list(version.options),
        ssh_port=node.ssh_port,
        https_port=node.https_port,
        timezone=gateway.timezone(node.label),
    )
    running = {s.name for s in services.services if s.state == "STARTED"}
    return _NodeRead(node, facts, history, running)


def restart_pending(
    facts: NodeFacts,
    history: list[parsers.HistoryEntry],
    running: set[str],
    scope: RestartScope,
    pack: str,
    start_time: Callable[[str], float | None],
) -> bool:
    """Whether ``pack`` is installed here but not picked up yet (``cucm.pickup``'s rule).

    ``start_time`` answers a service's Control Center StartTime (None when it cannot);
    it is asked only on service-restart releases, for services that run."""
    zone = pickup.node_zone(facts.timezone)
    installed = pickup.install_time(history, pack, zone)
    boot = pickup.last_boot(history, zone)
    clocks: list[pickup.ServiceClock] = []
    if scope is RestartScope.SERVICES and installed is not None:
        for name in pickup.services_to_restart(
            publisher=facts.is_publisher,
            runs_tftp=facts.runs_tftp,
            runs_callmanager=facts.runs_callmanager,
        ):
            running_now = name in running
            started = start_time(name) if running_now else None
            clocks.append(pickup.ServiceClock(name, running_now, started))
    return pickup.pickup(scope, installed, boot, clocks).pending


def _pending(gateway: DriverGateway, read: _NodeRead, scope: RestartScope, pack: str) -> bool:
    return restart_pending(
        read.facts,
        read.history,
        read.running,
        scope,
        pack,
        lambda service: gateway.service_start_time(read.node.label, service),
    )


def _cluster_rows(gateway: DriverGateway, inventory: Inventory) -> list[parsers.ClusterNode]:
    """``show network cluster`` on the publisher; none if it cannot be read (AXL and the
    inventory still name the nodes)."""
    try:
        with gateway.cli(inventory.publisher.label) as cli:
            return cli.network_cluster().nodes
    except DriverError as exc:
        log.warning("discovery.network_cluster_unavailable", error=str(exc))
        return []


def discover(gateway: DriverGateway, inventory: Inventory, pack: str) -> Discovery:
    """The cluster's facts; ``pack`` (the playbook's COP) is the one whose pick-up is
    judged: a node that lists it but has not restarted since is ``pending_restart``."""
    rows = _cluster_rows(gateway, inventory)
    # An inventory may list an IM and Presence server: never read, never rolled out to.
    excluded = servers.out_of_scope_named(
        rows, {n.label: (n.label, n.address) for n in inventory.nodes}
    )
    in_scope = [n for n in inventory.nodes if n.label not in excluded]
    workers = min(16, len(in_scope))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        reads = list(pool.map(lambda n: _read_node(gateway, n), in_scope))
    # Cisco's rule for the cluster's lowest release, as the planner and the audit apply it.
    scope = restart_rule(min(r.facts.release_number for r in reads)).scope
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending = list(pool.map(lambda r: _pending(gateway, r, scope, pack), reads))
    nodes = [
        r.facts.model_copy(update={"pending_restart": p})
        for r, p in zip(reads, pending, strict=True)
    ]
    by_key = {n.address.lower(): n.name for n in nodes} | {n.name.lower(): n.name for n in nodes}
    # every spelling of each server (IP, FQDN, host name), and the IM and Presence ones
    shown = servers.view(rows, by_key)
    by_key = shown.aliases
    publisher = next((n for n in nodes if n.role is Role.PUBLISHER), None)
    if publisher is not None:
        gateway.axl_version = axl_version_for(Release.parse(publisher.release))
    notes: list[str] = []
    unknown: list[str] = []
    unknown_keys: set[str] = set()

    def not_listed(name: str, description: str) -> None:
        # One entry per node however the cluster spells it (address or hostname).
        keys = {k for k in (name.lower(), description.lower()) if k}
        if keys & unknown_keys or keys & shown.excluded_spellings:
            return  # listed already, or out of scope (IM and Presence)
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
    facts = ClusterFacts(
        cluster=inventory.cluster,
        nodes=nodes,
        groups=groups,
        out_of_scope=excluded,
    )
    return Discovery(facts, unknown, notes, axl_error)
