"""What the engine needs from a cluster, independent of how it is reached.

``orchestrator.engine.cluster`` implements it over the SSH CLI and SOAP drivers; unit
tests of the state machine may implement it in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from orchestrator.cucm import services as services_rule
from orchestrator.cucm.replication import CheckStart


@dataclass(frozen=True)
class ServiceState:
    name: str
    state: str  # STARTED | STOPPED | STARTING | STOPPING | NOTRUNNING
    reason: str = ""  # "Service Not Activated" / "Commanded Out of Service"
    start_time: float | None = None  # epoch seconds, when the source tells (Control Center)

    @property
    def counts_as_down(self) -> bool:
        """Not STARTED, and not deliberately so (``cucm.services``: only Service Not
        Activated and Commanded Out of Service are deliberate)."""
        return services_rule.counts_as_down(self.state, self.reason)


@dataclass(frozen=True)
class CopFile:
    """One COP of a run: its name on the SFTP server and its MD5."""

    file: str
    md5: str | None


@dataclass(frozen=True)
class InstallRequest:
    # The COP the driver installs now; for a run of several COPs, the main one (the
    # device pack: what the restart steps' pickup rule asks about) and ``cops`` lists
    # them all, in the order each node installs them.
    file: str
    md5: str | None
    sftp_host: str
    sftp_port: int
    directory: str
    username: str
    password: object  # a Secret: .reveal() gives the text; never printed
    timeout: float
    take_over_held_wizard: bool = False  # answer yes to another session's Assume control
    cops: tuple[CopFile, ...] = ()

    def each_cop(self) -> list[InstallRequest]:
        """One request per COP, in install order (just this one when ``cops`` is empty)."""
        if not self.cops:
            return [self]
        return [replace(self, file=cop.file, md5=cop.md5, cops=()) for cop in self.cops]


@dataclass(frozen=True)
class InstallReport:
    outcome: str  # the driver's InstallOutcome (installed | not_offered | failed | ...),
    # or unsafe_value: refused before typing anything
    message: str = ""
    checksum: str | None = None
    log: str | None = None
    took_over_wizard: bool = False  # another session's open wizard was taken over
    # the install dialog as the node showed it, passwords masked (saved in the run
    # folder; journaled too when it ended in a question devpack does not expect)
    transcript: str = ""


@dataclass(frozen=True)
class BackupFact:
    """The cluster's last DRS backup (``utils disaster_recovery status backup``)."""

    available: bool  # False: no backup status at all
    succeeded: bool = False
    finished: float | None = None  # epoch s (UTC), converted from the node's local time
    status: str = ""  # as printed: SUCCESS, ERROR, ...


@dataclass(frozen=True)
class ReplicationCheck:
    """The finished replication status check `utils dbreplication runtimestate` shows:
    the per-node states it found and when it started (``cucm.replication``)."""

    states: dict[str, int]
    started: CheckStart | None  # None: the output named no start
    # the publisher's clock when it answered (`Server Time:`, epoch s, read by
    # cucm.replication.publisher_now); None: not shown (a precheck then measures the
    # check's age on devpack's clock)
    now: float | None = None


@dataclass(frozen=True)
class NodeHealth:
    """What prechecks read from one node."""

    reachable: bool
    release: str = ""
    options: list[str] = field(default_factory=list)
    services: list[ServiceState] = field(default_factory=list)
    upgrade_status: str = "Idle"
    disk_active_pct: int | None = None
    common_free_mb: int | None = None  # free space where the wizard downloads the COP
    ntp_synchronised: bool | None = None
    problem: str = ""


class ClusterGateway(Protocol):
    def health(self, node: str) -> NodeHealth: ...

    def installed_options(self, node: str) -> list[str]: ...

    def upgrade_status(self, node: str) -> str: ...

    def wizard_state(self, node: str) -> str:
        """free | held (another session has the install wizard open) | in_progress |
        unknown; leaves the node as it was."""
        ...

    def install(
        self, node: str, request: InstallRequest, on_phase: Callable[[str], None]
    ) -> InstallReport: ...

    def last_boot(self, node: str) -> float | None: ...

    def install_time(self, node: str, file: str) -> float | None: ...

    def request_reboot(self, node: str) -> None: ...

    def services(self, node: str) -> list[ServiceState]: ...

    def replication(self) -> dict[str, int]: ...

    def replication_check(self) -> ReplicationCheck:
        """The last finished status check (waits while one is IN PROGRESS)."""
        ...

    def start_replication_check(self) -> None:
        """Start a new status check (`utils dbreplication status` on the publisher)."""
        ...

    def restart_stamp(self, node: str) -> float | None:
        """The node's last Boot line, read as late as its stamp allows (epoch s, UTC)."""
        ...

    def restart_service(self, node: str, service: str) -> None: ...

    def start_service(self, node: str, service: str) -> None:
        """`utils service start NAME`: a service left Commanded Out of Service."""
        ...

    def service_start_time(self, node: str, service: str) -> float | None:
        """When ``service`` last reached STARTED (epoch s, UTC), None if unknown.

        What proves, after a kill, that a requested service restart already happened."""
        ...

    def backup_status(self) -> BackupFact: ...

    def missing_models(self, models: list[str]) -> list[str]: ...

    def axl_problem(self) -> str | None: ...

    def close(self) -> None: ...
