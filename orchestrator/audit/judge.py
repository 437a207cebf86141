"""From gathered facts to findings: one pure function, testable on plain data."""

from __future__ import annotations

from orchestrator.audit.checks import (
    judge_models,
    judge_out_of_scope,
    judge_phones,
    judge_reachability,
    judge_replication,
    judge_services,
    judge_unavailable,
    judge_unknown,
)
from orchestrator.audit.model import SEVERITY_ORDER, AuditFacts, AuditResult, Finding
from orchestrator.audit.restarts import (
    cluster_rule,
    has_option,
    judge_other_cops,
    judge_pack,
    judge_restarts,
)


def judge(facts: AuditFacts) -> AuditResult:
    reachable = [n for n in facts.nodes if n.reachable]
    findings: list[Finding] = judge_reachability(facts.nodes)
    findings += judge_unavailable(facts)
    findings += judge_unknown(facts)
    findings += judge_out_of_scope(facts)
    verdict = judge_pack(facts, reachable)
    findings += verdict.findings
    findings += judge_other_cops(facts, reachable)
    rule = cluster_rule(reachable)
    if verdict.pack and verdict.holders and rule is not None:
        findings += judge_restarts(reachable, verdict.pack, verdict.holders, *rule)
    pending = {f.node for f in findings if f.code == "restart-pending" and f.node}
    pub = facts.publisher
    pack_on_pub = bool(verdict.pack and pub and pub.reachable and has_option(pub, verdict.pack))
    findings += judge_models(facts, pack_on_pub)
    findings += judge_replication(facts, reachable)
    findings += judge_services(reachable)
    # Without a playbook every phone model is looked at; an unplugged phone is no news.
    findings += judge_phones(
        facts,
        pending,
        strict_unregistered=bool(facts.expected_pack),
        restart_scope=rule[1].scope if rule else None,
    )
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], f.node or "", f.code))
    return AuditResult(
        cluster=facts.cluster,
        gathered_at=facts.gathered_at,
        release=str(rule[0]) if rule else None,
        restart_rule=str(rule[1].scope) if rule else None,
        pack=verdict.pack,
        pack_source=verdict.source if verdict.pack else "",
        nodes=[n.name for n in facts.nodes],
        findings=findings,
        facts=facts,
    )
