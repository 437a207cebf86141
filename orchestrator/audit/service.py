"""The audit use case: load inputs, gather (I/O), judge (pure)."""

from __future__ import annotations

from pathlib import Path

from orchestrator.access import load_access, open_pool
from orchestrator.audit.gather import AuditInputs, AuditUnavailable, gather
from orchestrator.audit.judge import judge
from orchestrator.audit.model import AuditResult
from orchestrator.cluster.pool import ConnectionPool
from orchestrator.config.loader import load_playbook
from orchestrator.errors import UserError


def load_audit_inputs(inventory_path: Path, playbook_path: Path | None) -> AuditInputs:
    """Inventory (and playbook, optional); raises ConfigError or AuditUnavailable."""
    playbook = load_playbook(playbook_path) if playbook_path else None
    try:
        access = load_access(inventory_path)
    except UserError as exc:
        raise AuditUnavailable(exc.message, exc.hint) from None
    return AuditInputs(**vars(access), playbook=playbook)


def open_audit_pool(inputs: AuditInputs) -> ConnectionPool:
    # an audit reads; a node that does not answer in this time is reported, not awaited
    return open_pool(inputs, login_timeout=30.0, command_timeout=120.0)


def audit_cluster(inputs: AuditInputs, pool: ConnectionPool | None = None) -> AuditResult:
    """Gather and judge; raises AuditUnavailable when the cluster cannot be audited.
    With a ``pool`` (a run's), its open sessions are reused and left open."""
    own = pool is None
    pool = pool or open_audit_pool(inputs)
    try:
        facts = gather(inputs, pool)
    finally:
        if own:
            pool.close()
    return judge(facts)
