"""Start one HTTPS server per lab node, each with its Tomcat-style certificate."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.lab.addresses import allocate_block
from orchestrator.lab.certs import LabCA, self_signed
from orchestrator.lab.config import LabConfig, NodeSpec
from orchestrator.lab.events import EventLog
from orchestrator.lab.https.server import NodeHttpsServer
from orchestrator.lab.world import World


@dataclass
class HttpsFleet:
    world: World
    ca: LabCA
    servers: dict[str, NodeHttpsServer] = field(default_factory=dict)
    # each node's certificate file (leaf first), as the lab issued it: ground truth
    certificates: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def start(
        cls,
        world: World,
        ca: LabCA,
        ports: dict[str, int] | None = None,
        *,
        ris_window_seconds: float = 60.0,
    ) -> HttpsFleet:
        """``ports`` per node name (default 0: any free port on the node's address)."""
        fleet = cls(world, ca)

        def one(name: str) -> NodeHttpsServer:
            cert, key = _issue(world, ca, name)
            server = NodeHttpsServer(
                world,
                name,
                LabCA.server_context(cert, key),
                (ports or {}).get(name, 0),
                ris_window_seconds=ris_window_seconds,
            )
            with lock:  # recorded before it can fail to start, so stop() reaches it
                fleet.servers[name] = server
                fleet.certificates[name] = cert
            server.start()
            return server

        lock = threading.Lock()
        # Key generation and signing dominate start-up; spread them for big fleets.
        try:
            with ThreadPoolExecutor(max_workers=8) as pool:
                list(pool.map(one, list(world.nodes)))
        except Exception:
            fleet.stop()
            raise
        # in the world's node order, whatever order the threads finished in
        fleet.servers = {name: fleet.servers[name] for name in world.nodes}
        return fleet

    def trust_pem(self) -> bytes:
        """What a client pins to trust these nodes: the lab CA, or every node's own
        self-signed certificate."""
        if self.world.config.tls.issuer == "lab_ca":
            return self.ca.bundle_path.read_bytes()
        return b"".join(self.certificates[name].read_bytes() for name in self.world.nodes)

    def port(self, node_name: str) -> int:
        return self.servers[node_name].port

    def address(self, node_name: str) -> tuple[str, int]:
        server = self.servers[node_name]
        return server.address, server.port

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


def other_name(spec: NodeSpec, domain: str) -> str:
    """The name a lab certificate with ``certificate: other_name`` is issued for."""
    return f"{spec.name}-replaced.{domain}"


def _issue(world: World, ca: LabCA, name: str) -> tuple[Path, Path]:
    config = world.config
    node = world.nodes[name]
    spec = node.spec
    fqdn, host = config.fqdn_of(spec), spec.name
    if spec.certificate == "other_name":
        fqdn = other_name(spec, config.domain)
        host = fqdn.split(".")[0]
    address = node.address if config.tls.ip_san else None
    expired = spec.certificate == "expired"
    if config.tls.issuer == "lab_ca":
        # multi-server style: every node's certificate lists the whole cluster's names
        others = tuple(config.fqdn_of(n) for n in config.nodes if n.name != spec.name)
        return ca.issue(fqdn, address, other_names=(host, *others), expired=expired)
    return self_signed(ca.directory, fqdn, host, address, expired=expired)


@dataclass
class HttpsLab:
    """World + CA + HTTPS servers and nothing else: for tests of the SOAP side."""

    world: World
    ca: LabCA
    fleet: HttpsFleet

    @classmethod
    def start(
        cls, config: LabConfig, directory: Path, *, ris_window_seconds: float = 60.0
    ) -> HttpsLab:
        _, addresses = allocate_block(len(config.nodes))
        world = World(config, addresses, EventLog())
        try:
            ca = LabCA.create(directory)
            fleet = HttpsFleet.start(world, ca, ris_window_seconds=ris_window_seconds)
        except Exception:
            world.close()
            raise
        return cls(world, ca, fleet)

    def address(self, node_name: str) -> tuple[str, int]:
        return self.fleet.address(node_name)

    @property
    def bundle_path(self) -> Path:
        """The trust bundle a client needs (lab CA or pinned self-signed certificates)."""
        path = self.ca.directory / "trust.pem"
        if not path.exists():
            path.write_bytes(self.fleet.trust_pem())
        return path

    def tls_name(self, node_name: str) -> str:
        return self.world.config.fqdn_of(self.world.nodes[node_name].spec)

    def url(self, node_name: str, path: str) -> str:
        host, port = self.address(node_name)
        return f"https://{host}:{port}{path}"

    def close(self) -> None:
        self.fleet.stop()
        self.world.close()
