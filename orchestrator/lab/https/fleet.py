"""Start one HTTPS server per lab node, with certificates from the lab CA."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from orchestrator.lab.certs import LabCA
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
            server.start()
            return server

        # Key generation and signing dominate start-up; spread them for big fleets.
        with ThreadPoolExecutor(max_workers=8) as pool:
            for server in pool.map(one, list(world.nodes)):
                fleet.servers[server.node_name] = server
        return fleet

    def port(self, node_name: str) -> int:
        return self.servers[node_name].port

    def address(self, node_name: str) -> tuple[str, int]:
        server = self.servers[node_name]
        return server.address, server.port

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()
