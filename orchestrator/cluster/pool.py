"""One cluster's connections: a CLI session per node and the SOAP clients, shared.

One CLI session per node, opened on first use and reused across steps, discovery and
the post-run audit (a real login takes ~10 s); commands on one node are serialised; a
session is dropped after a restart or any error and reopened on the next use; one idle
for a few seconds is checked before reuse (the node may have ended it); one an install
still runs in is parked, open, until the pool closes. The AXL
client is made once, for the AXL version the publisher's release accepts (read from
the publisher itself); a Control Center client is made once per node.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from orchestrator.config.inventory import Inventory, Node
from orchestrator.config.secrets import Secret
from orchestrator.cucm import pickup
from orchestrator.cucm.release import Release, axl_version_for
from orchestrator.drivers.soap.axl import AxlClient
from orchestrator.drivers.soap.controlcenter import ControlCenterClient
from orchestrator.drivers.soap.transport import RetryPolicy
from orchestrator.drivers.ssh.algorithms import Negotiated
from orchestrator.drivers.ssh.errors import CommandFailed, DriverError, ParseError
from orchestrator.drivers.ssh.platform import CucmCli
from orchestrator.drivers.ssh.transport import SshTarget
from orchestrator.tls import names as tls_names

log = structlog.get_logger(__name__)

# A session idle longer than this is checked (Enter at admin:) before it is used again:
# the node may have ended it, and the check also restarts the node's idle timer.
REVALIDATE_AFTER = 5.0


class ConnectionPool:
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
        axl_factory: Callable[[], AxlClient] | None = None,
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
        self._clients_lock = threading.Lock()
        self._axl_factory = axl_factory
        self._axl: AxlClient | None = None
        self._cc: dict[str, ControlCenterClient] = {}  # Control Center clients by node
        self._tls_names: dict[str, str] | None = None
        self._tls_names_lock = threading.Lock()
        self.logins = 0  # how many SSH logins this pool made (benchmarks read it)
        self._zones: dict[str, str | None] = {}  # time zone per node, per session
        self._zones_lock = threading.Lock()
        # what each node's last login agreed on (the plan names legacy algorithms)
        self.ssh_algorithms: dict[str, Negotiated] = {}

    # ----- CLI sessions ----------------------------------------------------------------

    def node(self, name: str) -> Node:
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
                session.close()
                self._sessions.pop(name, None)
                session = None
            if session is None or not session.is_open:
                session = CucmCli(
                    self._target(self.node(name)),
                    login_timeout=self.login_timeout,
                    command_timeout=self.command_timeout,
                )
                session.open()
                self.logins += 1
                if session.negotiated is not None:
                    self.ssh_algorithms[name] = session.negotiated
                self._sessions[name] = session
            try:
                yield session
            except DriverError:
                session.close()
                self._sessions.pop(name, None)
                raise
            finally:
                self._last_used[name] = time.monotonic()

    def park(self, name: str) -> None:
        """Keep ``name``'s session open but out of use (an install still runs in it:
        never close a session mid-install); the next use opens another."""
        with self._zones_lock:
            self._zones.pop(name, None)  # read again with the next session
        with self._locks[name]:
            session = self._sessions.pop(name, None)
        if session is not None:
            self._parked.append(session)
            log.warning("install.session_kept_open", node=name)

    def drop(self, name: str) -> None:
        with self._zones_lock:
            self._zones.pop(name, None)  # read again with the next session
        with self._locks[name]:
            session = self._sessions.pop(name, None)
            if session:
                session.close()

    def close(self) -> None:
        for name in list(self._sessions):
            self.drop(name)
        while self._parked:
            self._parked.pop().close()

    def timezone(self, node: str) -> str | None:
        """The node's time zone (IANA name, ``show timezone config``, read once per
        session); None when the node names none this machine knows, and then UTC is
        assumed (logged). A node that cannot be reached raises, as any command does.

        Every stamp read from the node goes through this one answer (system-history and
        Control Center StartTime are printed in the node's local time)."""
        with self._zones_lock:
            if node in self._zones:
                return self._zones[node]
        try:
            with self.cli(node) as cli:
                zone = cli.timezone()
            if zone is not None:
                pickup.node_zone(zone)  # a name this machine's zone database knows
        except (CommandFailed, ParseError, ValueError) as exc:
            log.warning("timezone.unreadable", node=node, error=str(exc))
            zone = None
        if zone is None:
            log.warning("timezone.assumed_utc", node=node)
        with self._zones_lock:
            self._zones[node] = zone
        return zone

    def tls_name(self, name: str) -> str:
        """The name node ``name``'s certificate is verified against (``tls.names``)."""
        with self._tls_names_lock:
            if self._tls_names is None:
                table = None
                if tls_names.needs_cluster_table(self.inventory.nodes):
                    with self.cli(self.inventory.publisher.label) as cli:
                        table = cli.network_cluster()
                self._tls_names = tls_names.tls_names(self.inventory.nodes, table)
        return self._tls_names[name]

    # ----- SOAP clients ----------------------------------------------------------------

    def axl(self) -> AxlClient:
        """The publisher's AXL client, made once and shared (runs, discovery, audits),
        speaking the AXL version the publisher's release accepts."""
        with self._clients_lock:
            if self._axl is None:
                self._axl = self._axl_factory() if self._axl_factory else self._make_axl()
            return self._axl

    def _make_axl(self) -> AxlClient:
        pub = self.inventory.publisher
        with self.cli(pub.label) as cli:
            release = Release.parse(cli.show_version().master_version)
        return AxlClient(
            pub.address,
            pub.https_port,
            self.inventory.credentials.application.username,
            self._application_password,
            ca_bundle=self.ca_bundle,
            version=axl_version_for(release),
            tls_name=self.tls_name(pub.label),
        )

    def control_center(self, node: str) -> ControlCenterClient:
        """The node's Control Center client, made once per node and shared."""
        # the zone is read over the node's CLI (once per session): not under the lock
        zone = pickup.node_zone(self.timezone(node))
        with self._clients_lock:
            if node not in self._cc:
                target = self.node(node)
                self._cc[node] = ControlCenterClient(
                    target.address,
                    target.https_port,
                    self.inventory.credentials.application.username,
                    self._application_password,
                    ca_bundle=self.ca_bundle,
                    tls_name=self.tls_name(node),
                    timeout=self.connect_timeout,
                    retry=RetryPolicy(attempts=2, initial_wait=0.5),
                    node_timezone=zone,
                )
            return self._cc[node]

    def forget_control_center(self, node: str) -> None:
        """Drop a client that failed: the next use makes a new one."""
        with self._clients_lock:
            self._cc.pop(node, None)
