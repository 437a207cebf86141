"""``devpack audit``: a read-only drift audit of a cluster against a device pack.

Gathering (``gather``, all I/O) is kept apart from judging (``judge``, pure functions
over the gathered facts), so every rule is testable on plain data.
"""

from orchestrator.audit.gather import AuditInputs, AuditUnavailable
from orchestrator.audit.judge import judge
from orchestrator.audit.model import AuditFacts, AuditResult, Finding, Severity
from orchestrator.audit.service import audit_cluster, load_audit_inputs

__all__ = [
    "AuditFacts",
    "AuditInputs",
    "AuditResult",
    "AuditUnavailable",
    "Finding",
    "Severity",
    "audit_cluster",
    "judge",
    "load_audit_inputs",
]
