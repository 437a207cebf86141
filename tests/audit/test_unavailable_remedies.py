"""The remedy of an audit source that refused: under load (RisPort70 rate, AXL memory)
the operator should wait and retry; the application user's roles are not the cause."""

from __future__ import annotations

from audit_facts import seed

from orchestrator.audit.judge import judge
from orchestrator.audit.model import Unavailable
from orchestrator.cucm import texts


def _gap_remedy(reason: str, source: str = "risport") -> str:
    facts = seed()
    facts.unavailable.append(Unavailable(source=source, reason=reason))
    [gap] = [f for f in judge(facts).findings if f.code == "source-unavailable"]
    return gap.remedy


def test_ris_rate_limit_remedy_says_wait_not_roles() -> None:
    remedy = _gap_remedy(texts.RIS_RATE_FAULT.format(rate=15))
    assert "roles" not in remedy
    assert "wait" in remedy and "paces" in remedy and "configured rate" in remedy


def test_axl_memory_remedy_says_wait_and_retry() -> None:
    remedy = _gap_remedy(texts.AXL_MEMORY_FAULT, source="axl")
    assert "roles" not in remedy
    assert "wait" in remedy and "audit again" in remedy


def test_other_gaps_still_point_at_roles() -> None:
    assert "roles" in _gap_remedy("HTTP 401 from https://x/axl/: refused", source="axl")
