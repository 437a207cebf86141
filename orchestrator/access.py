"""Reaching one cluster: the inventory, resolved credentials and its connection pool."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orchestrator import logs
from orchestrator.cluster.pool import ConnectionPool
from orchestrator.config.inventory import Inventory, Node
from orchestrator.config.loader import load_inventory
from orchestrator.config.secrets import Prompter, Secret
from orchestrator.config.trustfiles import ca_bundle_file, known_hosts_file
from orchestrator.drivers.ssh.errors import (
    AuthenticationFailed,
    DriverError,
    HostKeyMismatch,
    NoCommonAlgorithm,
    NodeUnreachable,
    UnknownHostKey,
)
from orchestrator.errors import EXIT_UNREACHABLE, UserError

if TYPE_CHECKING:
    from orchestrator.engine.cluster import DriverGateway


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
    # before any network I/O: both files exist, are ordinary files and parse
    known_hosts = known_hosts_file(inventory)
    ca_bundle = ca_bundle_file(inventory)
    creds = inventory.credentials
    access = ClusterAccess(
        inventory_path=inventory_path,
        inventory=inventory,
        platform_password=creds.platform.password.resolve(prompt),
        application_password=creds.application.password.resolve(prompt),
        known_hosts=known_hosts,
        ca_bundle=ca_bundle,
    )
    for secret in (access.platform_password, access.application_password):
        logs.REDACTOR.add(secret.reveal())
    return access


def open_pool(
    access: ClusterAccess, *, login_timeout: float = 60.0, command_timeout: float = 300.0
) -> ConnectionPool:
    """The cluster's connections (nothing is dialled until first use)."""
    return ConnectionPool(
        access.inventory,
        access.platform_password,
        access.application_password,
        known_hosts=access.known_hosts,
        ca_bundle=access.ca_bundle,
        login_timeout=login_timeout,
        command_timeout=command_timeout,
    )


def open_gateway(access: ClusterAccess) -> DriverGateway:
    """The engine's gateway over a new pool of the cluster's connections."""
    # imported here: cluster access sits below the engine (the audit imports this module)
    from orchestrator.engine.cluster import DriverGateway

    return DriverGateway(open_pool(access))


def node_of(access: ClusterAccess, host: str | None) -> tuple[int | None, Node | None]:
    """The inventory node (and its index) a driver error's host names: the address it
    dialled, or the known_hosts form ``[address]:port`` host-key errors carry."""
    text, port = (host or "").lower(), None
    bracketed = re.fullmatch(r"\[(.+)\]:(\d+)", text)
    if bracketed:
        text, port = bracketed.group(1), int(bracketed.group(2))
    for index, node in enumerate(access.inventory.nodes):
        if node.address.lower() == text and port in (None, node.ssh_port):
            return index, node
    return None, None


def login_error(access: ClusterAccess, exc: DriverError) -> UserError:
    """A failure to reach or log in to a node, as the operator needs it: which node (its
    inventory name), which inventory field to look at and what to do. Secrets are never
    printed; their references (``file:...``, ``env:...``) are."""
    index, node = node_of(access, exc.host)
    label = f"node {node.label}" if node else "a node"
    where = f"nodes[{index}]" if index is not None else "nodes"
    inventory = access.inventory_path
    if isinstance(exc, AuthenticationFailed):
        login = access.inventory.credentials.platform
        return UserError(
            f"{label}: {exc}",
            f"the password is credentials.platform.password in {inventory}, read from "
            f"{login.password.reference}: put the OS administrator password of "
            f"{node.label if node else 'the node'} there (and check "
            f"credentials.platform.username, {login.username!r}), then run again; "
            "repeated failures can lock the account",
            EXIT_UNREACHABLE,
        )
    if isinstance(exc, HostKeyMismatch | UnknownHostKey | NoCommonAlgorithm):
        # the driver's message already says what to do with the key or the sshd
        return UserError(f"{label}: {exc}", "", EXIT_UNREACHABLE)
    if isinstance(exc, NodeUnreachable):
        port = f" and {where}.ssh_port ({node.ssh_port})" if node else " and ssh_port"
        return UserError(
            f"cannot reach {label}: {exc}",
            f"check {where}.address{port} in {inventory} and that the node is up "
            "(its SSH answers), then run again",
            EXIT_UNREACHABLE,
        )
    if exc.retryable:  # the session closed or the CLI went quiet
        return UserError(
            f"{label}: {exc}",
            "check that the node is up and its CLI answers over SSH, then run again",
            EXIT_UNREACHABLE,
        )
    return UserError(
        f"{label}: {exc}",
        getattr(exc, "hint", "")
        or "the node's CLI did not answer as expected; check the node over SSH and run again",
        EXIT_UNREACHABLE,
    )
