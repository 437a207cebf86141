"""Judging the device pack itself: is it everywhere, and did every node pick it up? Pure.

The seed's failure lives here: a pack installed after a node's running CallManager
started, on a release where Cisco requires a reboot, leaves that CallManager rejecting
the new models while the others accept them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from orchestrator.audit.model import (
    AuditFacts,
    Finding,
    InstallFact,
    NodeFact,
    ServiceFact,
    Severity,
    stamp,
)
from orchestrator.cucm import pickup
from orchestrator.cucm.release import (
    Release,
    ReleaseError,
    RestartRule,
    RestartScope,
    cop_base_name,
    restart_rule,
)
from orchestrator.cucm.texts import SVC_CALLMANAGER, SVC_TFTP, SVC_TOMCAT

_PACK_VERSION = re.compile(r"devicepack(?P<v>\d+(?:\.\d+)*(?:-\d+)?)", re.I)
ORDER_NOTE = (
    "Cisco's order: the publisher first, then backup subscribers, then primaries, never "
    "two members of one CallManager group at once, waiting for replication state 2 in "
    "between (devpack run with this pack's playbook restarts the cluster in that order)"
)


@dataclass
class PackVerdict:
    pack: str | None  # base name (no .sgn)
    source: str  # "playbook" | "newest installed" | ""
    holders: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def pack_version(option: str) -> tuple[int, ...] | None:
    """``cmterm-devicepack12.5.1.17123-1.cop`` -> (12, 5, 1, 17123, 1); None if not a pack."""
    match = _PACK_VERSION.search(option)
    if not match:
        return None
    return tuple(int(p) for p in re.split(r"[.-]", match.group("v")))


def has_option(node: NodeFact, pack: str) -> bool:
    return any(cop_base_name(o) == pack for o in node.options)


def newest_pack(nodes: list[NodeFact]) -> str | None:
    packs = {cop_base_name(o) for n in nodes for o in n.options if pack_version(o) is not None}
    return max(packs, key=lambda p: pack_version(p) or (), default=None)


def cluster_rule(nodes: list[NodeFact]) -> tuple[Release, RestartRule] | None:
    """Cisco's rule for the lowest release in the cluster (as the planner applies it)."""
    releases: list[Release] = []
    for node in nodes:
        try:
            releases.append(Release.parse(node.release))
        except ReleaseError:
            continue
    if not releases:
        return None
    lowest = min(releases)
    return lowest, restart_rule(lowest)


def judge_pack(facts: AuditFacts, nodes: list[NodeFact]) -> PackVerdict:
    """Which pack we audit against, and which reachable nodes lack it."""
    if facts.expected_pack:
        verdict = PackVerdict(cop_base_name(facts.expected_pack), "playbook")
    else:
        verdict = PackVerdict(newest_pack(nodes), "newest installed")
    pack = verdict.pack
    if pack is None:
        verdict.findings.append(
            Finding(
                severity=Severity.INFO,
                code="no-pack",
                message="no device pack is installed on any node (show version active)",
                evidence={"options": {n.name: n.options for n in nodes}},
            )
        )
        return verdict
    verdict.holders = [n.name for n in nodes if has_option(n, pack)]
    lacking = [n for n in nodes if n.name not in verdict.holders]
    if not lacking:
        return verdict
    if not verdict.holders:
        verdict.findings.append(
            Finding(
                severity=Severity.WARNING,
                code="pack-not-installed",
                message=f"{pack} (the playbook's) is installed on no node",
                evidence={"pack": pack, "options": {n.name: n.options for n in nodes}},
                remedy="roll it out: devpack run with this playbook",
            )
        )
        return verdict
    for node in lacking:
        others = [p for p in node.options if pack_version(p) is not None]
        failed = [i for i in node.installs if cop_base_name(i.file) == pack]
        verdict.findings.append(
            Finding(
                severity=Severity.ERROR,
                code="pack-missing",
                node=node.name,
                message=(
                    f"{node.name} does not have {pack}, which "
                    f"{_names(verdict.holders)} {'has' if len(verdict.holders) == 1 else 'have'}"
                    + (f" (it has {', '.join(others)})" if others else "")
                    + (f"; its last install attempt ended {failed[-1].outcome}" if failed else "")
                    + ": phones of the pack's models cannot register to it"
                ),
                evidence={
                    "pack": pack,
                    "options": node.options,
                    "installed_on": verdict.holders,
                    "install_attempts": [_install_evidence(i) for i in failed],
                },
                remedy=f"install {pack} on {node.name}, then restart as Cisco's rule for this "
                "release says (devpack run with the pack's playbook does both)",
            )
        )
    return verdict


def judge_other_cops(facts: AuditFacts, nodes: list[NodeFact]) -> list[Finding]:
    """The playbook's other COPs (locale, dial plan, signing key) on every reachable node."""
    findings = []
    for cop in (cop_base_name(f) for f in facts.other_cops):
        holders = [n.name for n in nodes if has_option(n, cop)]
        for node in (n for n in nodes if n.name not in holders):
            failed = [i for i in node.installs if cop_base_name(i.file) == cop]
            findings.append(
                Finding(
                    severity=Severity.ERROR,
                    code="cop-missing",
                    node=node.name,
                    message=f"{node.name} does not have {cop}, which the playbook installs"
                    + (
                        f" ({_names(holders)} {'has' if len(holders) == 1 else 'have'} it)"
                        if holders
                        else ""
                    )
                    + (f"; its last install attempt ended {failed[-1].outcome}" if failed else ""),
                    evidence={
                        "cop": cop,
                        "options": node.options,
                        "installed_on": holders,
                        "install_attempts": [_install_evidence(i) for i in failed],
                    },
                    remedy=f"install {cop} on {node.name} (devpack run with this playbook "
                    "installs only what is missing, then restarts as the COPs require)",
                )
            )
    return findings


def _install(node: NodeFact, pack: str) -> InstallFact | None:
    return pickup.last_install(node.installs, pack)


def _since(service: ServiceFact | None, node: NodeFact) -> tuple[float | None, str]:
    """When a service last started, by ``cucm.pickup``'s rule (Control Center, else boot)."""
    since, source = pickup.started_since(service.start_time if service else None, node.last_boot)
    if source is pickup.StartSource.CONTROL_CENTER and service and service.start_source:
        return since, service.start_source
    return since, str(source)


def node_pickup(node: NodeFact, pack: str, scope: RestartScope) -> pickup.Pickup:
    """``cucm.pickup``'s verdict for a node's facts (the same the planner acts on)."""
    install = _install(node, pack)
    clocks = [
        pickup.ServiceClock(
            name,
            running=(svc := node.service(name)) is not None and svc.state == "STARTED",
            started=svc.start_time if svc else None,
        )
        for name in pickup.services_to_restart(
            publisher=node.is_publisher,
            runs_tftp=node.runs(SVC_TFTP),
            runs_callmanager=node.runs(SVC_CALLMANAGER),
        )
    ]
    return pickup.pickup(scope, install.time if install else None, node.last_boot, clocks)


def judge_restarts(
    nodes: list[NodeFact], pack: str, holders: list[str], release: Release, rule: RestartRule
) -> list[Finding]:
    """Per node holding the pack: did the services that must restart start after it?"""
    findings: list[Finding] = []
    holding = [n for n in nodes if n.name in holders]
    if rule.scope is RestartScope.REBOOT:
        pending = [n for n in holding if _cm_pending(n, pack)]
        pub_pending = next((n.name for n in pending if n.is_publisher), None)
        for node in holding:
            findings += _reboot_findings(node, pack, release, rule, pub_pending, pending)
    else:
        for node in holding:
            findings += _service_findings(node, pack, release)
    return findings


def _cm_pending(node: NodeFact, pack: str) -> bool:
    """A running CallManager that has not started (provably) since the install: it still
    rejects the pack's new models."""
    install = _install(node, pack)
    cm = node.service(SVC_CALLMANAGER)
    if install is None or cm is None or not cm.activated or cm.state != "STARTED":
        return False
    since, _ = _since(cm, node)
    started_before = not pickup.after_install(install.time, since)
    return started_before and node_pickup(node, pack, RestartScope.REBOOT).pending


def _reboot_findings(
    node: NodeFact,
    pack: str,
    release: Release,
    rule: RestartRule,
    pub_pending: str | None,
    pending: list[NodeFact],
) -> list[Finding]:
    install = _install(node, pack)
    if install is None:
        return [_no_record(node, pack)]
    cm = node.service(SVC_CALLMANAGER)
    since, source = _since(cm, node)
    evidence = {
        "pack": pack,
        "installed_at": stamp(install.time),
        "callmanager_started_at": stamp(since) if cm and cm.activated else None,
        "start_time_source": source,
        "last_boot": stamp(node.last_boot),
        "node_timezone": node.timezone or "UTC (assumed)",
        "release": str(release),
        "rule": str(rule.scope),
    }
    if _cm_pending(node, pack):
        order = _reboot_order(node, pub_pending, pending)
        return [
            Finding(
                severity=Severity.ERROR,
                code="restart-pending",
                node=node.name,
                message=(
                    f"{pack} was installed {stamp(install.time, node.timezone)}, after its "
                    f"running Cisco CallManager started "
                    f"({_started_text(since, source, node.timezone)}); "
                    f"release {release} needs a reboot after a device pack, so this "
                    "CallManager still rejects the pack's new models"
                ),
                evidence=evidence,
                remedy=f"reboot {node.name} (utils system restart){order}. {ORDER_NOTE}",
            )
        ]
    if node_pickup(node, pack, rule.scope).pending:
        what = "its CallManager was restarted" if cm and cm.activated else "it runs no CallManager"
        boot = (
            f"the last boot ({stamp(node.last_boot, node.timezone)})"
            if node.last_boot
            else "a boot"
        )
        return [
            Finding(
                severity=Severity.WARNING,
                code="reboot-pending",
                node=node.name,
                message=(
                    f"{pack} was installed {stamp(install.time, node.timezone)}, after {boot}"
                    f"{'' if node.last_boot else ' (no Boot line in system-history)'}; "
                    f"{what}, but release {release} calls for "
                    "a reboot of every node after a device pack"
                ),
                evidence=evidence,
                remedy=f"reboot {node.name} (utils system restart) in the next window. "
                + ORDER_NOTE,
            )
        ]
    return []


def _reboot_order(node: NodeFact, pub_pending: str | None, pending: list[NodeFact]) -> str:
    others = [n.name for n in pending if not n.is_publisher and n.name != node.name]
    if node.is_publisher:
        then = f", then the other pending nodes ({', '.join(others)})" if others else ""
        return f" first, and wait until its services are STARTED and replication is 2{then}"
    if pub_pending:
        return f", after the publisher {pub_pending} is back (it is pending too)"
    return "; the publisher already restarted after its install"


# How much a service restart the rule asks for matters when it has not happened.
_SERVICE_SEVERITY: dict[str, tuple[Severity, str]] = {
    SVC_CALLMANAGER: (Severity.ERROR, "restart-pending"),
    SVC_TFTP: (Severity.ERROR, "service-restart-pending"),
    SVC_TOMCAT: (Severity.WARNING, "service-restart-pending"),
}


def _service_findings(node: NodeFact, pack: str, release: Release) -> list[Finding]:
    verdict = node_pickup(node, pack, RestartScope.SERVICES)
    install = _install(node, pack)
    if install is None:
        return [_no_record(node, pack)]
    findings = []
    # Stopped services are picked up (they load the pack when they start): a down
    # service is its own finding.
    for judged in verdict.services:
        if judged.picked_up:
            continue
        name = judged.name
        severity, code = _SERVICE_SEVERITY[name]
        service = node.service(name)
        since, source = _since(service, node)
        effect = {
            SVC_CALLMANAGER: "the publisher's CallManager rejects the pack's new models",
            SVC_TFTP: "TFTP does not serve the new models' files",
            SVC_TOMCAT: "the web applications do not list the new models",
        }[name]
        findings.append(
            Finding(
                severity=severity,
                code=code,
                node=node.name,
                message=(
                    f"{pack} was installed {stamp(install.time, node.timezone)}, after {name} "
                    f"started ({_started_text(since, source, node.timezone)}): {effect}"
                ),
                evidence={
                    "pack": pack,
                    "service": name,
                    "installed_at": stamp(install.time),
                    "service_started_at": stamp(since),
                    "start_time_source": source,
                    "release": str(release),
                    "rule": "services",
                },
                remedy=(
                    f"on {node.name}: utils service restart {name}. Cisco (release {release}): "
                    "restart Cisco Tftp on every TFTP node and Cisco Tomcat on every node, and "
                    "Cisco CallManager on the publisher; publisher first, one TFTP node at a "
                    "time so one stays up"
                ),
            )
        )
    return findings


def _no_record(node: NodeFact, pack: str) -> Finding:
    return Finding(
        severity=Severity.INFO,
        code="no-install-record",
        node=node.name,
        message=f"{node.name} lists {pack} but system-history.log has no successful install "
        "line for it, so when it was installed is unknown",
        evidence={"pack": pack, "installs": [_install_evidence(i) for i in node.installs]},
    )


def _source_text(source: str) -> str:
    return {
        "control-center": "Control Center StartTime",
        "boot": "the node's last boot; Control Center did not tell",
    }.get(source, source)


def _started_text(since: float | None, source: str, zone: str | None = None) -> str:
    if since is None:
        return (
            "when is unknown: neither Control Center nor system-history tell, so "
            "devpack assumes before"
        )
    return f"{stamp(since, zone)}, {_source_text(source)}"


def _install_evidence(install: InstallFact) -> dict[str, str | None]:
    return {"file": install.file, "at": stamp(install.time), "outcome": install.outcome}


def _names(names: list[str]) -> str:
    return ", ".join(names)
