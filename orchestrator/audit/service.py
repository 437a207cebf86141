"""The audit use case: load inputs, gather (I/O), judge (pure)."""

from __future__ import annotations

from pathlib import Path

from orchestrator.access import load_access
from orchestrator.access import open_gateway as open_access_gateway
from orchestrator.audit.gather import AuditInputs, AuditUnavailable, gather
from orchestrator.audit.judge import judge
from orchestrator.audit.model import AuditResult
from orchestrator.config.loader import load_playbook
from orchestrator.engine.cluster import DriverGateway
from orchestrator.errors import UserError


def load_audit_inputs(inventory_path: Path, playbook_path: Path | None) -> AuditInputs:
    """Inventory (and playbook, optional); raises ConfigError or AuditUnavailable."""
    playbook = load_playbook(playbook_path) if playbook_path else None
    try:
        access = load_access(inventory_path)
    except UserError as exc:
        raise AuditUnavailable(exc.message, exc.hint) from None
    return AuditInputs(**vars(access), playbook=playbook)


def open_gateway(inputs: AuditInputs) -> DriverGateway:
    # an audit reads; a node that does not answer in this time is reported, not awaited
    return open_access_gateway(inputs, login_timeout=30.0, command_timeout=120.0)


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
