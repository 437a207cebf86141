from __future__ import annotations

import itertools
from typing import Any

from orchestrator.config import Inventory, Playbook
from orchestrator.planning import ClusterFacts, NodeFacts

COP = "cmterm-devicepack12.5.1.17123-1.cop.sgn"
R125 = "12.5.1.14900-63"
_addresses = itertools.count(20)


def node(
    name: str,
    *,
    pub: bool = False,
    release: str = R125,
    cm: bool = True,
    tftp: bool = False,
    options: tuple[str, ...] = (),
    address: str | None = None,
    pending: bool = False,
) -> NodeFacts:
    number = next(_addresses)
    return NodeFacts(
        name=name,
        address=address or f"10.{number // 200}.0.{number % 200 + 20}",
        role="publisher" if pub else "subscriber",
        release=release,
        runs_callmanager=cm,
        runs_tftp=tftp,
        installed_options=list(options),
        pending_restart=pending,
    )


def cluster(*nodes: NodeFacts, groups: dict[str, list[str]] | None = None) -> ClusterFacts:
    return ClusterFacts(cluster="lab", nodes=list(nodes), groups=groups or {})


def inventory_for(facts: ClusterFacts, **changes: Any) -> Inventory:
    """An inventory that agrees with ``facts`` (so reconcile reports nothing)."""
    data: dict[str, Any] = {
        "cluster": facts.cluster,
        "nodes": [
            {
                "name": n.name,
                "address": n.address,
                "role": str(n.role),
                "callmanager": n.runs_callmanager,
                "tftp": n.runs_tftp,
            }
            for n in facts.nodes
        ],
        "callmanager_groups": facts.groups,
        "credentials": {
            "platform": {"username": "admin", "password": "env:X"},
            "application": {"username": "axl", "password": "env:Y"},
        },
    }
    data.update(changes)
    return Inventory.model_validate(data)


def playbook(
    strategy: str = "auto",
    max_parallel: int = 2,
    install_parallel: int = 4,
    cop: str = COP,
    **changes: Any,
) -> Playbook:
    data: dict[str, Any] = {
        "cop": {"file": cop, "md5": "c413ad957bc8c1011b91bbda8d8409ea"},
        "sftp": {"host": "10.0.0.50", "directory": "/cop", "username": "u", "password": "env:Z"},
        "models": ["Cisco 7841", "Cisco 8851"],
        "restart": {"strategy": strategy},
        "waves": {"max_parallel": max_parallel, "install_parallel": install_parallel},
    }
    data.update(changes)
    return Playbook.model_validate(data)
