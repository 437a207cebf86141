"""The name each node's Tomcat certificate is verified against.

Real certificates name the node's FQDN and host name, not the IP address it is reached
at (reference 9.2). The rule: the inventory's ``tls_name`` if given; otherwise the FQDN
that the publisher's ``show network cluster`` lists for the node's address -- read over
SSH, so it is known before the first HTTPS call (AXL on the publisher included); a node
whose address is already a host name, or that the table does not list, is checked
against its address.
"""

from __future__ import annotations

import ipaddress

from orchestrator.config.inventory import Node
from orchestrator.drivers.ssh.parsers import NetworkCluster


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def tls_names(nodes: list[Node], cluster: NetworkCluster | None) -> dict[str, str]:
    """Each node's label -> the name its certificate must carry."""
    by_ip = {}
    if cluster is not None:
        by_ip = {row.ip.lower(): row.fqdn for row in cluster.nodes}
    names: dict[str, str] = {}
    for node in nodes:
        if node.tls_name:
            names[node.label] = node.tls_name
        elif _is_ip(node.address):
            names[node.label] = by_ip.get(node.address.lower(), node.address)
        else:
            names[node.label] = node.address
    return names


def needs_cluster_table(nodes: list[Node]) -> bool:
    """Whether any node's name must be read from ``show network cluster``."""
    return any(node.tls_name is None and _is_ip(node.address) for node in nodes)
