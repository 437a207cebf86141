"""Read-only health checks before any change (also what ``--dry-run`` runs)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator import parallel
from orchestrator.cucm import replication as replication_rule
from orchestrator.cucm import services as services_rule
from orchestrator.cucm.texts import STUCK_FRAMEWORK_REMEDY
from orchestrator.drivers.ssh.errors import ReplicationCheckRunning
from orchestrator.engine.gateway import BackupFact, ClusterGateway, NodeHealth, ReplicationCheck
from orchestrator.planning.space import describe_free_space, required_free_mb

DISK_LIMIT_PCT = 90


@dataclass(frozen=True)
class PrecheckPolicy:
    """What the prechecks before an install need to know from the playbook."""

    cop_size_mb: int | None = None
    take_over_held_wizard: bool = False
    backup_max_age_hours: int = 24
    refuse_without_recent_backup: bool = False  # else a warning
    # a replication status check older than this (or than a node's last boot) is not
    # judged (cucm.replication.precheck_check_age); devpack's choice, not Cisco's
    replication_check_max_age: float = replication_rule.DEFAULT_PRECHECK_MAX_AGE
    timeout: float = 1800.0  # the precheck stage's wait for a fresh status check
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
    for problem in services_rule.judge(health.services):
        result.problems.append(
            f"service {problem.describe()}, expected STARTED: {problem.remedy(node)}, or "
            "find why it stopped"
        )
    result.expected_services = services_rule.started(health.services)
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
        # status is not Running (else the probe is skipped) yet the wizard says so
        result.problems.append(
            "the upgrade framework is stuck: utils system upgrade status shows no install "
            "running, yet the wizard answers An upgrade is already in progress; "
            + STUCK_FRAMEWORK_REMEDY
        )
    elif state != "free":
        result.problems.append(
            "the install wizard did not show its Source menu; run `utils system upgrade "
            f"initiate` on {node} by hand to see why"
        )


def backup_finding(backup: BackupFact, max_age_hours: int, now: float) -> str | None:
    """Why the cluster's last DRS backup does not do (None: a successful one, recent)."""
    if not backup.available:
        return (
            "no DRS backup status on the publisher (drfCliMsg: No backup status available): "
            "take a backup first, a device pack cannot be uninstalled (Cisco's step 1)"
        )
    if not backup.succeeded:
        return (
            f"the last DRS backup did not succeed (Status: {backup.status or '?'}): take a "
            "successful backup first, a device pack cannot be uninstalled (Cisco's step 1)"
        )
    if backup.finished is None:
        return "could not tell when the last DRS backup ran (utils disaster_recovery status backup)"
    age_hours = (now - backup.finished) / 3600
    if age_hours > max_age_hours:
        return (
            f"the last successful DRS backup is {age_hours:.0f} h old (more than "
            f"backup.max_age_hours: {max_age_hours}): take a fresh backup first, a device "
            "pack cannot be uninstalled (Cisco's step 1)"
        )
    return None


def check_backup(
    gateway: ClusterGateway, policy: PrecheckPolicy, now: float
) -> tuple[list[str], list[str]]:
    """(problems, warnings) about the last DRS backup; problems only when the playbook
    says backup.when_missing_or_old: refuse."""
    try:
        backup = gateway.backup_status()
    except Exception as exc:  # a finding, not a crash
        text = f"could not read the DRS backup status: {exc}"
    else:
        found = backup_finding(backup, policy.backup_max_age_hours, now)
        if found is None:
            return [], []
        text = found
    if policy.refuse_without_recent_backup:
        return [text + " (backup.when_missing_or_old: refuse)"], []
    return [], [text]


@dataclass(frozen=True)
class ReplicationLook:
    """The status check runtimestate shows, and what a precheck makes of it."""

    check: ReplicationCheck
    age: replication_rule.CheckAge

    def describe(self) -> str:
        started = self.check.started.describe() if self.check.started else "at no time shown"
        return f"started {started}, {self.age.describe_age()}"


# The run's precheck stage: given a way to look at the check shown, wait (bounded) for a
# fresh one it starts itself; None: none came in time (``engine.gates``).
Renew = Callable[[Callable[[], ReplicationLook]], "ReplicationLook | None"]


@dataclass
class ReplicationFinding:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    accepted: ReplicationLook | None = None  # the check judged, when it was fresh


def replication_looker(
    gateway: ClusterGateway,
    nodes: list[str],
    max_age: float,
    clock: Callable[[], float] = time.time,
) -> Callable[[], ReplicationLook]:
    """Look at the publisher's status check as a precheck judges it: against every
    node's last Boot line (read once, early) and the publisher's clock (its `Server Time:`;
    when not shown, devpack's clock -- epoch seconds need no zone, and say so)."""
    # Boot lines read EARLY (as discovery reads them), unlike a gate's: a precheck follows
    # no restart of devpack's, and read late a boot in the hour a DST change repeats
    # would refuse every check for that hour; the maximum age bounds the doubt.
    boots = dict(zip(nodes, parallel.each(gateway.last_boot, nodes, limit=None), strict=True))

    def look() -> ReplicationLook:
        check = gateway.replication_check()
        if check.now is not None:
            now, whose = check.now, "the publisher's clock"
        else:
            now, whose = clock(), "devpack's clock: runtimestate showed no Server Time"
        age = replication_rule.precheck_check_age(check.started, boots, now, max_age, whose)
        return ReplicationLook(check, age)

    return look


def check_replication(
    gateway: ClusterGateway,
    nodes: list[str],
    policy: PrecheckPolicy,
    renew: Renew | None = None,
    clock: Callable[[], float] = time.time,
) -> ReplicationFinding:
    """Replication 2 on every node, judged on a status check a precheck may trust
    (``cucm.replication.precheck_check_age``). A stale one: with ``renew`` (a run) a
    fresh check is started and waited for; without (``--dry-run``, read-only) its states
    are judged and a warning names it and the command to run."""
    look = replication_looker(gateway, nodes, policy.replication_check_max_age, clock)
    seen: ReplicationLook | None = None
    try:
        seen = look()
    except ReplicationCheckRunning as exc:  # the table is not final: never judged
        if renew is None:
            return ReplicationFinding(
                [
                    f"{exc}; run the check again once `utils dbreplication runtimestate` says "
                    "COMPLETED"
                ]
            )
    if seen is not None and seen.age.fresh:
        return ReplicationFinding(replication_problems(seen.check.states), accepted=seen)
    if renew is None:
        assert seen is not None
        warning = (
            f"the replication status check shown {seen.describe()} is not fresh enough to "
            f"prove replication now ({seen.age.why}); its states were judged as shown: run "
            "`utils dbreplication status` on the publisher and, once `utils dbreplication "
            "runtimestate` says COMPLETED, check again (a run starts one itself)"
        )
        return ReplicationFinding(replication_problems(seen.check.states), [warning])
    fresh = renew(look)
    if fresh is None:
        shown = f" (the one shown {seen.describe()}: {seen.age.why})" if seen else ""
        return ReplicationFinding(
            [
                "no fresh replication status check finished within prechecks.timeout "
                f"({policy.timeout:.0f} s){shown}: run `utils dbreplication status` on the "
                "publisher, wait for `utils dbreplication runtimestate` to say COMPLETED, "
                "then run again (or raise prechecks.timeout)"
            ]
        )
    return ReplicationFinding(replication_problems(fresh.check.states), accepted=fresh)


def replication_problems(states: dict[str, int]) -> list[str]:
    """What is wrong with a finished status check's states (empty: 2 everywhere)."""
    if not states:
        return [
            "utils dbreplication runtimestate printed no server rows (it answers so on a "
            "cluster with a single active node: is every subscriber up?)"
        ]
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
    # cluster-wide (the DRS backup's, a replication check too old to trust)
    warnings: list[str] = field(default_factory=list)
    replication: ReplicationLook | None = None  # the status check judged, if trusted

    @property
    def problems(self) -> list[str]:
        """Every problem, each node's prefixed with its name; cluster-wide ones last."""
        return [f"{r.node}: {p}" for r in self.nodes for p in r.problems] + self.cluster

    @property
    def ok(self) -> bool:
        return not self.problems


def check_cluster(
    gateway: ClusterGateway,
    nodes: list[str],
    policy: PrecheckPolicy,
    *,
    replication: bool = True,
    backup: bool = False,
    now: float | None = None,
    renew: Renew | None = None,
) -> ClusterPrecheck:
    """The rollout's precheck stage, and what ``--dry-run`` runs: every node at once
    (health, free space, the install wizard), then replication (not on a publisher-only
    cluster: ``replication`` False), AXL and, before installing (``backup``), the last
    DRS backup cluster-wide. Replication is judged on a status check recent enough
    (``check_replication``): ``renew`` (the run's stage) starts a fresh one when the
    one shown is stale, without it (``--dry-run``) a stale one is a warning.

    The cluster-wide checks run only when every node answered: with a node down they
    would only repeat what its own finding says."""
    results = parallel.each(lambda node: check_node(gateway, node, policy), nodes, limit=None)
    # Where the nodes fetch the COP: a wrong directory must fail here, not in the window.
    cluster: list[str] = policy.source() if policy.source is not None else []
    warnings: list[str] = []
    accepted: ReplicationLook | None = None
    if all(result.reachable for result in results):
        if replication:
            found = check_replication(gateway, nodes, policy, renew)
            cluster += found.problems
            warnings += found.warnings
            accepted = found.accepted
        axl = gateway.axl_problem()
        if axl:
            cluster.append(axl)
        if backup:
            refused, warned = check_backup(gateway, policy, time.time() if now is None else now)
            cluster += refused
            warnings += warned
    return ClusterPrecheck(results, cluster, warnings, accepted)
