"""The SFTP port rule, which needs both files: a real node's install wizard asks for no
port and always fetches over port 22 (reference 9.6), so a playbook ``sftp.port`` other
than 22 would only look as if it worked. Only a cluster the inventory marks ``lab: true``
(devpack's simulated cluster, whose SFTP server listens on another loopback port) may
name another port, and the plan says so."""

from __future__ import annotations

from pathlib import Path

from orchestrator.config.errors import ConfigError
from orchestrator.config.inventory import Inventory
from orchestrator.config.playbook import Playbook
from orchestrator.config.yamlfile import load_yaml

WIZARD_PORT = 22


def check_sftp_port(playbook: Playbook, playbook_path: Path, inventory: Inventory) -> None:
    """Raise ``ConfigError`` (file, line, field) for a non-22 port on a real cluster
    (``sftp.port``, or ``sftp.serve.port`` when devpack serves the files itself)."""
    serve = playbook.sftp.serve
    port = serve.port if serve is not None else playbook.sftp.port
    if port == WIZARD_PORT or inventory.lab:
        return
    doc = load_yaml(playbook_path)
    loc = ("sftp", "serve", "port") if serve is not None else ("sftp", "port")
    where = serve.address if serve is not None else playbook.sftp.host
    raise ConfigError(
        doc.display,
        doc.line_of(loc),
        ".".join(loc),
        f"{port} is not 22: the node's install wizard asks for no port and always fetches "
        "over SFTP port 22",
        f"serve the COP on port 22 of {where} and remove {'.'.join(loc)} (another "
        "port is allowed only for devpack's lab, whose inventory says lab: true)",
    )


def lab_port_note(playbook: Playbook) -> str | None:
    """What the plan says when a lab cluster uses its lab-only SFTP port."""
    serve = playbook.sftp.serve
    port = serve.port if serve is not None else playbook.sftp.port
    if port == WIZARD_PORT:
        return None
    name = "sftp.serve.port" if serve is not None else "sftp.port"
    return (
        f"{name} {port}: lab-only override (the inventory says lab: true); "
        "a real node's install wizard always fetches over port 22"
    )
