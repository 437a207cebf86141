"""An in-memory ClusterGateway for unit tests of the rollout and step state machines.

Nodes change state instantly (a reboot is over by the next probe unless told otherwise);
every change the engine asks for is recorded in ``calls`` so tests judge what was done.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from orchestrator.cucm.replication import CheckStart
from orchestrator.engine.gateway import (
    BackupFact,
    InstallReport,
    InstallRequest,
    NodeHealth,
    ReplicationCheck,
    ServiceState,
)

SERVICES = ["A Cisco DB", "Cisco Tomcat", "Cisco CallManager", "Cisco Tftp"]


class Down(Exception):
    """The node refuses connections (it is rebooting): transient for the engine."""


@dataclass
class FakeNode:
    name: str
    options: list[str] = field(default_factory=list)
    upgrade: str = "Idle"
    boot: float = 1000.0
    down: bool = False
    never_returns: bool = False
    install_outcome: str = "installed"
    # polls of upgrade_status before a Running install completes
    running_polls: int = 0
    installed_at: float | None = None
    common_free_mb: int = 20_000
    wizard: str = "free"  # free | held (another session's open wizard) | in_progress
    failing_files: set[str] = field(default_factory=set)  # installs of these fail
    services: dict[str, ServiceState] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.services:
            self.services = {s: ServiceState(s, "STARTED", "", 100.0) for s in SERVICES}


class FakeCluster:
    def __init__(self, names: list[str], file: str) -> None:
        self.nodes = {n: FakeNode(n) for n in names}
        self.file = file.removesuffix(".sgn")
        self.calls: list[tuple[str, str]] = []
        self._lock = threading.Lock()
        self.active_installs = 0
        self.max_active_installs = 0
        self.on_install: Callable[[str], None] = lambda node: None
        self.replication_states: dict[str, int] = {}  # node -> state, 2 unless set
        self.installed_files: list[tuple[str, str]] = []  # (node, file) in install order
        self.backup = BackupFact(True, True, time.time() - 3600, "SUCCESS")
        # the replication status check shown: when it started, on the fake's logical clock
        # (boots are 1000, 1100, ...); a new one starts 5 s after the latest boot
        self.check_started = 0.0

    def count(self, call: str, node: str | None = None) -> int:
        return sum(1 for c, n in self.calls if c == call and (node is None or n == node))

    def _up(self, node: str) -> FakeNode:
        state = self.nodes[node]
        if state.down:
            raise Down(f"{node}: connection refused")
        return state

    # ----- reads -----------------------------------------------------------------

    def health(self, node: str) -> NodeHealth:
        state = self.nodes[node]
        if state.down:
            return NodeHealth(reachable=False, problem="connection refused")
        return NodeHealth(
            reachable=True,
            release="9.1.2.10000-28",
            options=list(state.options),
            services=list(state.services.values()),
            upgrade_status=state.upgrade,
            common_free_mb=state.common_free_mb,
        )

    def installed_options(self, node: str) -> list[str]:
        return list(self._up(node).options)

    def upgrade_status(self, node: str) -> str:
        state = self._up(node)
        if state.upgrade == "Running":
            if state.running_polls <= 0:
                state.upgrade = "Completed"
                state.options.append(self.file)
                state.installed_at = state.boot + 1
            state.running_polls -= 1
        return state.upgrade

    def wizard_state(self, node: str) -> str:
        return self._up(node).wizard

    def last_boot(self, node: str) -> float | None:
        return self._up(node).boot

    def install_time(self, node: str, file: str) -> float | None:
        return self._up(node).installed_at

    def services(self, node: str) -> list[ServiceState]:
        return list(self._up(node).services.values())

    def replication(self) -> dict[str, int]:
        return {n: self.replication_states.get(n, 2) for n in self.nodes}

    def replication_check(self) -> ReplicationCheck:
        start = CheckStart(self.check_started, self.check_started + 1, "fake", "UTC")
        return ReplicationCheck(self.replication(), start)

    def start_replication_check(self) -> None:
        self.calls.append(("replication check", "publisher"))
        self.check_started = max(n.boot for n in self.nodes.values()) + 5

    def restart_stamp(self, node: str) -> float | None:
        return self._up(node).boot

    def service_start_time(self, node: str, service: str) -> float | None:
        found = self._up(node).services.get(service)
        return found.start_time if found else None

    def missing_models(self, models: list[str]) -> list[str]:
        return []

    def axl_problem(self) -> str | None:
        return None

    def backup_status(self) -> BackupFact:
        return self.backup

    def close(self) -> None:
        pass

    # ----- changes ---------------------------------------------------------------

    def install(
        self, node: str, request: InstallRequest, on_phase: Callable[[str], None]
    ) -> InstallReport:
        state = self._up(node)
        with self._lock:
            self.calls.append(("install", node))
            self.active_installs += 1
            self.max_active_installs = max(self.max_active_installs, self.active_installs)
        try:
            self.on_install(node)
            took_over = state.wizard == "held"
            if took_over and not request.take_over_held_wizard:
                return InstallReport("locked", "another session is configuring an upgrade")
            if state.install_outcome != "installed" or request.file in state.failing_files:
                return (
                    InstallReport("failed", "the fake said no", "aa:bb")
                    if request.file in state.failing_files
                    else InstallReport(state.install_outcome, "the fake said no", "aa:bb")
                )
            self.installed_files.append((node, request.file))
            state.options.append(request.file.removesuffix(".sgn"))
            state.upgrade = "Completed"
            # on the fake's logical clock: after the current boot and service starts
            state.installed_at = (
                max(state.boot, *(s.start_time or 0 for s in state.services.values())) + 1
            )
            return InstallReport("installed", "ok", "aa:bb", took_over_wizard=took_over)
        finally:
            with self._lock:
                self.active_installs -= 1

    def request_reboot(self, node: str) -> None:
        state = self._up(node)
        self.calls.append(("reboot", node))
        if state.never_returns:
            state.down = True
            return
        state.boot += 100.0
        state.services = {
            s: ServiceState(s, "STARTED", "", state.boot + 10) for s in state.services
        }

    def start_service(self, node: str, service: str) -> None:
        state = self._up(node)
        self.calls.append((f"start {service}", node))
        state.services[service] = ServiceState(service, "STARTED", "", state.boot + 20)

    def restart_service(self, node: str, service: str) -> None:
        state = self._up(node)
        self.calls.append((f"restart {service}", node))
        old = state.services[service]
        start = max(old.start_time or 0, state.installed_at or 0) + 50
        state.services[service] = ServiceState(service, "STARTED", "", start)
