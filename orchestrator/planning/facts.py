"""What discovery found out about a cluster, and how it compares with the inventory."""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator, model_validator

from orchestrator.config.fields import ReleaseText
from orchestrator.config.inventory import Inventory, Node, Role
from orchestrator.cucm.release import Release


class NodeFacts(BaseModel):
    name: str = Field(min_length=1)
    address: str = Field(min_length=1)
    role: Role
    release: ReleaseText
    runs_callmanager: bool
    runs_tftp: bool
    installed_options: list[str] = Field(default_factory=list)
    ssh_port: int = 22
    https_port: int = 8443
    # Discovery sets this when the install history shows a device pack installed
    # after the node's last boot / service start: the pack is in but not picked up.
    pending_restart: bool = False
    # The node's time zone (IANA name) its stamps are converted with; None = unknown,
    # read as UTC (cucm.pickup.node_zone).
    timezone: str | None = None

    @property
    def release_number(self) -> Release:
        return Release.parse(self.release)

    @property
    def is_publisher(self) -> bool:
        return self.role is Role.PUBLISHER


class ClusterFacts(BaseModel):
    cluster: str
    nodes: list[NodeFacts] = Field(min_length=1)
    # CallManager group name -> member node names, first = primary.
    groups: dict[str, list[str]] = Field(default_factory=dict)
    # Servers of the cluster that are not rolled out to (IM and Presence): name -> why.
    out_of_scope: dict[str, str] = Field(default_factory=dict)

    @field_validator("nodes")
    @classmethod
    def _one_publisher(cls, nodes: list[NodeFacts]) -> list[NodeFacts]:
        count = sum(node.is_publisher for node in nodes)
        if count != 1:
            raise ValueError(f"a cluster has exactly one publisher, these facts have {count}")
        names = [node.name for node in nodes]
        if len(set(names)) != len(names):
            raise ValueError("node names are not unique")
        return nodes

    @model_validator(mode="after")
    def _known_members(self) -> ClusterFacts:
        names = {node.name for node in self.nodes}
        for group, members in self.groups.items():
            unknown = [m for m in members if m not in names]
            if unknown:
                raise ValueError(f"group {group} names unknown nodes: {', '.join(unknown)}")
        return self

    @property
    def publisher(self) -> NodeFacts:
        return next(node for node in self.nodes if node.is_publisher)

    @property
    def subscribers(self) -> list[NodeFacts]:
        return [node for node in self.nodes if not node.is_publisher]

    def node(self, name: str) -> NodeFacts:
        return next(node for node in self.nodes if node.name == name)


def _match(inv_node: Node, facts: ClusterFacts) -> NodeFacts | None:
    if inv_node.name:
        for node in facts.nodes:
            if node.name.lower() == inv_node.name.lower():
                return node
    for node in facts.nodes:
        if node.address.lower() == inv_node.address.lower():
            return node
    return None


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _compare(inv: Node, found: NodeFacts) -> list[str]:
    label = f"node {found.name}"
    diffs = []
    if inv.name and inv.name.lower() != found.name.lower():
        diffs.append(f"{label}: inventory calls it {inv.name!r} (matched by address)")
    if inv.address.lower() != found.address.lower():
        diffs.append(f"{label}: inventory address {inv.address}, the cluster says {found.address}")
    if inv.role is not found.role:
        diffs.append(f"{label}: inventory says {inv.role}, the cluster says {found.role}")
    if inv.release and Release.parse(inv.release) != found.release_number:
        diffs.append(
            f"{label}: inventory says release {inv.release}, the node runs {found.release}"
        )
    if inv.callmanager is not None and inv.callmanager != found.runs_callmanager:
        diffs.append(
            f"{label}: inventory says callmanager: {_yes(inv.callmanager)}, "
            f"the node {'runs' if found.runs_callmanager else 'does not run'} "
            "Cisco CallManager"
        )
    if inv.tftp is not None and inv.tftp != found.runs_tftp:
        diffs.append(
            f"{label}: inventory says tftp: {_yes(inv.tftp)}, "
            f"the node {'runs' if found.runs_tftp else 'does not run'} Cisco Tftp"
        )
    return diffs


def reconcile(inventory: Inventory, facts: ClusterFacts) -> tuple[ClusterFacts, list[str]]:
    """Merge discovered facts with the inventory and list where they disagree.

    The cluster is the truth for everything it reports; the inventory contributes
    what discovery cannot see (SSH/HTTPS ports) and the CallManager groups when
    discovery found none. Differences are readable sentences for the operator.
    """
    diffs: list[str] = []
    if inventory.cluster != facts.cluster:
        diffs.append(
            f"inventory names the cluster {inventory.cluster!r}, discovery {facts.cluster!r}"
        )
    ports: dict[str, tuple[int, int]] = {}
    matched: set[str] = set()
    for inv_node in inventory.nodes:
        if inv_node.label in facts.out_of_scope:
            continue  # listed, but not a CUCM server: the plan says why
        found = _match(inv_node, facts)
        if found is None:
            diffs.append(f"node {inv_node.label}: in the inventory but not in the cluster")
            continue
        matched.add(found.name)
        ports[found.name] = (inv_node.ssh_port, inv_node.https_port)
        diffs.extend(_compare(inv_node, found))
    for node in facts.nodes:
        if node.name not in matched:
            diffs.append(f"node {node.name} ({node.address}): discovered, not in the inventory")

    groups = facts.groups
    if not groups and inventory.callmanager_groups:
        groups = _groups_by_fact_names(inventory, facts)
        diffs.append("discovery found no CallManager groups; using the inventory's")
    else:
        diffs.extend(_compare_groups(inventory, facts))

    nodes = [
        node.model_copy(update=dict(zip(("ssh_port", "https_port"), ports[node.name], strict=True)))
        if node.name in ports
        else node
        for node in facts.nodes
    ]
    return facts.model_copy(update={"nodes": nodes, "groups": groups}), diffs


def _fact_name(inventory: Inventory, facts: ClusterFacts, inv_name: str) -> str:
    inv_node = inventory.node(inv_name)
    found = _match(inv_node, facts) if inv_node else None
    return found.name if found else inv_name


def _groups_by_fact_names(inventory: Inventory, facts: ClusterFacts) -> dict[str, list[str]]:
    known = {node.name for node in facts.nodes}
    groups = {}
    for group, members in inventory.callmanager_groups.items():
        names = [_fact_name(inventory, facts, m) for m in members]
        groups[group] = [n for n in names if n in known]
    return {g: m for g, m in groups.items() if m}


def _compare_groups(inventory: Inventory, facts: ClusterFacts) -> list[str]:
    diffs = []
    for group, members in inventory.callmanager_groups.items():
        names = [_fact_name(inventory, facts, m) for m in members]
        actual = facts.groups.get(group)
        if actual is None:
            diffs.append(f"CallManager group {group}: in the inventory but not in the cluster")
        elif names != actual:
            diffs.append(
                f"CallManager group {group}: inventory lists {', '.join(names)}, "
                f"the cluster {', '.join(actual)}"
            )
    for group in facts.groups:
        if inventory.callmanager_groups and group not in inventory.callmanager_groups:
            diffs.append(f"CallManager group {group}: discovered, not in the inventory")
    return diffs
