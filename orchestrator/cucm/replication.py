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


__all__ = ["CheckStart", "check_start", "restart_over", "started_after"]
