"""``DriverGateway``: the engine's view of a cluster, over the cluster access layer's
``ConnectionPool`` (``orchestrator/cluster/pool.py``: the sessions and SOAP clients)."""

from __future__ import annotations

import math
from collections.abc import Callable
from contextlib import AbstractContextManager

import structlog

from orchestrator.cluster.pool import ConnectionPool
from orchestrator.cucm import pickup, replication
from orchestrator.drivers.soap.axl import AxlClient
from orchestrator.drivers.soap.controlcenter import ControlCenterClient
from orchestrator.drivers.ssh import parsers
from orchestrator.drivers.ssh.algorithms import Negotiated
from orchestrator.drivers.ssh.channel import check_typable
from orchestrator.drivers.ssh.errors import (
    CommandFailed,
    CommandTimeout,
    DriverError,
    NodeUnreachable,
    ParseError,
    SessionClosed,
    UnexpectedPrompt,
    UnsafeText,
)
from orchestrator.drivers.ssh.platform import CucmCli
from orchestrator.drivers.ssh.upgrade import CopInstallRequest, InstallOutcome
from orchestrator.engine.gateway import (
    BackupFact,
    InstallReport,
    InstallRequest,
    NodeHealth,
    ReplicationCheck,
    ServiceState,
)
from orchestrator.engine.states import InstallOutcome as EngineOutcome

log = structlog.get_logger(__name__)

# The CLI idle timeout is raised to the install timeout plus this while an install runs.
SESSION_TIMEOUT_MARGIN_MINUTES = 5
DEFAULT_SESSION_TIMEOUT_MINUTES = 30  # reference 1

# A node that is rebooting refuses connections or drops sessions: worth retrying.
TRANSIENT: tuple[type[BaseException], ...] = (NodeUnreachable, SessionClosed, CommandTimeout)


class DriverGateway:
    """The engine's ``ClusterGateway`` over a cluster's ``ConnectionPool``: the steps'
    reads and changes, in the engine's words. The pool (sessions, SOAP clients) may be
    shared: discovery before the run and the post-run audit use the same one."""

    def __init__(self, pool: ConnectionPool) -> None:
        self.pool = pool
        self.inventory = pool.inventory
        self.command_timeout = pool.command_timeout

    # the pool's, for callers that hold a gateway
    def cli(self, name: str) -> AbstractContextManager[CucmCli]:
        return self.pool.cli(name)

    def drop(self, name: str) -> None:
        self.pool.drop(name)

    def close(self) -> None:
        self.pool.close()

    def axl(self) -> AxlClient:
        return self.pool.axl()

    def control_center(self, node: str) -> ControlCenterClient:
        return self.pool.control_center(node)

    def timezone(self, node: str) -> str | None:
        return self.pool.timezone(node)

    def tls_name(self, node: str) -> str:
        return self.pool.tls_name(node)

    @property
    def ssh_algorithms(self) -> dict[str, Negotiated]:
        """What each node's last login agreed on (the plan names legacy algorithms)."""
        return self.pool.ssh_algorithms

    @property
    def logins(self) -> int:
        """How many SSH logins were made (benchmarks read it)."""
        return self.pool.logins

    # ----- the install's session ---------------------------------------------------------

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

    def backup_status(self) -> BackupFact:
        """The cluster's last DRS backup (the publisher's CLI), its stamp converted with
        the publisher's zone."""
        pub = self.inventory.publisher.label
        with self.cli(pub) as cli:
            status = cli.backup_status()
        zone = pickup.node_zone(self.timezone(pub))
        when = pickup.node_epoch(status.stamp, zone) if status.stamp is not None else None
        return BackupFact(status.available, status.succeeded, when, status.status or "")

    def last_boot(self, node: str) -> float | None:
        with self.cli(node) as cli:
            entries = cli.install_history()
        return pickup.last_boot(entries, pickup.node_zone(self.timezone(node)))

    def install_time(self, node: str, file: str) -> float | None:
        """When ``file`` was last installed successfully here (system-history), or None."""
        with self.cli(node) as cli:
            entries = cli.install_history()
        return pickup.install_time(entries, file, pickup.node_zone(self.timezone(node)))

    def services(self, node: str) -> list[ServiceState]:
        with self.cli(node) as cli:
            return [_service_state(s) for s in cli.service_list().services]

    def replication(self) -> dict[str, int]:
        with self.cli(self.inventory.publisher.label) as cli:
            status = cli.dbreplication_runtimestate()
        return {row.server: (row.state if row.state is not None else -1) for row in status.rows}

    def replication_check(self) -> ReplicationCheck:
        """The publisher's last finished status check and when it started (its stamps
        are the publisher's local time)."""
        pub = self.inventory.publisher.label
        with self.cli(pub) as cli:
            status = cli.dbreplication_runtimestate()
        zone = self.timezone(pub)
        started = replication.check_start(
            status.started_minute, status.started_file, pickup.node_zone(zone), zone or "UTC"
        )
        states = {row.server: (row.state if row.state is not None else -1) for row in status.rows}
        return ReplicationCheck(states, started)

    def start_replication_check(self) -> None:
        """A refusal or a wording we cannot read is logged, not raised: the next
        runtimestate shows whether a new check began (a gate that never sees one times
        out naming the old one)."""
        pub = self.inventory.publisher.label
        with self.cli(pub) as cli:
            try:
                started = cli.start_replication_check(self.command_timeout)
            except (ParseError, CommandFailed) as exc:
                log.warning("replication.check_start_unread", node=pub, error=str(exc))
                return
        log.info("replication.check_started", node=pub, result_file=str(started.started_file))

    def restart_stamp(self, node: str) -> float | None:
        with self.cli(node) as cli:
            entries = cli.install_history()
        zone = pickup.node_zone(self.timezone(node))
        return pickup.last_boot(entries, zone, pickup.Lean.LATER)

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
                return InstallReport(outcome=EngineOutcome.UNSAFE_VALUE, message=str(exc))
        previous = self._raise_session_timeout(node, request.timeout)
        try:
            with self.cli(node) as cli:
                result = cli.install_cop(cop, progress=on_phase)
                if cli.installing(result):
                    # Never close a session in the middle of an install: it stays open
                    # (keepalives on) until the run ends; status is read on another one.
                    self.pool.park(node)
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
            transcript=result.transcript,
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

    def start_service(self, node: str, service: str) -> None:
        """Start; STARTING when the command returns is no failure (the gate waits)."""
        with self.cli(node) as cli:
            start = cli.start_service(service, timeout=self.command_timeout)
        if start.final_state not in ("STARTED", "STARTING"):
            raise CommandFailed(
                f"utils service start {service}",
                "",
                reason=f"{service} ended {start.final_state or 'in no known state'}",
                host=node,
            )

    def service_start_time(self, node: str, service: str) -> float | None:
        """From Control Center's StartTime (the CLI does not tell); None if unavailable."""
        try:
            client = self.control_center(node)
            statuses = client.service_status([service])
        except Exception as exc:  # optional evidence: without it a restart is redone
            log.warning("controlcenter.unavailable", node=node, error=str(exc))
            self.pool.forget_control_center(node)
            return None
        found = next((s for s in statuses if s.name == service), None)
        return found.start_time.timestamp() if found and found.start_time else None


def _service_state(status: parsers.ListedService) -> ServiceState:
    return ServiceState(status.name, status.state, status.reason)
