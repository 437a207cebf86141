"""Read-only health checks before any change (also what ``--dry-run`` runs)."""

from __future__ import annotations

from dataclasses import dataclass, field

from orchestrator.engine.gateway import ClusterGateway, NodeHealth

DISK_LIMIT_PCT = 90


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


def check_node(gateway: ClusterGateway, node: str) -> PrecheckResult:
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
    return result


def check_replication(gateway: ClusterGateway) -> list[str]:
    states = gateway.replication()
    if not states:
        return ["utils dbreplication runtimestate printed no server rows"]
    return [
        f"replication state on {name} is {state}, expected 2 (Setup Completed)"
        for name, state in sorted(states.items())
        if state != 2
    ]
