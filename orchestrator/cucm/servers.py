"""The cluster's servers as ``show network cluster`` lists them. Pure.

One server has three spellings -- IP address, FQDN, host name -- and a cluster names it by
the one its servers were defined with (System > Server) in AXL's processnode, the CLI's
processnode table and RisPort70, while an inventory may use another. :func:`add_aliases`
gives every spelling the inventory's name for the node.

IM and Presence servers are listed too, with another product than ``callmanager``
(reference 9.6): a CUCM device pack is not installed on them, so they are out of scope.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol

from orchestrator.cucm.texts import PRODUCT_CALLMANAGER


class ClusterRow(Protocol):
    """A ``show network cluster`` row (``drivers.ssh.parsers.ClusterNode`` is one)."""

    @property
    def ip(self) -> str: ...

    @property
    def fqdn(self) -> str: ...

    @property
    def hostname(self) -> str: ...

    @property
    def product(self) -> str: ...


def spellings(row: ClusterRow) -> set[str]:
    """Every name the cluster may use for this server (lower case)."""
    names = {row.ip, row.fqdn, row.hostname, row.fqdn.split(".", 1)[0]}
    return {n.lower() for n in names if n}


def in_scope(row: ClusterRow) -> bool:
    """A Unified CM server (the pack's target); anything else is out of scope."""
    return row.product.lower() == PRODUCT_CALLMANAGER


def out_of_scope_reason(row: ClusterRow) -> str:
    kind = "IM and Presence" if row.product.lower() in ("cups", "imp") else row.product
    return (
        f"{kind} server ({row.ip}, product {row.product} in show network cluster): a "
        "CUCM device pack is not installed on it"
    )


def out_of_scope(rows: Iterable[ClusterRow]) -> dict[str, str]:
    """Host name -> why it is not rolled out to, for the servers that are not CUCM."""
    return {(r.hostname or r.ip): out_of_scope_reason(r) for r in rows if not in_scope(r)}


class Names(Protocol):
    """Spellings -> the caller's name for a node (``cluster.snapshot.NodeNames``)."""

    def find(self, *spellings: str) -> str | None: ...

    def add(self, spelling: str, name: str) -> None: ...


def add_aliases(rows: Iterable[ClusterRow], names: Names) -> None:
    """Give every spelling of a server ``names`` already knows one way the same name."""
    for row in rows:
        found = spellings(row)
        label = names.find(*sorted(found))
        if label is not None:
            for name in found:
                names.add(name, label)


def reason_for(rows: Iterable[ClusterRow], names: Iterable[str]) -> str | None:
    """Why the server spelled by any of ``names`` is out of scope; None if it is not."""
    wanted = {n.lower() for n in names if n}
    row = next((r for r in rows if not in_scope(r) and spellings(r) & wanted), None)
    return out_of_scope_reason(row) if row is not None else None


def out_of_scope_named(
    rows: Iterable[ClusterRow], listed: Mapping[str, Iterable[str]]
) -> dict[str, str]:
    """Every out-of-scope server -> why, under the inventory's name where ``listed``
    (inventory name -> its spellings) has it, else under its host name."""
    rows = list(rows)
    found: dict[str, str] = {}
    for label, names in listed.items():
        why = reason_for(rows, names)
        if why is not None:
            found[label] = why
    for host, why in out_of_scope(rows).items():
        if why not in found.values():  # a reason names the server's address
            found[host] = why
    return found


def out_of_scope_spellings(rows: Iterable[ClusterRow]) -> set[str]:
    return {name for r in rows if not in_scope(r) for name in spellings(r)}


__all__ = [
    "ClusterRow",
    "Names",
    "add_aliases",
    "in_scope",
    "out_of_scope",
    "out_of_scope_named",
    "out_of_scope_reason",
    "out_of_scope_spellings",
    "reason_for",
    "spellings",
]
