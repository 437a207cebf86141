"""Check every node's HTTPS certificate before a plan or run relies on it.

One GET of ``/`` per node through the same verified session the SOAP clients use, so a
certificate that has expired or names another host stops the command up front, naming
the node, instead of surfacing later as a failed Control Center or AXL call. A node
whose HTTPS does not answer at all is left to the steps that need it.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import requests

from orchestrator.config.inventory import Inventory, Node
from orchestrator.drivers.soap.transport import (
    root_cause,
    tls_advice,
    trust_source,
    verified_session,
)
from orchestrator.engine.cluster import DriverGateway
from orchestrator.errors import EXIT_UNREACHABLE, UserError


@dataclass(frozen=True)
class CertificateProblem:
    node: Node
    tls_name: str
    cause: str

    @property
    def line(self) -> str:
        return (
            f"node {self.node.label} ({self.node.address}:{self.node.https_port}): its "
            f"HTTPS certificate does not verify for the name {self.tls_name}: {self.cause}"
        )


def certificate_problem(
    node: Node, tls_name: str, ca_bundle: Path | None, timeout: float
) -> str | None:
    """Why the node's certificate does not verify for ``tls_name`` (None: it does, or
    HTTPS did not answer)."""
    session = verified_session(ca_bundle, tls_name)
    url = f"https://{node.address}:{node.https_port}/"
    try:
        session.get(url, timeout=timeout, verify=session.verify).close()
    except requests.exceptions.SSLError as exc:
        return root_cause(exc)
    except (requests.exceptions.ConnectionError, requests.exceptions.Timeout):
        return None  # not a certificate problem; the steps that need HTTPS report it
    finally:
        session.close()
    return None


def certificate_problems(
    gateway: DriverGateway, inventory: Inventory, ca_bundle: Path | None, timeout: float = 10.0
) -> list[CertificateProblem]:
    names = {node.label: gateway.tls_name(node.label) for node in inventory.nodes}
    with ThreadPoolExecutor(max_workers=min(16, len(inventory.nodes))) as pool:
        causes = list(
            pool.map(
                lambda n: certificate_problem(n, names[n.label], ca_bundle, timeout),
                inventory.nodes,
            )
        )
    return [
        CertificateProblem(node, names[node.label], cause)
        for node, cause in zip(inventory.nodes, causes, strict=True)
        if cause is not None
    ]


def require_verified_certificates(
    gateway: DriverGateway, inventory: Inventory, inventory_path: Path, ca_bundle: Path | None
) -> None:
    """UserError (exit 6) naming every node whose certificate does not verify."""
    problems = certificate_problems(gateway, inventory, ca_bundle)
    if not problems:
        return
    trust = trust_source(ca_bundle).label
    lines = [f"  {p.line}\n    what to do: {tls_advice(p.cause)}" for p in problems]
    raise UserError(
        f"HTTPS certificates that do not verify (checked against {trust}):\n" + "\n".join(lines),
        f"fix each node as said, then check with `devpack trust -i {inventory_path}`",
        EXIT_UNREACHABLE,
    )
