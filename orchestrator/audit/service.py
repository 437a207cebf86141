"""The audit use case: load inputs, gather (I/O), judge (pure)."""

from __future__ import annotations

from pathlib import Path

from orchestrator import logs
from orchestrator.audit.gather import AuditInputs, AuditUnavailable, gather
from orchestrator.audit.judge import judge
from orchestrator.audit.model import AuditResult
from orchestrator.config.loader import load_inventory, load_playbook
from orchestrator.engine.cluster import DriverGateway


def load_audit_inputs(inventory_path: Path, playbook_path: Path | None) -> AuditInputs:
    """Inventory (and playbook, optional); raises ConfigError or AuditUnavailable."""
    inventory = load_inventory(inventory_path)
    playbook = load_playbook(playbook_path) if playbook_path else None
    known_hosts = Path(inventory.known_hosts or Path.home() / ".ssh" / "known_hosts")
    if not known_hosts.is_file():
        raise AuditUnavailable(
            f"{inventory_path}: known_hosts file {known_hosts} does not exist",
            "set known_hosts in the inventory to a file with the nodes' SSH host keys",
        )
    if inventory.ca_bundle is not None and not Path(inventory.ca_bundle).is_file():
        raise AuditUnavailable(
            f"{inventory_path}: ca_bundle {inventory.ca_bundle} does not exist",
            "point ca_bundle at the PEM file of the nodes' Tomcat certificates (or their CA)",
        )
    creds = inventory.credentials
    inputs = AuditInputs(
        inventory=inventory,
        playbook=playbook,
        platform_password=creds.platform.password.resolve(),
        application_password=creds.application.password.resolve(),
        known_hosts=known_hosts,
        ca_bundle=Path(inventory.ca_bundle) if inventory.ca_bundle else None,
    )
    for secret in (inputs.platform_password, inputs.application_password):
        logs.REDACTOR.add(secret.reveal())
    return inputs


def open_gateway(inputs: AuditInputs) -> DriverGateway:
    return DriverGateway(
        inputs.inventory,
        inputs.platform_password,
        inputs.application_password,
        known_hosts=inputs.known_hosts,
        ca_bundle=inputs.ca_bundle,
        # an audit reads; a node that does not answer in this time is reported, not awaited
        login_timeout=30.0,
        command_timeout=120.0,
    )


def audit_cluster(inputs: AuditInputs, gateway: DriverGateway | None = None) -> AuditResult:
    """Gather and judge; raises AuditUnavailable when the cluster cannot be audited."""
    own = gateway is None
    gateway = gateway or open_gateway(inputs)
    try:
        facts = gather(inputs, gateway)
    finally:
        if own:
            gateway.close()
    return judge(facts)
