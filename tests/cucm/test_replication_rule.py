"""The replication evidence rule (cucm.replication): a status check proves the cluster's
state after a restart only if it surely started after it, read in each node's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from orchestrator.cucm.pickup import Lean, last_boot, node_epoch
from orchestrator.cucm.replication import (
    check_start,
    precheck_check_age,
    publisher_now,
    restart_over,
    started_after,
)

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


# ----- the precheck's rule: after every node's last boot, and not older than a maximum


def test_a_precheck_accepts_only_a_check_younger_than_the_maximum_age() -> None:
    check = check_start(datetime(2026, 11, 30, 10, 12), None, UTC)
    boots: dict[str, float | None] = {"pub": utc(2026, 11, 1, 0, 0, 0)}
    young = precheck_check_age(check, boots, utc(2026, 11, 30, 10, 40, 0), 3600)
    assert young.fresh and young.age == 28 * 60
    # the age counts from the earliest instant the minute allows: 10:12:00 + 3600 s
    assert precheck_check_age(check, boots, utc(2026, 11, 30, 11, 12, 0), 3600).fresh
    old = precheck_check_age(check, boots, utc(2026, 11, 30, 11, 12, 1), 3600)
    assert not old.fresh and "older than the 60 min" in old.why
    months = precheck_check_age(check, boots, utc(2027, 8, 30, 10, 12, 0), 3600)
    assert not months.fresh and months.describe_age().startswith("273 days old")


def test_a_precheck_refuses_a_check_that_did_not_surely_follow_every_nodes_boot() -> None:
    check = check_start(datetime(2026, 11, 30, 10, 12), datetime(2026, 11, 30, 10, 12, 30), UTC)
    now = utc(2026, 11, 30, 10, 20, 0)
    boots: dict[str, float | None] = {"pub": utc(2026, 10, 1, 0, 0, 0)}
    assert precheck_check_age(check, boots, now, 3600).fresh
    # a subscriber booted after the check started (or in its second): not proof
    for sub in (utc(2026, 11, 30, 10, 15, 0), utc(2026, 11, 30, 10, 12, 30)):
        verdict = precheck_check_age(check, {**boots, "sub1": sub}, now, 3600)
        assert not verdict.fresh and "sub1 booted" in verdict.why
    # a node whose last boot cannot be read proves nothing
    unknown = precheck_check_age(check, {**boots, "sub2": None}, now, 3600)
    assert not unknown.fresh and "sub2" in unknown.why
    missing = precheck_check_age(None, boots, now, 3600)
    assert not missing.fresh and missing.age is None


def test_a_precheck_reads_the_check_and_the_publishers_clock_in_the_publishers_zone() -> None:
    # Chicago 10:12 is 16:12 UTC: a publisher clock of 10:40 local makes it 28 min old
    check = check_start(datetime(2026, 11, 30, 10, 12), None, CHICAGO, "America/Chicago")
    now = publisher_now(datetime(2026, 11, 30, 10, 40, 0), CHICAGO)
    assert now == utc(2026, 11, 30, 16, 40, 1)  # the second is over
    verdict = precheck_check_age(check, {"pub": utc(2026, 11, 30, 16, 0, 0)}, now, 3600)
    assert verdict.fresh and verdict.age == 28 * 60 + 1
    # read as UTC the same stamps would put the check before a boot at 11:00 UTC
    assert not precheck_check_age(
        check_start(datetime(2026, 11, 30, 10, 12), None, UTC),
        {"pub": utc(2026, 11, 30, 11, 0, 0)},
        utc(2026, 11, 30, 11, 30, 0),
        3600,
    ).fresh
    assert publisher_now(None, CHICAGO) is None


def test_in_the_repeated_dst_hour_check_and_clock_are_read_in_the_same_fold() -> None:
    # Berlin, 2026-10-25: 02:00-03:00 happens twice (CEST, then CET)
    check = check_start(datetime(2026, 10, 25, 2, 30), None, BERLIN, "Europe/Berlin")
    now = publisher_now(datetime(2026, 10, 25, 2, 50, 0), BERLIN)
    assert check is not None and now is not None
    # both early (CEST): 20 min, not an hour more -- else a run would renew a check
    # started in that hour in vain until the hour is over
    verdict = precheck_check_age(check, {"pub": utc(2026, 10, 1, 0, 0, 0)}, now, 3600)
    assert verdict.age == 20 * 60 + 1 and verdict.fresh
    # the boot rule still leans the safe way: a boot in that hour read late
    late_boot = node_epoch(datetime(2026, 10, 25, 2, 20), BERLIN, Lean.LATER)
    assert not precheck_check_age(check, {"pub": late_boot}, now, 3600).fresh
