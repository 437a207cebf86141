"""What a run does to the nodes, as journaled when it starts, so a resume can refuse to
carry on with inputs that were edited meanwhile.

The plan (stages, steps, waves) is journaled in full; this covers what a resumed run
still reads from the inventory and playbook: every COP (name, kind, checksums) and
where it is fetched from (your SFTP server, or devpack's own address and port), the
models verified, the nodes and how they are reached, and the restart strategy.
Passwords are left out entirely (not even hashed): changing one changes how devpack logs
in, not what it does to a node.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from orchestrator.config.inventory import Inventory
from orchestrator.config.playbook import CopKind, Playbook

Fingerprint = dict[str, str]

ABSENT = "(none)"


def run_fingerprint(inventory: Inventory, playbook: Playbook) -> Fingerprint:
    """Flat ``field -> value`` text, named as in the YAML files (nodes by their label)."""
    pb = playbook
    fields: Fingerprint = {"inventory.cluster": inventory.cluster}
    if pb.cops is not None and len(pb.all_cops) > 1:
        for index, cop in enumerate(pb.all_cops):
            where = f"playbook.cops[{index}]"
            fields[f"{where}.file"] = cop.file_name
            fields[f"{where}.kind"] = str(cop.kind)
            fields[f"{where}.md5"] = cop.md5 or ABSENT
            fields[f"{where}.sha512"] = cop.sha512 or ABSENT
    else:  # one COP: the keys runs journaled before several COPs existed
        cop = pb.main_cop
        fields["playbook.cop.file"] = cop.file_name
        fields["playbook.cop.md5"] = cop.md5 or ABSENT
        fields["playbook.cop.sha512"] = cop.sha512 or ABSENT
        if cop.kind is not CopKind.DEVICEPACK:
            fields["playbook.cop.kind"] = str(cop.kind)
    sftp = pb.sftp
    if sftp.serve is not None:
        # devpack serves the files: the one-time account is new on every resume and is
        # not an input; the served files are fixed by their checksums above.
        fields["playbook.sftp.serve.address"] = sftp.serve.address
        fields["playbook.sftp.serve.port"] = str(sftp.serve.port)
    else:
        fields["playbook.sftp.host"] = sftp.host or ABSENT
        fields["playbook.sftp.port"] = str(sftp.port)
        fields["playbook.sftp.directory"] = sftp.directory or ABSENT
        fields["playbook.sftp.username"] = sftp.username or ABSENT
    fields["playbook.models"] = ", ".join(sorted(pb.models))
    fields["playbook.restart.strategy"] = str(pb.restart.strategy)
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


# ----- the inputs' digests, for the change ticket (report) ------------------------------


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 16), b""):
                digest.update(block)
    except OSError as exc:
        return f"unreadable ({exc.strerror})"
    return "sha256:" + digest.hexdigest()


def input_digests(inventory: Path, playbook_path: Path, playbook: Playbook) -> dict[str, str]:
    """The inputs' fingerprints: each file's sha256, each COP's checksums as given."""
    inputs = {
        f"inventory {inventory.name}": file_digest(inventory),
        f"playbook {playbook_path.name}": file_digest(playbook_path),
    }
    for cop in playbook.all_cops:
        sums = [f"md5:{cop.md5}" if cop.md5 else "", f"sha512:{cop.sha512}" if cop.sha512 else ""]
        inputs[f"cop {cop.file_name}"] = " ".join(s for s in sums if s) or "(no checksum given)"
    return inputs
