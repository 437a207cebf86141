"""Discover the cluster's facts (read-only) over the CLI and AXL, for the planner."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import structlog

from orchestrator import parallel
from orchestrator.cluster.snapshot import (
    NodeNames,
    NodeSnapshot,
    group_members,
    process_nodes,
    read_node,
)
from orchestrator.config.inventory import Inventory, Role
from orchestrator.cucm import pickup, servers
from orchestrator.cucm import services as services_rule
from orchestrator.cucm.release import RestartScope, restart_rule
from orchestrator.cucm.texts import SVC_CALLMANAGER, SVC_TFTP
from orchestrator.drivers.ssh import parsers
from orchestrator.drivers.ssh.errors import DriverError
from orchestrator.engine.cluster import DriverGateway
from orchestrator.planning.facts import ClusterFacts, NodeFacts

log = structlog.get_logger(__name__)


@dataclass
class Discovery:
    facts: ClusterFacts
    unknown_nodes: list[str] = field(default_factory=list)  # in the cluster, not inventory
    notes: list[str] = field(default_factory=list)
    # why AXL could not be read (discovery goes on without it; the caller may warn)
    axl_error: Exception | None = None


def _node_facts(snapshot: NodeSnapshot) -> NodeFacts:
    """What the planner needs of a node, before the cluster's restart rule is known."""
    node, services, status = snapshot.node, snapshot.services, snapshot.status

    def activated(name: str) -> bool:
        svc = services.get(name)
        return svc is not None and services_rule.is_activated(svc.reason)

    return NodeFacts(
        name=node.name or (status.hostname if status else "") or node.address,
        address=node.address,
        role=node.role,
        release=snapshot.version.master_version,
        runs_callmanager=activated(SVC_CALLMANAGER),
        runs_tftp=activated(SVC_TFTP),
        installed_options=list(snapshot.version.options),
        ssh_port=node.ssh_port,
        https_port=node.https_port,
        timezone=snapshot.timezone,
    )


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


def _pending(
    gateway: DriverGateway, read: NodeSnapshot, facts: NodeFacts, scope: RestartScope, pack: str
) -> bool:
    return restart_pending(
        facts,
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
    """The cluster's facts for the planner (read-only).

    The publisher's ``show network cluster`` comes first: servers of another product (IM
    and Presence) are out of scope, even where the inventory lists them, and every
    spelling of a node (IP, FQDN, host name) is known. Every other node is read at once
    (``cluster.snapshot``: release, options, services, install history), then Cisco's
    restart rule for the cluster's lowest release decides which nodes have not picked
    ``pack`` (the playbook's COP) up yet: those are ``pending_restart``, so the plan
    restarts them (``cucm/pickup.py``'s rule, the one the steps and the audit use). AXL
    then gives the cluster's own view: roles, CallManager groups, and nodes the inventory
    misses (``unknown_nodes``: the caller refuses to run). AXL is optional here: without
    it the inventory's groups stand and a note says why."""
    rows = _cluster_rows(gateway, inventory)
    excluded = servers.out_of_scope_named(
        rows, {n.label: (n.label, n.address) for n in inventory.nodes}
    )
    in_scope = [n for n in inventory.nodes if n.label not in excluded]
    reads = parallel.each(lambda node: read_node(gateway.pool, node, with_status=True), in_scope)
    read_facts = [_node_facts(read) for read in reads]
    # Cisco's rule for the cluster's lowest release, as the planner and the audit apply it.
    scope = restart_rule(min(f.release_number for f in read_facts)).scope
    pending = parallel.each(
        lambda pair: _pending(gateway, pair[0], pair[1], scope, pack),
        list(zip(reads, read_facts, strict=True)),
    )
    nodes = [
        f.model_copy(update={"pending_restart": p})
        for f, p in zip(read_facts, pending, strict=True)
    ]
    names = NodeNames((n.address, n.name) for n in nodes)
    for n in nodes:
        names.add(n.name, n.name)
    # every spelling of each server (IP, FQDN, host name); IM and Presence ones apart
    servers.add_aliases(rows, names)
    out_of_scope_names = servers.out_of_scope_spellings(rows)
    notes: list[str] = []
    unknown: list[str] = []
    unknown_keys: set[str] = set()

    def not_listed(name: str, description: str) -> None:
        # One entry per node however the cluster spells it (address or hostname).
        keys = {k for k in (name.lower(), description.lower()) if k}
        if keys & unknown_keys or keys & out_of_scope_names:
            return  # listed already, or out of scope (IM and Presence)
        unknown_keys.update(keys)
        extra = f" ({description})" if description and description.lower() != name.lower() else ""
        unknown.append(f"{name or '?'}{extra}")

    groups: dict[str, list[str]] = {}
    axl_error: Exception | None = None
    try:
        axl = gateway.pool.axl()
        for row in process_nodes(axl):
            name = names.find(*row.spellings)
            if name is None:
                not_listed(row.name, row.description)
            if name and row.usage in ("0", "1"):
                role = Role.PUBLISHER if row.usage == "0" else Role.SUBSCRIBER
                for i, fact in enumerate(nodes):
                    if fact.name == name and fact.role is not role:
                        notes.append(f"node {name}: the cluster says {role}")
                        nodes[i] = fact.model_copy(update={"role": role})
        for member in group_members(axl):
            found = names.find(*member.spellings)
            if found is None:  # a member the inventory misses: reported, not in the facts
                not_listed(member.name, member.description)
                continue
            groups.setdefault(member.group, []).append(found)
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
