"""Reaching one cluster: the inventory, resolved credentials and a driver gateway."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from orchestrator import logs
from orchestrator.config.inventory import Inventory
from orchestrator.config.loader import load_inventory
from orchestrator.config.secrets import Prompter, Secret
from orchestrator.engine.cluster import DriverGateway
from orchestrator.errors import UserError


@dataclass
class ClusterAccess:
    """How to reach one cluster: its inventory and resolved credentials."""

    inventory_path: Path
    inventory: Inventory
    platform_password: Secret
    application_password: Secret
    known_hosts: Path
    ca_bundle: Path | None


def load_access(inventory_path: Path, prompt: Prompter | None = None) -> ClusterAccess:
    """Load the inventory and resolve its credentials; ConfigError / UserError if wrong."""
    inventory = load_inventory(inventory_path)
    known_hosts = inventory.known_hosts or Path.home() / ".ssh" / "known_hosts"
    if not Path(known_hosts).is_file():
        raise UserError(
            f"{inventory_path}: known_hosts file {known_hosts} does not exist",
            "devpack verifies every node's SSH host key: set known_hosts in the inventory to a "
            "file with the nodes' keys (ssh-keyscan -p PORT ADDRESS, checked against the console)",
        )
    if inventory.ca_bundle is not None and not Path(inventory.ca_bundle).is_file():
        raise UserError(
            f"{inventory_path}: ca_bundle {inventory.ca_bundle} does not exist",
            "point ca_bundle at the PEM file of the CA (or the nodes' Tomcat certificates)",
        )
    creds = inventory.credentials
    access = ClusterAccess(
        inventory_path=inventory_path,
        inventory=inventory,
        platform_password=creds.platform.password.resolve(prompt),
        application_password=creds.application.password.resolve(prompt),
        known_hosts=Path(known_hosts),
        ca_bundle=Path(inventory.ca_bundle) if inventory.ca_bundle else None,
    )
    for secret in (access.platform_password, access.application_password):
        logs.REDACTOR.add(secret.reveal())
    return access


def open_gateway(access: ClusterAccess, **timeouts: float) -> DriverGateway:
    return DriverGateway(
        access.inventory,
        access.platform_password,
        access.application_password,
        known_hosts=access.known_hosts,
        ca_bundle=access.ca_bundle,
        **timeouts,
    )
