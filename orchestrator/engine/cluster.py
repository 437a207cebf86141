"""``DriverGateway``: the engine's view of a cluster over the SSH CLI and SOAP drivers.

One CLI session per node, opened on first use and reused across steps (a real login
takes ~10 s); commands on one node are serialised; a session is dropped after a
restart or any error and reopened on the next use.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC
from pathlib import Path
from typing import Any

import structlog

from orchestrator.config.inventory import Inventory, Node
from orchestrator.config.secrets import Secret
from orchestrator.cucm.release import Release, axl_version_for, cop_base_name
from orchestrator.drivers.ssh import parsers
from orchestrator.drivers.ssh.channel import check_typable
from orchestrator.drivers.ssh.errors import (
    CommandFailed,
    CommandTimeout,
    DriverError,
    NodeUnreachable,
    SessionClosed,
    UnexpectedPrompt,
    UnsafeText,
)
from orchestrator.drivers.ssh.platform import CucmCli
from orchestrator.drivers.ssh.transport import SshTarget
from orchestrator.drivers.ssh.upgrade import CopInstallRequest, InstallOutcome
from orchestrator.engine.gateway import (
    InstallReport,
    InstallRequest,
    NodeHealth,
    ServiceState,
)

log = structlog.get_logger(__name__)

# The CLI idle timeout is raised to the install timeout plus this while an install runs.
SESSION_TIMEOUT_MARGIN_MINUTES = 5
DEFAULT_SESSION_TIMEOUT_MINUTES = 30  # reference 1
# A session idle longer than this is checked (Enter at admin:) before it is used again:
# the node may have ended it, and the check also restarts the node's idle timer.
REVALIDATE_AFTER = 5.0

# A node that is rebooting refuses connections or drops sessions: worth retrying.
TRANSIENT: tuple[type[BaseException], ...] = (NodeUnreachable, SessionClosed, CommandTimeout)


class DriverGateway:
    def __init__(
        self,
        inventory: Inventory,
        platform_password: Secret,
        application_password: Secret,
        *,
        known_hosts: Path,
        ca_bundle: Path | None,
        login_timeout: float = 60.0,
        command_timeout: float = 300.0,
        connect_timeout: float = 10.0,
        axl_factory: Callable[[], object] | None = None,
    ) -> None:
        self.inventory = inventory
        self._platform_password = platform_password
        self._application_password = application_password
        self.known_hosts = known_hosts
        self.ca_bundle = ca_bundle
        self.login_timeout = login_timeout
        self.command_timeout = command_timeout
        self.connect_timeout = connect_timeout
        self._sessions: dict[str, CucmCli] = {}
        self._parked: list[CucmCli] = []  # sessions an install still runs in
        self._last_used: dict[str, float] = {}
        self._locks: dict[str, threading.Lock] = {
            n.label: threading.Lock() for n in inventory.nodes
        }
        self._axl_factory = axl_factory
        self._axl: Any = None
        self._cc: dict[str, Any] = {}  # Control Center clients by node
        # set by discovery from the publisher's release; AXL rejects unknown versions.
        # None (a resumed run, which skips discovery): read from the publisher on first use.
        self.axl_version: str | None = None
        self.logins = 0  # how many SSH logins this gateway made (benchmarks read it)

    # ----- sessions ------------------------------------------------------------------

    def _node(self, name: str) -> Node:
        node = self.inventory.node(name)
        if node is None:
            raise KeyError(f"node {name} is not in the inventory")
        return node

    def _target(self, node: Node) -> SshTarget:
        return SshTarget(
            host=node.address,
            port=node.ssh_port,
            username=self.inventory.credentials.platform.username,
            password=self._platform_password,
            known_hosts=str(self.known_hosts),
            connect_timeout=self.connect_timeout,
        )

    @contextmanager
    def cli(self, name: str) -> Iterator[CucmCli]:
        """The node's session, opened if needed; dropped if a command breaks it."""
        with self._locks[name]:
            session = self._sessions.get(name)
            idle = time.monotonic() - self._last_used.get(name, 0.0)
            if session is not None and idle > REVALIDATE_AFTER and not session.responsive():
                # the node ended it (the CLI's idle session timeout, reference 1)
                log.info("cli.session_ended_by_node", node=name, idle=round(idle, 1))
                session = None
            if session is None or not session.is_open:
                session = CucmCli(
                    self._target(self._node(name)),
                    login_timeout=self.login_timeout,
                    command_timeout=self.command_timeout,
                )
                session.open()
                self.logins += 1
                self._sessions[name] = session
            try:
                yield session
            except DriverError:
                session.close()
                self._sessions.pop(name, None)
                raise
            finally:
                self._last_used[name] = time.monotonic()

    def _park(self, name: str) -> None:
        """Keep ``name``'s session open but out of use (an install still runs in it)."""
        session = self._sessions.pop(name, None)
        if session is not None:
            self._parked.append(session)
            log.warning("install.session_kept_open", node=name)

    def _raise_session_timeout(self, name: str, install_timeout: float) -> int | None:
        """Make the CLI idle timeout outlast the install (reference 1: 30 minutes by
        default, and the install's session is silent while it runs). The new value holds
        for new sessions, so the install gets one. Returns the value to restore, or None
        when nothing was changed."""
        needed = math.ceil(install_timeout / 60) + SESSION_TIMEOUT_MARGIN_MINUTES
        try:
            with self.cli(name) as cli:
                # unreadable: assume the platform default and restore that afterwards
                current = cli.session_timeout() or DEFAULT_SESSION_TIMEOUT_MINUTES
                if current >= needed:
                    return None
                if not cli.set_session_timeout(needed):
                    log.warning("cli.session_timeout_not_set", node=name, minutes=needed)
                    return None
        except (CommandFailed, UnexpectedPrompt) as exc:
            log.warning("cli.session_timeout_not_set", node=name, error=str(exc))
            return None
        log.info("cli.session_timeout_raised", node=name, minutes=needed, was=current)
        self.drop(name)  # the install runs in a session that has the new value
        return current

    def _restore_session_timeout(self, name: str, minutes: int) -> None:
        try:
            with self.cli(name) as cli:
                restored = cli.set_session_timeout(minutes)
        except DriverError as exc:
            restored = False
            log.warning("cli.session_timeout_not_restored", node=name, error=str(exc))
        if restored:
            log.info("cli.session_timeout_restored", node=name, minutes=minutes)
        else:
            log.warning(
                "cli.session_timeout_not_restored",
                node=name,
                minutes=minutes,
                remedy=f"set cli session timeout {minutes} on the node",
            )

    def drop(self, name: str) -> None:
        with self._locks[name]:
            session = self._sessions.pop(name, None)
            if session:
                session.close()

    def close(self) -> None:
        for name in list(self._sessions):
            self.drop(name)
        while self._parked:
            self._parked.pop().close()

    # ----- reads ---------------------------------------------------------------------

    def health(self, node: str) -> NodeHealth:
        try:
            with self.cli(node) as cli:
                version = cli.show_version()
                services = cli.service_list()
                upgrade = cli.upgrade_status()
                status = cli.status()
                ntp = cli.ntp_status()
        except DriverError as exc:  # refused, bad credentials, changed host key, ...
            return NodeHealth(reachable=False, problem=str(exc))
        disk = status.disk("active")
        common = parsers.common_partition(status)
        common_free_kb = common.free_kb if common else None
        return NodeHealth(
            reachable=True,
            release=version.master_version,
            options=list(version.options),
            services=[_service_state(s) for s in services.services],
            upgrade_status="Running" if upgrade.busy else upgrade.state,
            disk_active_pct=disk.percent if disk else None,
            common_free_mb=common_free_kb // 1024 if common_free_kb is not None else None,
            ntp_synchronised=ntp.synchronised,
        )

    def installed_options(self, node: str) -> list[str]:
        with self.cli(node) as cli:
            return list(cli.show_version().options)

    def upgrade_status(self, node: str) -> str:
        with self.cli(node) as cli:
            status = cli.upgrade_status()
        return "Running" if status.busy else status.state

    def wizard_state(self, node: str) -> str:
        with self.cli(node) as cli:
            return str(cli.probe_upgrade_wizard(self.command_timeout))

    def last_boot(self, node: str) -> float | None:
        with self.cli(node) as cli:
            entries = cli.install_history()
        boot = parsers.last_entry(entries, "boot")
        # Only compared with other stamps from the same node, so the node's time zone
        # does not matter.
        return boot.timestamp.replace(tzinfo=UTC).timestamp() if boot else None

    def install_time(self, node: str, file: str) -> float | None:
        """When ``file`` was last installed successfully here (system-history), or None."""
        with self.cli(node) as cli:
            entries = cli.install_history()
        wanted = cop_base_name(file)
        installs = [
            e
            for e in entries
            if e.kind == "install"
            and cop_base_name(e.subject) == wanted
            and e.outcome.lower() == "success"
        ]
        last = max(installs, key=lambda e: e.timestamp, default=None)
        return last.timestamp.replace(tzinfo=UTC).timestamp() if last else None

    def services(self, node: str) -> list[ServiceState]:
        with self.cli(node) as cli:
            return [_service_state(s) for s in cli.service_list().services]

    def replication(self) -> dict[str, int]:
        with self.cli(self.inventory.publisher.label) as cli:
            status = cli.dbreplication_runtimestate()
        return {row.server: (row.state if row.state is not None else -1) for row in status.rows}

    def axl_problem(self) -> str | None:
        """None if an AXL login and query on the publisher work, else why not."""
        try:
            self.axl().ccm_version()
        except Exception as exc:  # any failure is a precheck finding, not a crash
            return f"AXL on the publisher: {exc}"
        return None

    def missing_models(self, models: list[str]) -> list[str]:
        if not models:
            return []
        axl = self.axl()
        quoted = ", ".join("'" + m.replace("'", "''") + "'" for m in models)
        rows = axl.sql(f"select name from typemodel where name in ({quoted})")
        present = {row["name"] for row in rows}
        return [m for m in models if m not in present]

    def axl(self) -> Any:
        """The publisher's AXL client, made once and shared (runs, discovery, audits)."""
        if self._axl is None:
            if self._axl_factory is not None:
                self._axl = self._axl_factory()
            else:
                from orchestrator.drivers.soap.axl import AxlClient

                pub = self.inventory.publisher
                if self.axl_version is None:
                    with self.cli(pub.label) as cli:
                        release = Release.parse(cli.show_version().master_version)
                    self.axl_version = axl_version_for(release)
                self._axl = AxlClient(
                    pub.address,
                    pub.https_port,
                    self.inventory.credentials.application.username,
                    self._application_password,
                    ca_bundle=self.ca_bundle,
                    version=self.axl_version,
                )
        return self._axl

    # ----- changes -------------------------------------------------------------------

    def install(
        self, node: str, request: InstallRequest, on_phase: Callable[[str], None]
    ) -> InstallReport:
        cop = CopInstallRequest(
            file_name=request.file,
            expected_md5=request.md5 or "",
            server=request.sftp_host,
            directory=request.directory,
            user=request.username,
            password=request.password,  # type: ignore[arg-type]
            install_timeout=request.timeout,
            assume_control=request.take_over_held_wizard,
        )
        for what, value in cop.typed_values():  # refused before anything is typed
            try:
                check_typable(what, value, host=node)
            except UnsafeText as exc:
                return InstallReport(outcome="unsafe_value", message=str(exc))
        previous = self._raise_session_timeout(node, request.timeout)
        try:
            with self.cli(node) as cli:
                result = cli.install_cop(cop, progress=on_phase)
                if cli.installing(result):
                    # Never close a session in the middle of an install: it stays open
                    # (keepalives on) until the run ends; status is read on another one.
                    self._park(node)
        finally:
            if previous is not None:
                self._restore_session_timeout(node, previous)
        if result.outcome in (InstallOutcome.SESSION_CLOSED, InstallOutcome.TIMEOUT):
            self.drop(node)
            raise SessionClosed(f"{node}: session lost during install ({result.message})")
        return InstallReport(
            outcome=str(result.outcome),
            message=result.message,
            checksum=result.checksum,
            log=result.upgrade_log,
            took_over_wizard=result.took_over_wizard,
            transcript=result.transcript if result.outcome is InstallOutcome.UNKNOWN_PROMPT else "",
        )

    def request_reboot(self, node: str) -> None:
        with self.cli(node) as cli:
            cli.restart_system()
        self.drop(node)

    def restart_service(self, node: str, service: str) -> None:
        """Restart; a service still STARTING when the command returns is not a failure
        (some stay STARTING for minutes): the caller waits for STARTED with its timeout."""
        with self.cli(node) as cli:
            restart = cli.restart_service(service, timeout=self.command_timeout, check=False)
        if restart.final_state not in ("STARTED", "STARTING"):
            raise CommandFailed(
                f"utils service restart {service}",
                "",
                reason=f"{service} ended {restart.final_state or 'in no known state'}",
                host=node,
            )

    def service_start_time(self, node: str, service: str) -> float | None:
        """From Control Center's StartTime (the CLI does not tell); None if unavailable."""
        try:
            client = self.control_center(node)
            statuses = client.service_status([service])
        except Exception as exc:  # optional evidence: without it a restart is redone
            log.warning("controlcenter.unavailable", node=node, error=str(exc))
            self._cc.pop(node, None)
            return None
        found = next((s for s in statuses if s.name == service), None)
        return found.start_time.timestamp() if found and found.start_time else None

    def control_center(self, node: str) -> Any:
        """The node's Control Center client, made once per node and shared."""
        if node not in self._cc:
            from orchestrator.drivers.soap.controlcenter import ControlCenterClient
            from orchestrator.drivers.soap.transport import RetryPolicy

            target = self._node(node)
            self._cc[node] = ControlCenterClient(
                target.address,
                target.https_port,
                self.inventory.credentials.application.username,
                self._application_password,
                ca_bundle=self.ca_bundle,
                timeout=self.connect_timeout,
                retry=RetryPolicy(attempts=2, initial_wait=0.5),
            )
        return self._cc[node]


def _service_state(status: parsers.ServiceStatus) -> ServiceState:
    return ServiceState(status.name, status.state, status.reason)
