"""Has a node picked a device pack up? The one rule, used by discovery, steps and audit. Pure.

A device pack is *installed* when ``show version active`` lists it and *picked up* once
the processes that cache the device list have restarted after its install (reference
section 7):

- reboot releases (up to 11.5(1)SU4 / 12.0(1)SU1): the whole node, so the last boot must
  be after the install;
- service-restart releases: :func:`services_to_restart` -- Cisco Tftp on TFTP nodes, Cisco
  Tomcat everywhere, Cisco CallManager on the publisher -- each started after the install.
  A service that is not running now is no obstacle: it loads the pack when it starts.

Which rule applies is :func:`orchestrator.cucm.release.restart_rule` for the cluster's
lowest release (the release thresholds live there only).

Times. system-history stamps and Control Center StartTime are the node's local time
without a zone. :func:`node_time` turns them into aware UTC with the node's zone, and every
comparison here is on epoch seconds (UTC) made from those. Where the zone is not known yet
it is assumed to be UTC (the ``zone=None`` default): stamps of one node then still compare
correctly with each other, only comparisons with other clocks are off by the offset.
In the hour an autumn DST change repeats, a stamp has two readings; system-history lines
are read in the log's order (:func:`history_times`), so a boot written after an install
is after it; a Control Center StartTime has no such order and leans early.

Conservative by design: "picked up" is said only when proven. A start time that is
unknown, or before the install, means *not* picked up, so the plan restarts the node and
the audit reports it. A needless restart costs one planned outage in a maintenance
window; a wrongly skipped one leaves a CallManager rejecting the new phone models (the
failure this tool exists to prevent), unnoticed until phones are moved. A start in the
install's own second counts as after it: stamps have one-second resolution and the
``Success`` line is written once the install has finished, so that start found the pack
in place (and a restart done right after a fast install must not look pending).

The Control Center fallback (:data:`START_TIME_FALLBACK`): when Control Center cannot tell
a service's StartTime, the node's last boot stands in. It is a lower bound (every service
starts after the boot), so a boot after the install proves the pick-up, and a boot before
it (or none known) leaves the service pending.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from enum import StrEnum
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from orchestrator.cucm.release import RestartScope, cop_base_name
from orchestrator.cucm.texts import SVC_CALLMANAGER, SVC_TFTP, SVC_TOMCAT

# ----- the node's clock ------------------------------------------------------------------


class Lean(StrEnum):
    """Which instant to take for a local time a DST change makes ambiguous or skips.

    Chosen per stamp so that doubt ends in "not picked up": an install is read as late
    as it can be (LATER), a boot or service start as early as it can be (EARLIER).
    """

    EARLIER = "earlier"
    LATER = "later"


def node_zone(name: str | None) -> tzinfo:
    """The zone named ``name`` (IANA, e.g. ``Europe/Berlin``); UTC when None (unknown)."""
    if not name:
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"{name!r} is not a known time zone (e.g. Europe/Berlin)") from exc


def node_time(local: datetime, zone: tzinfo | None = None, lean: Lean = Lean.EARLIER) -> datetime:
    """A node's local stamp as an aware UTC datetime; ``zone`` None means UTC (assumed).

    In the hour a DST change repeats (autumn) both readings exist, and a time the change
    skips (spring) has none; both candidates (``fold`` 0 and 1) are computed and ``lean``
    picks the earlier or later instant. An already aware ``local`` is only converted.
    """
    if local.tzinfo is not None:
        return local.astimezone(UTC)
    zone = zone or UTC
    candidates = [local.replace(tzinfo=zone, fold=fold).astimezone(UTC) for fold in (0, 1)]
    return min(candidates) if lean is Lean.EARLIER else max(candidates)


def node_epoch(local: datetime, zone: tzinfo | None = None, lean: Lean = Lean.EARLIER) -> float:
    """:func:`node_time` as epoch seconds (what journals, facts and the gateway carry)."""
    return node_time(local, zone, lean).timestamp()


# ----- install history ---------------------------------------------------------------------


class HistoryLine(Protocol):
    """A parsed system-history line (``drivers.ssh.parsers.HistoryEntry`` is one)."""

    @property
    def timestamp(self) -> datetime: ...  # node-local, naive

    @property
    def kind(self) -> str: ...  # "install" | "boot" | ...

    @property
    def subject(self) -> str: ...  # file name for installs

    @property
    def outcome(self) -> str: ...  # "Success", "Failure", ...


class InstallLike(Protocol):
    @property
    def file(self) -> str: ...

    @property
    def time(self) -> float: ...  # epoch seconds, UTC

    @property
    def outcome(self) -> str: ...


@dataclass(frozen=True)
class Install:
    """One install line of system-history, its stamp converted (epoch seconds, UTC)."""

    file: str
    time: float
    outcome: str


R = TypeVar("R", bound=InstallLike)


def _candidates(local: datetime, zone: tzinfo | None) -> list[float]:
    """The instants a node-local stamp may mean: two in a DST change's repeated hour."""
    if local.tzinfo is not None:
        return [local.timestamp()]
    zone = zone or UTC
    return sorted({local.replace(tzinfo=zone, fold=f).timestamp() for f in (0, 1)})


def history_times(history: Iterable[HistoryLine], zone: tzinfo | None = None) -> list[float]:
    """Each line's instant (epoch seconds, UTC), read with the log's order as evidence.

    system-history.log is appended in time order, so of a stamp's readings (two in the
    hour a DST change repeats) only those that keep the lines in order are possible. Of
    those, an install is read as late as it can be and any other line (a boot) as early
    as it can be, but never before the line above it: doubt still ends in "not picked
    up", yet a boot written after an install is never read as before it. A stamp with one
    reading is taken as it is, even where the clock stepped back (no order to keep then).
    """
    lines = list(history)
    options = [_candidates(e.timestamp, zone) for e in lines]
    earliest: list[float] = []
    for cands in options:  # the earliest reading that keeps every line above in order
        floor = earliest[-1] if earliest else None
        fits = [c for c in cands if floor is None or c >= floor]
        earliest.append(min(fits) if fits else max(cands))
    latest = [0.0] * len(lines)
    ceiling: float | None = None
    for i in range(len(lines) - 1, -1, -1):  # the latest that keeps every line below in order
        fits = [c for c in options[i] if c >= earliest[i] and (ceiling is None or c <= ceiling)]
        latest[i] = ceiling = max(fits) if fits else earliest[i]
    times: list[float] = []
    for i, entry in enumerate(lines):
        if entry.kind == "install":
            times.append(latest[i])
            continue
        floor = max(earliest[i], times[-1]) if times else earliest[i]
        fits = [c for c in options[i] if c >= floor]
        times.append(min(fits) if fits else earliest[i])
    return times


def installs(history: Iterable[HistoryLine], zone: tzinfo | None = None) -> list[Install]:
    """Every install line, any pack, any outcome (see :func:`history_times`)."""
    lines = list(history)
    return [
        Install(e.subject, when, e.outcome)
        for e, when in zip(lines, history_times(lines, zone), strict=True)
        if e.kind == "install"
    ]


def succeeded(install: InstallLike) -> bool:
    return install.outcome.lower() == "success"


def last_install(records: Iterable[R], pack: str) -> R | None:
    """The last *successful* install of ``pack`` (``.sgn``/``.sha512`` ignored on both
    sides); other packs and failed attempts do not count."""
    wanted = cop_base_name(pack)
    found = [r for r in records if succeeded(r) and cop_base_name(r.file) == wanted]
    return max(found, key=lambda r: r.time, default=None)


def install_time(
    history: Iterable[HistoryLine], pack: str, zone: tzinfo | None = None
) -> float | None:
    """When ``pack`` was last installed successfully (epoch seconds, UTC), or None."""
    last = last_install(installs(history, zone), pack)
    return last.time if last else None


def last_boot(
    history: Iterable[HistoryLine], zone: tzinfo | None = None, lean: Lean = Lean.EARLIER
) -> float | None:
    """The last Boot line (epoch seconds, UTC), or None: read as :func:`history_times`
    reads it (early) for the pickup rule; ``Lean.LATER`` reads it as late as its stamp
    allows, for a gate that needs evidence from surely after a restart."""
    lines = list(history)
    if lean is Lean.LATER:
        late = (max(_candidates(e.timestamp, zone)) for e in lines if e.kind == "boot")
        return max(late, default=None)
    times = history_times(lines, zone)
    return max((t for e, t in zip(lines, times, strict=True) if e.kind == "boot"), default=None)


# ----- the rule ----------------------------------------------------------------------------


def services_to_restart(*, publisher: bool, runs_tftp: bool, runs_callmanager: bool) -> list[str]:
    """Cisco's service restarts on a service-restart release, in the order they are done.

    (On a reboot release the whole node restarts instead.)
    """
    services = [SVC_TFTP] if runs_tftp else []
    services.append(SVC_TOMCAT)
    if publisher and runs_callmanager:
        services.append(SVC_CALLMANAGER)
    return services


class StartSource(StrEnum):
    CONTROL_CENTER = "control-center"  # the service's StartTime
    BOOT = "boot"  # the node's last boot (Control Center did not tell)
    UNKNOWN = ""  # neither


#: What stands in for a service start time Control Center cannot give (see module doc).
START_TIME_FALLBACK = StartSource.BOOT


def started_since(started: float | None, boot: float | None) -> tuple[float | None, StartSource]:
    """When a running service last started: Control Center's StartTime, else the boot."""
    if started is not None:
        return started, StartSource.CONTROL_CENTER
    if boot is not None:
        return boot, START_TIME_FALLBACK
    return None, StartSource.UNKNOWN


def after_install(installed: float, since: float | None) -> bool:
    """At or after the install's (finished) second; an unknown time is not proof."""
    return since is not None and since >= installed


@dataclass(frozen=True)
class ServiceClock:
    """What is known about one service the rule restarts."""

    name: str
    running: bool  # STARTED now; a stopped service loads the pack when it starts
    started: float | None = None  # Control Center StartTime (epoch, UTC); None = not told


@dataclass(frozen=True)
class ServicePickup:
    name: str
    since: float | None
    source: StartSource
    picked_up: bool


class Verdict(StrEnum):
    PICKED_UP = "picked_up"
    PENDING = "pending"
    # Listed by show version but no successful install line: when it went in is unknown.
    # Not treated as pending: a missing line never appears, so a restart would not end
    # the doubt and every later run would restart again; the audit reports it instead.
    NO_RECORD = "no_record"


@dataclass(frozen=True)
class Pickup:
    verdict: Verdict
    installed: float | None
    boot: float | None
    services: tuple[ServicePickup, ...] = ()  # services releases: per service

    @property
    def pending(self) -> bool:
        return self.verdict is Verdict.PENDING

    @property
    def pending_services(self) -> list[str]:
        return [s.name for s in self.services if not s.picked_up]


def service_pickup(installed: float, service: ServiceClock, boot: float | None) -> ServicePickup:
    since, source = started_since(service.started, boot)
    done = not service.running or after_install(installed, since)
    return ServicePickup(service.name, since, source, done)


def pickup(
    scope: RestartScope,
    installed: float | None,
    boot: float | None,
    services: Iterable[ServiceClock] = (),
) -> Pickup:
    """Has the node picked up the pack installed at ``installed``?

    ``scope`` is Cisco's rule for the cluster's lowest release; ``services`` are the
    :func:`services_to_restart` of the node (ignored on reboot releases), with Control
    Center's start times where it answered (the fallback is the boot, see the module).
    """
    if installed is None:
        return Pickup(Verdict.NO_RECORD, None, boot)
    if scope is RestartScope.REBOOT:
        done = after_install(installed, boot)
        return Pickup(Verdict.PICKED_UP if done else Verdict.PENDING, installed, boot)
    judged = tuple(service_pickup(installed, s, boot) for s in services)
    done = all(s.picked_up for s in judged)
    return Pickup(Verdict.PICKED_UP if done else Verdict.PENDING, installed, boot, judged)


__all__ = [
    "START_TIME_FALLBACK",
    "HistoryLine",
    "Install",
    "Lean",
    "Pickup",
    "ServiceClock",
    "ServicePickup",
    "StartSource",
    "Verdict",
    "after_install",
    "history_times",
    "install_time",
    "installs",
    "last_boot",
    "last_install",
    "node_epoch",
    "node_time",
    "node_zone",
    "pickup",
    "service_pickup",
    "services_to_restart",
    "started_since",
    "succeeded",
]
