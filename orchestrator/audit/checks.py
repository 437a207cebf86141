"""Judging cluster health around a device pack: models, replication, services, phones. Pure."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

from orchestrator.audit.model import AuditFacts, Finding, NodeFact, PhoneFact, Severity
from orchestrator.cucm import replication, texts
from orchestrator.cucm import services as services_rule
from orchestrator.cucm.release import RestartScope
from orchestrator.cucm.texts import REPLICATION_STATES, SVC_CALLMANAGER

SAMPLE = 20  # phone names listed per finding; the count is always complete


def judge_reachability(nodes: list[NodeFact]) -> list[Finding]:
    return [
        Finding(
            severity=Severity.ERROR,
            code="node-unreachable",
            node=node.name,
            message=f"{node.name} ({node.address}) could not be audited: {node.problem}",
            evidence={"address": node.address, "problem": node.problem},
            remedy=(
                node.problem_hint
                or "check that the node is up and that the "
                "inventory's address, port, credentials and known_hosts are right"
            )
            + "; then audit again",
        )
        for node in nodes
        if not node.reachable
    ]


def judge_unknown(facts: AuditFacts) -> list[Finding]:
    return [
        Finding(
            severity=Severity.WARNING,
            code="node-not-in-inventory",
            node=name,
            message=f"the cluster's processnode table lists {name}, which the inventory does "
            "not: it was not audited",
            evidence={"processnode": name},
            remedy="add it to the inventory: every node needs the device pack and a restart",
        )
        for name in facts.unknown_nodes
    ]


def judge_out_of_scope(facts: AuditFacts) -> list[Finding]:
    return [
        Finding(
            severity=Severity.INFO,
            code="node-out-of-scope",
            node=name,
            message=f"{name} is not audited: {why}",
            evidence={"server": name},
        )
        for name, why in sorted(facts.out_of_scope.items())
    ]


def judge_unavailable(facts: AuditFacts) -> list[Finding]:
    findings = []
    for gap in facts.unavailable:
        # Control Center has a fallback (the boot time); the others leave checks undone.
        fallback = gap.source.startswith("control-center")
        findings.append(
            Finding(
                severity=Severity.INFO if fallback else Severity.WARNING,
                code="source-unavailable",
                node=gap.source.split(" ", 1)[1] if " " in gap.source else None,
                message=f"{gap.source} unavailable: {gap.reason}"
                + (
                    "; service start times taken from the last boot"
                    if fallback
                    else "; the checks that need it were skipped"
                ),
                evidence={"source": gap.source, "reason": gap.reason},
                remedy="" if fallback else _unavailable_remedy(gap.reason),
            )
        )
    return findings


# Refusals under load (the fault texts CUCM sends): waiting helps, the user's roles do not.
RIS_RATE_LIMITED = "Exceeded allowed rate"
AXL_MEMORY = texts.AXL_MEMORY_FAULT.split(".", 1)[0]  # "Maximum AXL Memory Allocation Consumed"


def _unavailable_remedy(reason: str) -> str:
    if RIS_RATE_LIMITED in reason:
        return (
            "RisPort70 is over its per-minute rate for realtime queries; devpack already "
            "paces its own queries at the configured rate, so other clients (RTMT, "
            "monitoring) share the limit: wait a minute or two, then audit again"
        )
    if AXL_MEMORY in reason:
        return (
            "AXL is busy (its memory for requests in progress is used up, often by other "
            "AXL clients or large queries): wait until they finish, then audit again"
        )
    if "HTTP 503" in reason:
        return "the node's web service is starting or busy: wait a few minutes, then audit again"
    return "check the application user's roles and the node's web services, then audit again"


def judge_models(facts: AuditFacts, pack_on_publisher: bool) -> list[Finding]:
    """The pack's models in typemodel, each with a row in defaults (AXL, the publisher's DB)."""
    if not facts.expected_models or facts.typemodel is None or not pack_on_publisher:
        return []
    pub = facts.publisher.name if facts.publisher else None
    missing = [m for m in facts.expected_models if m not in facts.typemodel]
    findings = []
    if missing:
        findings.append(
            Finding(
                severity=Severity.ERROR,
                code="model-missing",
                node=pub,
                message=f"typemodel lacks {', '.join(missing)} although the pack is installed "
                "on the publisher",
                evidence={"expected": facts.expected_models, "typemodel": facts.typemodel},
                remedy="check that the playbook's models belong to this device pack; if they "
                "do, the publisher's install did not load them: read its install log",
            )
        )
    if facts.defaults is not None:
        no_defaults = [
            m
            for m in facts.expected_models
            if m in facts.typemodel and facts.typemodel[m] not in facts.defaults
        ]
        if no_defaults:
            findings.append(
                Finding(
                    severity=Severity.WARNING,
                    code="defaults-missing",
                    node=pub,
                    message=f"no Device Defaults row for {', '.join(no_defaults)}",
                    evidence={"typemodel": facts.typemodel, "defaults": facts.defaults},
                    remedy="check Device > Device Settings > Device Defaults on the publisher",
                )
            )
    return findings


def judge_replication(facts: AuditFacts, nodes: list[NodeFact]) -> list[Finding]:
    known = any(n.replication is not None for n in nodes)
    findings = _stale_replication_check(facts, nodes) if known else []
    for node in nodes:
        state = node.replication
        if state == 2 or (state is None and not known):
            continue
        meaning = REPLICATION_STATES.get(state, "no row") if state is not None else "no row"
        findings.append(
            Finding(
                severity=Severity.ERROR if state is not None else Severity.WARNING,
                code="replication-bad" if state is not None else "replication-unknown",
                node=node.name,
                message=f"database replication state "
                f"{state if state is not None else '?'} ({meaning}), expected 2 (Setup Completed)",
                evidence={"state": state, "meaning": meaning},
                remedy="utils dbreplication runtimestate on the publisher; let replication "
                "settle, or repair it (utils dbreplication repair) before any change",
            )
        )
    return findings


def _stale_replication_check(facts: AuditFacts, nodes: list[NodeFact]) -> list[Finding]:
    """runtimestate shows the last status check, however old (``cucm.replication``): one
    that did not surely start after a node's last boot says nothing about replication
    since that boot. (Boot stamps here lean early, for the pickup rule; in an hour a DST
    change repeats this may miss a stale check the engine's gates would not accept.)"""
    booted = [n for n in nodes if n.last_boot is not None]
    check = facts.replication_check_started
    if not booted or check is None:  # no start shown: nothing to compare (not guessed)
        return []
    last = max(booted, key=lambda n: n.last_boot or 0.0)
    if check >= replication.restart_over(last.last_boot or 0.0):
        return []
    shown = facts.replication_check_shown or "?"
    boot = datetime.fromtimestamp(last.last_boot or 0.0, UTC).isoformat(timespec="seconds")
    return [
        Finding(
            severity=Severity.WARNING,
            code="replication-check-stale",
            node=facts.publisher.name if facts.publisher else last.name,
            message=f"the replication status check shown started {shown}, not after "
            f"{last.name}'s last boot ({boot}): its states say nothing about replication "
            "since",
            evidence={"check_started": shown, "last_boot_node": last.name, "last_boot": boot},
            remedy="utils dbreplication status on the publisher, then utils dbreplication "
            "runtimestate once it says COMPLETED",
        )
    ]


def judge_services(nodes: list[NodeFact]) -> list[Finding]:
    """Services down by ``cucm.services``' rule: any reason but the two deliberate ones,
    and, where the run recorded them, services STARTED before its restarts that are not
    STARTED now whatever the reason (``Commanded Out of Service`` after a reboot)."""
    findings = []
    for node in nodes:
        down = services_rule.judge(node.services, node.started_before)
        if not down:
            continue
        starting = all(p.starting for p in down)
        commanded_out = [p for p in down if p.commanded_out]
        findings.append(
            Finding(
                severity=Severity.WARNING if starting else Severity.ERROR,
                code="service-starting" if starting else "service-down",
                node=node.name,
                message="service(s) that should run are not STARTED: "
                + ", ".join(p.describe() for p in down),
                evidence={
                    "services": {p.name: p.state for p in down},
                    "reasons": {p.name: p.reason for p in down if p.reason},
                    "started_before_restart": [p.name for p in down if p.was_started],
                },
                remedy=(
                    "wait a few minutes if they are STARTING; otherwise "
                    if not commanded_out
                    else "a service back as Commanded Out of Service after a restart does "
                    "not start by itself (Cisco TAC): "
                )
                + "; ".join(f"utils service start {p.name}" for p in down)
                + f" on {node.name} and read its logs",
            )
        )
    return findings


def judge_phones(
    facts: AuditFacts,
    pending: set[str],
    strict_unregistered: bool,
    restart_scope: RestartScope | None = None,
) -> list[Finding]:
    """Phones Rejected, UnRegistered, or away from the first node of their group.

    ``pending`` names nodes whose CallManager has not picked the pack up, to explain
    why a phone left its home; ``restart_scope`` is Cisco's rule for the cluster's
    release, which the remedy follows (a reboot, or the service restarts). Findings are
    grouped so a cluster with thousands of phones gives a handful of lines, each with
    the full count.
    """
    if facts.phones is None:
        return []
    buckets: dict[tuple[str, str, str, str], list[PhoneFact]] = defaultdict(list)
    for phone in facts.phones:
        members = facts.groups.get(phone.group or "", [])
        home = members[0] if members else ""
        if phone.status == "Rejected":
            buckets[("phone-rejected", phone.node, home, phone.group or "")].append(phone)
        elif phone.status == "UnRegistered":
            buckets[("phone-unregistered", home, "", phone.group or "")].append(phone)
        elif (
            phone.status in ("Registered", "PartiallyRegistered") and home and (phone.node != home)
        ):
            buckets[("phone-not-home", home, phone.node, phone.group or "")].append(phone)
    findings = []
    for (code, first, second, group), phones in sorted(buckets.items()):
        members = facts.groups.get(group, [])
        findings.append(
            _phone_finding(
                code,
                first,
                second,
                group,
                members,
                phones,
                pending,
                strict_unregistered,
                restart_scope,
            )
        )
    return findings


def _phone_finding(
    code: str,
    first: str,
    second: str,
    group: str,
    members: list[str],
    phones: list[PhoneFact],
    pending: set[str],
    strict_unregistered: bool,
    restart_scope: RestartScope | None = None,
) -> Finding:
    what = _phones_text(phones)
    group_text = f"CallManager group {group} ({', '.join(members)})" if group else "no known group"
    evidence = {
        "count": len(phones),
        "phones": [
            {
                "name": p.name,
                "model": p.model,
                "status": p.status,
                "node": p.node,
                "status_reason": p.status_reason,
            }
            for p in phones[:SAMPLE]
        ],
        "group": group or None,
        "group_members": members,
    }
    if code == "phone-rejected":
        node = first
        why = f"; {node} has not restarted since the device pack install" if node in pending else ""
        return Finding(
            severity=Severity.ERROR,
            code=code,
            node=node or None,
            evidence=evidence,
            message=f"{what} rejected by {node or 'the cluster'}{why}",
            remedy=_rejected_remedy(node, node in pending, restart_scope),
        )
    if code == "phone-unregistered":
        return Finding(
            severity=Severity.WARNING if strict_unregistered else Severity.INFO,
            code=code,
            node=first or None,
            evidence=evidence,
            message=f"{what} unregistered ({group_text})",
            remedy="check the phones are powered and can reach their CallManager group",
        )
    home, where = first, second
    why = (
        f": {home} has not restarted since the device pack install and rejects the model"
        if home in pending
        else ""
    )
    return Finding(
        severity=Severity.WARNING,
        code=code,
        node=home,
        evidence=evidence | {"registered_to": where, "expected": home},
        message=f"{what} registered to {where} instead of {home}, the first node of "
        f"{group_text}{why}",
        remedy=(
            f"{_restart_text(home, restart_scope)}; the phones return to it "
            "by themselves (or reset them)"
        )
        if home in pending
        else f"check {home}'s CallManager; reset the phones to send them home",
    )


def _rejected_remedy(node: str, pending: bool, scope: RestartScope | None) -> str:
    if pending:
        return f"{_restart_text(node, scope)}, then reset the phones"
    if scope is RestartScope.SERVICES and node:
        # Cisco: from 11.5(1)SU5 / 12.0(1)SU2 a subscriber learns new models without a
        # restart (inferred in the lab); this node's CallManager has not: restart it.
        return (
            f"on {node}: utils service restart {SVC_CALLMANAGER} (on this release its "
            "CallManager should have learnt the new models without a restart, and has not), "
            "then reset the phones; if they are still rejected, read the phones' "
            "StatusReason and the node's CallManager trace"
        )
    return (
        "read the phones' StatusReason and the node's CallManager trace; check the model is "
        "in typemodel"
    )


def _restart_text(node: str, scope: RestartScope | None) -> str:
    """How a node whose CallManager rejects the pack picks it up, by Cisco's rule."""
    if scope is RestartScope.REBOOT:
        return (
            f"reboot {node} (utils system restart), publisher first, as its restart-pending "
            "finding says"
        )
    if scope is RestartScope.SERVICES:
        return (
            f"on {node}: utils service restart {SVC_CALLMANAGER}, as its restart-pending "
            "finding says"
        )
    return f"restart {node} as its restart finding says"


def _phones_text(phones: list[PhoneFact]) -> str:
    models = sorted({p.model for p in phones})
    if len(phones) == 1:
        return f"phone {phones[0].name} ({models[0]}) is"
    return f"{len(phones)} phones ({', '.join(models)}) are"
