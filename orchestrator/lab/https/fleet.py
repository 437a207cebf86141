"""Start one HTTPS server per lab node, with certificates from the lab CA."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from orchestrator.lab.addresses import allocate_block
from orchestrator.lab.certs import LabCA
from orchestrator.lab.config import LabConfig
from orchestrator.lab.events import EventLog
from orchestrator.lab.https.server import NodeHttpsServer
from orchestrator.lab.world import World


@dataclass
class HttpsFleet:
    world: World
    ca: LabCA
    servers: dict[str, NodeHttpsServer] = field(default_factory=dict)

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
        domain = world.config.domain

        def one(name: str) -> NodeHttpsServer:
            node = world.nodes[name]
            cert, key = ca.issue(f"{name}.{domain}", node.address)
            server = NodeHttpsServer(
                world,
                name,
                LabCA.server_context(cert, key),
                (ports or {}).get(name, 0),
                ris_window_seconds=ris_window_seconds,
            )
            with lock:  # recorded before it can fail to start, so stop() reaches it
                fleet.servers[name] = server
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

    def port(self, node_name: str) -> int:
        return self.servers[node_name].port

    def address(self, node_name: str) -> tuple[str, int]:
        server = self.servers[node_name]
        return server.address, server.port

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()


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

    def url(self, node_name: str, path: str) -> str:
        host, port = self.address(node_name)
        return f"https://{host}:{port}{path}"

    def close(self) -> None:
        self.fleet.stop()
        self.world.close()
