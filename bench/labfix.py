"""One lab fidelity fix the benchmarks apply to the labs they host.

A CUCM node's sshd (OpenSSH) sets TCP_NODELAY on interactive sessions. The lab's
paramiko server does not, so Nagle holds each prompt until the client's delayed ACK:
every CLI command and every wizard answer costs ~40 ms extra, which is the lab's
artefact, not the engine's. ``python -m bench --stock-lab`` measures without the fix.
"""

from __future__ import annotations

import socket

from orchestrator.lab.ssh_server import NodeSshServer

_applied = False


def interactive_nodelay() -> None:
    global _applied
    if _applied:
        return
    original = NodeSshServer._serve

    def serve(self: NodeSshServer, conn: socket.socket) -> None:
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        original(self, conn)

    NodeSshServer._serve = serve  # type: ignore[method-assign]
    _applied = True
