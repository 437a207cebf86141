"""The inventory's known_hosts and ca_bundle: present, ordinary files devpack can parse.

Checked when the inventory is loaded for use, before any network I/O, so a wrong path or
a garbled line is reported with the file, the line and the field instead of surfacing
later from paramiko or requests.
"""

from __future__ import annotations

from pathlib import Path

from orchestrator.config.errors import ConfigError
from orchestrator.config.inventory import Inventory
from orchestrator.config.userfile import MAX_KNOWN_HOSTS_BYTES, read_user_file

DEFAULT_KNOWN_HOSTS = Path.home() / ".ssh" / "known_hosts"
KEYSCAN_HINT = (
    "devpack verifies every node's SSH host key: run `devpack trust -i INVENTORY` to "
    "check the nodes' keys and write the file known_hosts names (or fill it yourself: "
    "ssh-keyscan -p PORT ADDRESS, checked against the console)"
)


def known_hosts_file(inventory: Inventory) -> Path:
    """The inventory's known_hosts, checked; ~/.ssh/known_hosts when it names none."""
    path = inventory.known_hosts or DEFAULT_KNOWN_HOSTS
    try:
        text = read_user_file(path, MAX_KNOWN_HOSTS_BYTES)
    except ConfigError as exc:
        message = (
            f"known_hosts file {path}: {exc.message}"
            if inventory.known_hosts
            else f"not set, and the default {path}: {exc.message}"
        )
        raise inventory.problem(("known_hosts",), message, KEYSCAN_HINT) from None
    check_known_hosts(text, str(path))
    return path


def check_known_hosts(text: str, shown: str) -> None:
    """Every line paramiko would fail on, as a ConfigError naming the file and line.

    Lines paramiko skips (too few fields, key types it does not know) are skipped here
    too: OpenSSH tolerates them in a user's file, and they cannot match a node anyway.
    """
    from paramiko.hostkeys import HostKeyEntry
    from paramiko.ssh_exception import SSHException

    problems = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            problems.append(
                ConfigError(
                    shown,
                    number,
                    None,
                    f"markers such as {line.split()[0][:20]!r} are not supported",
                    "list each node's own host key (ssh-keyscan -p PORT ADDRESS) instead",
                )
            )
            continue
        try:
            HostKeyEntry.from_line(line, number)
        except SSHException:
            continue  # paramiko skips these lines too
        except Exception as exc:  # any other failure would reach the user as a traceback
            reason = type(exc).__name__.replace("InvalidHostKey", "the key is not valid base64")
            problems.append(
                ConfigError(
                    shown,
                    number,
                    None,
                    f"not a valid known_hosts line ({reason})",
                    "remove the line, or replace it with the output of ssh-keyscan -p PORT ADDRESS",
                )
            )
    if problems:
        first, *rest = problems
        raise ConfigError(first.file, first.line, None, first.message, first.hint, more=rest)


def ca_bundle_file(inventory: Inventory) -> Path | None:
    """The inventory's ca_bundle, checked to be a readable PEM-sized text file."""
    if inventory.ca_bundle is None:
        return None
    try:
        read_user_file(inventory.ca_bundle, MAX_KNOWN_HOSTS_BYTES)
    except ConfigError as exc:
        raise inventory.problem(
            ("ca_bundle",),
            f"ca_bundle {inventory.ca_bundle}: {exc.message}",
            "run `devpack trust -i INVENTORY` to pin the nodes' Tomcat certificates there, "
            "or point ca_bundle at the PEM file of the CA that signs them",
        ) from None
    return inventory.ca_bundle
