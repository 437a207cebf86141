"""What a run does to the nodes, as journaled when it starts, so a resume can refuse to
carry on with inputs that were edited meanwhile.

The plan (stages, steps, waves) is journaled in full; this covers what a resumed run
still reads from the inventory and playbook: the COP and where it is fetched from, the
models verified, the nodes and how they are reached, and the restart strategy.
Passwords are left out entirely (not even hashed): changing one changes how devpack logs
in, not what it does to a node.
"""

from __future__ import annotations

from orchestrator.config.inventory import Inventory
from orchestrator.config.playbook import Playbook

Fingerprint = dict[str, str]

ABSENT = "(none)"


def run_fingerprint(inventory: Inventory, playbook: Playbook) -> Fingerprint:
    """Flat ``field -> value`` text, named as in the YAML files (nodes by their label)."""
    pb = playbook
    fields: Fingerprint = {
        "inventory.cluster": inventory.cluster,
        "playbook.cop.file": pb.cop.file,
        "playbook.cop.md5": pb.cop.md5 or ABSENT,
        "playbook.cop.sha512": pb.cop.sha512 or ABSENT,
        "playbook.sftp.host": pb.sftp.host,
        "playbook.sftp.port": str(pb.sftp.port),
        "playbook.sftp.directory": pb.sftp.directory,
        "playbook.sftp.username": pb.sftp.username,
        "playbook.models": ", ".join(sorted(pb.models)),
        "playbook.restart.strategy": str(pb.restart.strategy),
    }
    for node in inventory.nodes:
        where = f"inventory.nodes[{node.label}]"
        fields[f"{where}.address"] = node.address
        fields[f"{where}.ssh_port"] = str(node.ssh_port)
        fields[f"{where}.https_port"] = str(node.https_port)
        fields[f"{where}.role"] = str(node.role)
        fields[f"{where}.callmanager"] = _optional(node.callmanager)
        fields[f"{where}.tftp"] = _optional(node.tftp)
    for group, members in sorted(inventory.callmanager_groups.items()):
        fields[f"inventory.callmanager_groups[{group}]"] = ", ".join(members)
    return fields


def _optional(value: object) -> str:
    return ABSENT if value is None else str(value).lower()


def fingerprint_changes(journaled: Fingerprint, now: Fingerprint) -> list[str]:
    """``field: old -> new`` for every field that differs, in a stable order."""
    changes = []
    for key in sorted(journaled.keys() | now.keys()):
        old, new = journaled.get(key, ABSENT), now.get(key, ABSENT)
        if old != new:
            changes.append(f"{key}: {old} -> {new}")
    return changes
