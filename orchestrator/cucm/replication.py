"""Does a replication status check prove the cluster's state after a restart? Pure.

`utils dbreplication runtimestate` shows the result of the last replication *status
check*, not a live reading (Cisco TAC: `utils dbreplication status` only starts a check,
runtimestate shows its progress and result). A finished check is shown for as long as no
new one is started -- field transcripts show checks hours and months old -- so a table of
2s may describe the cluster before a reboot. A gate that follows a restart may only judge
a check that *started* after that restart; else it starts a new one.

The check's header stamp is node-local (the publisher's zone) and has minute resolution:
`Replication status command started at: 2026-11-30-10-12`. The result file the output
names, `ReplicationStatus.2026_11_30_10_12_34.out`, is named after the second the check
started; it is used only where it agrees with the header's minute. A restart is known by
its Boot line in system-history (node-local, to the second).

Doubt never proves: a check whose start may lie in the restart's second (or minute, with
the header alone) is not evidence; in an hour a DST change repeats, the check is read as
early and the restart as late as their stamps allow.

A precheck (before a run changes anything, ``--dry-run``, a postcheck with no reboot to
follow) has no restart of its own: it may judge a check that started after every node's
last boot AND is younger than a maximum age (``precheck_check_age``), measured on the
publisher's clock (runtimestate's `Server Time:` line) -- else a months-old table of 2s
would vouch for a cluster whose replication broke since.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

from orchestrator.cucm.pickup import Lean, node_epoch

MINUTE = timedelta(minutes=1)
SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class CheckStart:
    """When a status check started: somewhere in [earliest, latest) (epoch s, UTC)."""

    earliest: float
    latest: float
    shown: str  # node-local, as precise as the node printed it
    zone: str  # the zone ``shown`` was read in

    def describe(self) -> str:
        utc = datetime.fromtimestamp(self.earliest, UTC).isoformat(timespec="seconds")
        return f"{self.shown} {self.zone} ({utc})"


def check_start(
    minute: datetime | None,
    file_stamp: datetime | None,
    zone: tzinfo | None,
    zone_name: str = "UTC",
) -> CheckStart | None:
    """The start of the check shown, from its header minute and (when it agrees) its
    result file's second, read in the publisher's ``zone``; None without a header."""
    if minute is None:
        return None
    minute = minute.replace(second=0, microsecond=0)
    precise = file_stamp is not None and file_stamp.replace(second=0, microsecond=0) == minute
    local, width = (file_stamp, SECOND) if precise and file_stamp else (minute, MINUTE)
    shown = local.strftime("%Y-%m-%d %H:%M:%S" if width == SECOND else "%Y-%m-%d %H:%M")
    earliest = node_epoch(local, zone, Lean.EARLIER)
    latest = node_epoch(local + width, zone, Lean.LATER)
    return CheckStart(earliest, latest, shown, zone_name)


def restart_over(boot: float) -> float:
    """The first instant surely after a restart whose Boot line reads ``boot`` (epoch s,
    read LATE for DST): the line has one-second resolution."""
    return boot + SECOND.total_seconds()


def started_after(check: CheckStart | None, restarted: float | None) -> bool:
    """Proof that the check began after the restart (``restart_over`` of its Boot line);
    with no restart to follow any check will do, an unknown start never."""
    if restarted is None:
        return check is not None
    return check is not None and check.earliest >= restarted


# devpack's choice, not Cisco's (Cisco gives no age): a precheck judges only a replication
# status check younger than this (playbook prechecks.replication_check_max_age).
DEFAULT_PRECHECK_MAX_AGE = 3600.0


@dataclass(frozen=True)
class CheckAge:
    """What a precheck makes of the check shown: whether it may judge it and why not."""

    fresh: bool
    age: float | None  # seconds since it started, as old as the stamps allow; None: unknown
    why: str = ""  # why it may not be judged ("" when fresh)
    clock: str = "the publisher's clock"  # what measured the age

    def describe_age(self) -> str:
        if self.age is None:
            return "age unknown"
        return f"{_duration(self.age)} old ({self.clock})"


def precheck_check_age(
    check: CheckStart | None,
    boots: dict[str, float | None],
    now: float,
    max_age: float,
    clock: str = "the publisher's clock",
) -> CheckAge:
    """May a precheck judge ``check``? Only if it surely started after every node's last
    Boot line (``boots``: epoch s; None: none readable, which proves nothing)
    and its age at ``now`` (the publisher's clock, epoch s), taken from its earliest
    possible start, is at most ``max_age`` seconds."""
    if check is None:
        return CheckAge(False, None, "runtimestate names no start for the check shown", clock)
    age = max(0.0, now - check.earliest)
    unknown = sorted(node for node, boot in boots.items() if boot is None)
    if unknown:
        why = f"no Boot line readable on {', '.join(unknown)}: cannot tell it followed"
        return CheckAge(False, age, why + " their last boot", clock)
    booted = [(boot, node) for node, boot in boots.items() if boot is not None]
    if booted:
        boot, node = max(booted)
        if not started_after(check, restart_over(boot)):
            stamp = datetime.fromtimestamp(boot, UTC).isoformat(timespec="seconds")
            return CheckAge(
                False, age, f"it did not surely start after {node} booted {stamp}", clock
            )
    if age > max_age:
        why = f"it is older than the {_duration(max_age)} a precheck accepts"
        return CheckAge(False, age, why, clock)
    return CheckAge(True, age, "", clock)


def publisher_now(server_time: datetime | None, zone: tzinfo | None) -> float | None:
    """The publisher's clock as runtimestate printed it (`Server Time:`, node-local to
    the second; its zone abbreviation is ignored, the node's configured zone decides),
    the end of its second. In the hour a DST change repeats it is read EARLY, like the
    check's start: read late, every check started in that hour would look an hour
    older than it can be and a run would renew it in vain for the whole hour; so there
    the age may read up to an hour short (the boot rule, which guards safety, does not
    lean that way)."""
    if server_time is None:
        return None
    return node_epoch(server_time.replace(microsecond=0) + SECOND, zone, Lean.EARLIER)


def _duration(seconds: float) -> str:
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.0f} days"
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:.0f} h"
    if seconds >= 120:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


__all__ = [
    "DEFAULT_PRECHECK_MAX_AGE",
    "CheckAge",
    "CheckStart",
    "check_start",
    "precheck_check_age",
    "publisher_now",
    "restart_over",
    "started_after",
]
