"""What an audit gathers (facts) and what it concludes (findings). Plain data, no I/O.

Times are epoch seconds (UTC). Stamps read from a node (system-history, Control Center
StartTime) are printed in the node's local time without a zone; they are converted with
the node's zone (``NodeFact.timezone``, UTC while unknown) by ``cucm.pickup``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.cucm import services as services_rule

AUDIT_VERSION = 1

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_UNAVAILABLE = 2


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


# ----- facts ---------------------------------------------------------------------------


class ServiceFact(_Model):
    name: str
    state: str  # as the CLI prints it: STARTED, STOPPED, STARTING, ...
    reason: str = ""  # "Service Not Activated" / "Commanded Out of Service"
    start_time: float | None = None
    # where start_time came from: "control-center" (StartTime), "boot" (the node's last
    # boot, when Control Center could not tell) or "" (unknown)
    start_source: str = ""

    @property
    def activated(self) -> bool:
        return services_rule.is_activated(self.reason)

    @property
    def down(self) -> bool:
        """Should run and does not, judged by the reason alone (``cucm.services``); the
        audit also judges against ``NodeFact.started_before`` when a run recorded it."""
        return services_rule.counts_as_down(self.state, self.reason)


class InstallFact(_Model):
    file: str  # as the history line names it (with .sgn)
    time: float
    outcome: str  # Success | Failure | ...


class NodeFact(_Model):
    name: str
    address: str
    role: str  # publisher | subscriber
    reachable: bool = True
    problem: str = ""
    problem_hint: str = ""  # what to do about ``problem`` (which inventory field, ...)
    release: str = ""
    options: list[str] = Field(default_factory=list)
    installs: list[InstallFact] = Field(default_factory=list)
    last_boot: float | None = None
    timezone: str | None = None  # IANA name its stamps were converted with; None = UTC
    services: list[ServiceFact] = Field(default_factory=list)
    # services STARTED before the run's restarts (its prechecks); None = not known
    started_before: list[str] | None = None
    replication: int | None = None  # from the publisher's runtimestate; None = no row

    @property
    def is_publisher(self) -> bool:
        return self.role == "publisher"

    def service(self, name: str) -> ServiceFact | None:
        wanted = name.lower()
        return next((s for s in self.services if s.name.lower() == wanted), None)

    def runs(self, name: str) -> bool:
        service = self.service(name)
        return service is not None and service.activated


class PhoneFact(_Model):
    name: str
    model: str  # model name, or the enum as text when typemodel does not know it
    status: str  # Registered | UnRegistered | Rejected | PartiallyRegistered | Unknown
    status_reason: int = 0
    node: str  # the node RisPort70 lists it under (inventory name when known)
    group: str | None = None  # CallManager group (device pool's), None when unknown


class Unavailable(_Model):
    source: str  # e.g. "control-center cucmsub1", "risport", "axl"
    reason: str


class AuditFacts(_Model):
    cluster: str
    gathered_at: float
    expected_pack: str | None = None  # the playbook's COP (base name), None = newest found
    # the playbook's other COPs (locale, dial plan, signing key...): each must be on
    # every node too; their pick-up is not judged (only a device pack's rule is known)
    other_cops: list[str] = Field(default_factory=list)
    expected_models: list[str] = Field(default_factory=list)
    nodes: list[NodeFact]
    groups: dict[str, list[str]] = Field(default_factory=dict)  # first = primary
    typemodel: dict[str, int] | None = None  # name -> enum for the expected models
    defaults: dict[int, str] | None = None  # tkmodel -> loadinformation
    phones: list[PhoneFact] | None = None
    unavailable: list[Unavailable] = Field(default_factory=list)
    # servers AXL's processnode lists that the inventory does not
    unknown_nodes: list[str] = Field(default_factory=list)
    # servers of the cluster a device pack is not for (IM and Presence): name -> why
    out_of_scope: dict[str, str] = Field(default_factory=dict)
    # the replication status check the states come from: earliest start (epoch s, UTC)
    # and as the publisher printed it; None: no start shown (cucm.replication)
    replication_check_started: float | None = None
    replication_check_shown: str | None = None

    @property
    def publisher(self) -> NodeFact | None:
        return next((n for n in self.nodes if n.is_publisher), None)


# ----- findings ------------------------------------------------------------------------


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


SEVERITY_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


class Finding(_Model):
    severity: Severity
    code: str  # stable, kebab-case: restart-pending, pack-missing, phone-not-home, ...
    node: str | None = None  # None: the cluster as a whole
    message: str
    evidence: dict[str, Any] = Field(default_factory=dict)  # the raw values behind it
    remedy: str = ""


class AuditResult(_Model):
    version: int = AUDIT_VERSION
    cluster: str
    gathered_at: float
    release: str | None = None  # the publisher's
    restart_rule: str | None = None  # reboot | services
    pack: str | None = None  # the pack audited against
    pack_source: str = ""  # "playbook" | "newest installed" | ""
    nodes: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    facts: AuditFacts | None = None

    def count(self, severity: Severity) -> int:
        return sum(f.severity is severity for f in self.findings)

    @property
    def exit_code(self) -> int:
        serious = self.count(Severity.ERROR) + self.count(Severity.WARNING)
        return EXIT_FINDINGS if serious else EXIT_CLEAN

    @property
    def verdict(self) -> str:
        errors, warnings = self.count(Severity.ERROR), self.count(Severity.WARNING)
        if not errors and not warnings:
            return "clean"
        return f"{errors} error(s), {warnings} warning(s)"


def stamp(epoch: float | None, zone: str | None = None) -> str | None:
    """A zone-aware stamp for messages and evidence: ``2026-11-28 01:12:40 UTC``; with a
    node's ``zone`` (not UTC) also the node's own reading, as its CLI prints it:
    ``2026-11-01 06:00:05 UTC (01:00:05 EST node time)``."""
    if epoch is None:
        return None
    text = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    if zone and zone not in ("UTC", "Etc/UTC"):
        try:
            local = datetime.fromtimestamp(epoch, ZoneInfo(zone))
        except (ZoneInfoNotFoundError, ValueError):
            return text
        text += f" ({local:%Y-%m-%d %H:%M:%S %Z} node time)"
    return text
