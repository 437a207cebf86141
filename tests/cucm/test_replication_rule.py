"""The replication evidence rule (cucm.replication): a status check proves the cluster's
state after a restart only if it surely started after it, read in each node's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from orchestrator.cucm.pickup import Lean, last_boot, node_epoch
from orchestrator.cucm.replication import check_start, restart_over, started_after

BERLIN, CHICAGO = ZoneInfo("Europe/Berlin"), ZoneInfo("America/Chicago")


def utc(*parts: int) -> float:
    return datetime(*parts, tzinfo=UTC).timestamp()  # type: ignore[misc]


def test_a_check_stamped_in_the_restarts_minute_is_not_proof() -> None:
    check = check_start(datetime(2026, 11, 30, 10, 12), None, UTC)
    for boot in (utc(2026, 11, 30, 10, 12, 0), utc(2026, 11, 30, 10, 12, 59)):
        assert not started_after(check, restart_over(boot))
    # a minute later the whole minute lies after the restart
    later = check_start(datetime(2026, 11, 30, 10, 13), None, UTC)
    assert started_after(later, restart_over(utc(2026, 11, 30, 10, 12, 59)))
    assert check is not None and check.shown == "2026-11-30 10:12"


def test_the_result_files_second_narrows_the_start_only_when_it_agrees() -> None:
    boot = restart_over(utc(2026, 11, 30, 10, 12, 20))
    minute = datetime(2026, 11, 30, 10, 12)
    after = check_start(minute, datetime(2026, 11, 30, 10, 12, 21), UTC)
    same = check_start(minute, datetime(2026, 11, 30, 10, 12, 20), UTC)
    assert started_after(after, boot) and not started_after(same, boot)
    # a file from another minute says nothing about this check: the minute decides
    other = check_start(minute, datetime(2026, 11, 30, 10, 14, 0), UTC)
    assert other is not None and other.shown == "2026-11-30 10:12"
    assert not started_after(other, boot)


def test_stamps_are_compared_in_each_nodes_zone() -> None:
    # publisher in Chicago (UTC-6 in November), the rebooted node in Berlin (UTC+1)
    check = check_start(datetime(2026, 11, 30, 10, 12), None, CHICAGO, "America/Chicago")
    boot_before = node_epoch(datetime(2026, 11, 30, 17, 11, 30), BERLIN, Lean.LATER)
    boot_after = node_epoch(datetime(2026, 11, 30, 17, 12, 10), BERLIN, Lean.LATER)
    assert started_after(check, restart_over(boot_before))
    assert not started_after(check, restart_over(boot_after))
    # read as UTC the same stamps would wrongly "prove" the later boot
    naive = check_start(datetime(2026, 11, 30, 10, 12), None, UTC)
    assert not started_after(naive, restart_over(boot_before))
    assert check is not None and "America/Chicago (2026-11-30T16:12:00+00:00)" in check.describe()


def test_in_the_repeated_autumn_hour_doubt_never_proves() -> None:
    # 2026-10-25 02:00-03:00 happens twice in Berlin: the boot is read late, the check early
    boot = node_epoch(datetime(2026, 10, 25, 2, 10, 0), BERLIN, Lean.LATER)
    assert boot == utc(2026, 10, 25, 1, 10, 0)  # the second 02:10 (UTC+1)
    check = check_start(datetime(2026, 10, 25, 2, 30), None, BERLIN)
    assert check is not None and check.earliest == utc(2026, 10, 25, 0, 30)  # the first 02:30
    assert not started_after(check, restart_over(boot))
    # after the repeated hour the same comparison is unambiguous again
    assert started_after(check_start(datetime(2026, 10, 25, 3, 0), None, BERLIN), boot + 1)


def test_a_spring_gap_stamp_is_read_both_ways() -> None:
    # 2026-03-29 02:30 does not exist in Berlin: the check's window covers both readings
    check = check_start(datetime(2026, 3, 29, 2, 30), None, BERLIN)
    assert check is not None and check.latest - check.earliest > 60


def test_no_start_shown_proves_nothing_and_no_restart_needs_any_check() -> None:
    assert not started_after(None, restart_over(utc(2026, 11, 30)))
    assert check_start(None, datetime(2026, 11, 30, 10, 12, 5), UTC) is None
    assert started_after(check_start(datetime(2020, 1, 1), None, UTC), None)


class Line:
    def __init__(self, stamp: datetime) -> None:
        self.timestamp, self.kind, self.subject, self.outcome = stamp, "boot", "", ""


def test_boot_lines_can_be_read_late_for_the_gate() -> None:
    history = [Line(datetime(2026, 10, 25, 2, 10)), Line(datetime(2026, 10, 18, 9, 0))]
    early, late = last_boot(history, BERLIN), last_boot(history, BERLIN, Lean.LATER)
    assert early is not None and late is not None and late - early == 3600
