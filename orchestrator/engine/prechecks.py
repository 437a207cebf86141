"""Read-only health checks before any change (also what ``--dry-run`` runs)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator import parallel
from orchestrator.engine.gateway import ClusterGateway, NodeHealth
from orchestrator.planning.space import describe_free_space, required_free_mb

DISK_LIMIT_PCT = 90


@dataclass(frozen=True)
class PrecheckPolicy:
    """What the prechecks before an install need to know from the playbook."""

    cop_size_mb: int | None = None
    take_over_held_wizard: bool = False
    # The SFTP source check (login, directory, files, sizes): problems, or none.
    source: Callable[[], list[str]] | None = None

    @property
    def required_free_mb(self) -> int:
        return required_free_mb(self.cop_size_mb)

    def describe_free_space(self) -> str:
        return describe_free_space(self.cop_size_mb)


@dataclass
class PrecheckResult:
    node: str
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    expected_services: list[str] = field(default_factory=list)
    reachable: bool = True

    @property
    def ok(self) -> bool:
        return not self.problems


def check_node(
    gateway: ClusterGateway, node: str, policy: PrecheckPolicy | None = None
) -> PrecheckResult:
    """Health of ``node``; with a ``policy`` (before installing) also its free space in
    the common partition and whether another session holds its install wizard."""
    result = PrecheckResult(node)
    health: NodeHealth = gateway.health(node)
    if not health.reachable:
        result.reachable = False
        result.problems.append(f"not reachable: {health.problem}")
        return result
    down = [s for s in health.services if s.counts_as_down]
    for service in down:
        result.problems.append(f"service {service.name} is {service.state}, expected STARTED")
    result.expected_services = sorted(
        s.name for s in health.services if s.state == "STARTED" and not s.reason
    )
    if health.upgrade_status == "Running":
        result.problems.append("an upgrade is in progress (utils system upgrade status)")
    if health.disk_active_pct is not None and health.disk_active_pct >= DISK_LIMIT_PCT:
        result.problems.append(f"active disk partition {health.disk_active_pct}% full")
    if health.ntp_synchronised is False:
        result.warnings.append("NTP is not synchronised (utils ntp status)")
    if policy is not None:
        _check_free_space(result, health, policy)
        if health.upgrade_status != "Running":
            _check_wizard(gateway, result, policy)
    return result


def _check_free_space(result: PrecheckResult, health: NodeHealth, policy: PrecheckPolicy) -> None:
    free = health.common_free_mb
    if free is None:
        result.warnings.append(
            "could not read the common partition's free space (show status, Disk/logging)"
        )
    elif free < policy.required_free_mb:
        result.problems.append(
            f"only {free} MB free in the common partition (show status, Disk/logging); the "
            f"install needs {policy.describe_free_space()}: free space with the Log Partition "
            "Monitoring Tool or the CLI, then run again"
        )


def _check_wizard(gateway: ClusterGateway, result: PrecheckResult, policy: PrecheckPolicy) -> None:
    node = result.node
    try:
        state = gateway.wizard_state(node)
    except Exception as exc:  # a finding, not a crash: the run stops before any change
        result.problems.append(f"could not check the install wizard: {exc}")
        return
    if state == "held" and policy.take_over_held_wizard:
        result.warnings.append(
            "another session holds the install wizard; install.take_over_held_wizard is "
            "set, so the install will take it over (Assume control: yes)"
        )
    elif state == "held":
        result.problems.append(
            "another session holds the install wizard (Another user session is currently "
            "configuring an upgrade): that session should leave it with q, or run "
            f"`utils system upgrade cancel` on {node} if it is stale; to take it over "
            "instead, set install.take_over_held_wizard: true in the playbook"
        )
    elif state == "in_progress":
        result.problems.append("an upgrade is in progress (An upgrade is already in progress)")
    elif state != "free":
        result.problems.append(
            "the install wizard did not show its Source menu; run `utils system upgrade "
            f"initiate` on {node} by hand to see why"
        )


def check_replication(gateway: ClusterGateway) -> list[str]:
    states = gateway.replication()
    if not states:
        return ["utils dbreplication runtimestate printed no server rows"]
    return [
        f"replication state on {name} is {state}, expected 2 (Setup Completed)"
        for name, state in sorted(states.items())
        if state != 2
    ]


@dataclass
class ClusterPrecheck:
    """The precheck stage's findings: one result per node, then the cluster-wide ones."""

    nodes: list[PrecheckResult]
    cluster: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        """Every problem, each node's prefixed with its name; cluster-wide ones last."""
        return [f"{r.node}: {p}" for r in self.nodes for p in r.problems] + self.cluster

    @property
    def ok(self) -> bool:
        return not self.problems


def check_cluster(
    gateway: ClusterGateway, nodes: list[str], policy: PrecheckPolicy
) -> ClusterPrecheck:
    """The rollout's precheck stage, and what ``--dry-run`` runs: every node at once
    (health, free space, the install wizard), then replication and AXL cluster-wide.

    The cluster-wide checks run only when every node answered: with a node down they
    would only repeat what its own finding says."""
    results = parallel.each(lambda node: check_node(gateway, node, policy), nodes, limit=None)
    # Where the nodes fetch the COP: a wrong directory must fail here, not in the window.
    cluster: list[str] = policy.source() if policy.source is not None else []
    if all(result.reachable for result in results):
        cluster += check_replication(gateway)
        axl = gateway.axl_problem()
        if axl:
            cluster.append(axl)
    return ClusterPrecheck(results, cluster)
