"""The pickup rule (``cucm.pickup``) by tables, and discovery and audit agreeing on it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from orchestrator.audit.model import InstallFact, NodeFact, ServiceFact
from orchestrator.audit.restarts import judge_restarts
from orchestrator.config.inventory import Role
from orchestrator.cucm import pickup
from orchestrator.cucm.pickup import Lean, ServiceClock, Verdict
from orchestrator.cucm.release import Release, RestartScope, restart_rule
from orchestrator.cucm.texts import SVC_CALLMANAGER, SVC_TFTP, SVC_TOMCAT
from orchestrator.drivers.ssh.parsers import parse_system_history
from orchestrator.engine.discovery import restart_pending
from orchestrator.planning.facts import NodeFacts

PACK = "cmterm-devicepack12.5.1.17123-1.cop"
OLD_PACK = "cmterm-devicepack12.5.1.16000-1.cop"
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp()


# ----- services a release's rule restarts ---------------------------------------------------


@pytest.mark.parametrize(
    ("publisher", "tftp", "callmanager", "expected"),
    [
        (True, True, True, [SVC_TFTP, SVC_TOMCAT, SVC_CALLMANAGER]),
        (True, False, True, [SVC_TOMCAT, SVC_CALLMANAGER]),
        (True, True, False, [SVC_TFTP, SVC_TOMCAT]),  # no CallManager on the publisher
        (False, True, True, [SVC_TFTP, SVC_TOMCAT]),  # a subscriber's CallManager stays
        (False, False, True, [SVC_TOMCAT]),
    ],
)
def test_services_to_restart_per_role(publisher, tftp, callmanager, expected):
    assert (
        pickup.services_to_restart(
            publisher=publisher, runs_tftp=tftp, runs_callmanager=callmanager
        )
        == expected
    )


@pytest.mark.parametrize(
    ("release", "scope"),
    [
        ("10.5.2.10000-5", RestartScope.REBOOT),
        ("11.5.1.14900-11", RestartScope.REBOOT),  # 11.5(1)SU4
        ("11.5.1.15900-18", RestartScope.SERVICES),  # 11.5(1)SU5
        ("12.0.1.21900-7", RestartScope.REBOOT),  # 12.0(1)SU1
        ("12.5.1.14900-63", RestartScope.SERVICES),
    ],
)
def test_which_rule_comes_from_the_release_thresholds(release, scope):
    assert restart_rule(Release.parse(release)).scope is scope


# ----- the last successful install of a given pack ------------------------------------------

HISTORY = """\
11/20/2026 09:00:00 | root: Install cmterm-devicepack12.5.1.16000-1.cop.sgn Success
11/21/2026 09:00:00 | root: Boot 12.5.1.14900-63 Start
11/26/2026 01:00:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Failure
11/26/2026 01:30:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Success
11/27/2026 08:00:00 | root: Install ciscocm.enable-sha512sum-2021-signing-key-v1.0.cop.sgn Success
11/27/2026 09:00:00 | root: Install cmterm-devicepack12.5.1.16000-1.cop.sgn Success
11/27/2026 10:00:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Failure
11/28/2026 02:00:00 | root: Boot 12.5.1.14900-63 Start
"""


@pytest.mark.parametrize(
    ("history", "pack", "expected"),
    [
        # other packs, later and earlier, do not count; a later failure does not either
        (HISTORY, PACK, "2026-11-26 01:30:00"),
        (HISTORY, f"{PACK}.sgn", "2026-11-26 01:30:00"),  # suffix stripped on both sides
        (HISTORY, OLD_PACK, "2026-11-27 09:00:00"),  # reinstalled: the last one counts
        (HISTORY, "cmterm-devicepack14.0.1.1-1.cop", None),  # never installed
        (
            "11/26/2026 01:00:00 | root: Install x/cmterm-devicepack12.5.1.17123-1.cop"
            ".sgn Failure\n",
            PACK,
            None,
        ),  # only failures
        (
            "12/01/2026 10:00:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sha512 "
            "Success\n",
            PACK,
            "2026-12-01 10:00:00",
        ),
        ("", PACK, None),
    ],
)
def test_last_successful_install_of_the_given_pack(history, pack, expected):
    found = pickup.install_time(parse_system_history(history), pack)
    assert found == (utc(expected) if expected else None)


def test_last_boot_and_install_records_from_history():
    entries = parse_system_history(HISTORY)
    assert pickup.last_boot(entries) == utc("2026-11-28 02:00:00")
    assert pickup.last_boot(parse_system_history("")) is None
    records = pickup.installs(entries)
    assert len(records) == 6 and {r.outcome for r in records} == {"Success", "Failure"}
    # the audit's facts carry the same records and get the same answer
    facts = [InstallFact(file=r.file, time=r.time, outcome=r.outcome) for r in records]
    last = pickup.last_install(facts, PACK)
    assert last is not None and last.time == utc("2026-11-26 01:30:00")


# ----- picked up? -------------------------------------------------------------------------

T = 1_800_000_000.0
H = 3600.0


def clock(name: str, started: float | None, running: bool = True) -> ServiceClock:
    return ServiceClock(name, running, started)


PICKUP_CASES = [
    # (id, scope, installed, boot, services, verdict, pending services)
    ("reboot: booted after", RestartScope.REBOOT, T, T + H, [], Verdict.PICKED_UP, []),
    ("reboot: booted before", RestartScope.REBOOT, T, T - H, [], Verdict.PENDING, []),
    ("reboot: same second", RestartScope.REBOOT, T, T, [], Verdict.PICKED_UP, []),
    ("reboot: no boot line", RestartScope.REBOOT, T, None, [], Verdict.PENDING, []),
    (
        "reboot: services restarted do not count",
        RestartScope.REBOOT,
        T,
        T - H,
        [clock(SVC_CALLMANAGER, T + H)],
        Verdict.PENDING,
        [],
    ),
    ("no install record", RestartScope.SERVICES, None, T, [], Verdict.NO_RECORD, []),
    (
        "services: all started after",
        RestartScope.SERVICES,
        T,
        T - H,
        [clock(SVC_TFTP, T + 60), clock(SVC_TOMCAT, T + 60), clock(SVC_CALLMANAGER, T + 60)],
        Verdict.PICKED_UP,
        [],
    ),
    (
        "services: Tomcat started before",
        RestartScope.SERVICES,
        T,
        T - H,
        [clock(SVC_TFTP, T + 60), clock(SVC_TOMCAT, T - 60)],
        Verdict.PENDING,
        [SVC_TOMCAT],
    ),
    (
        "services: a stopped service loads the pack when it starts",
        RestartScope.SERVICES,
        T,
        T - H,
        [clock(SVC_TFTP, None, running=False), clock(SVC_TOMCAT, T + 60)],
        Verdict.PICKED_UP,
        [],
    ),
    (
        "Control Center missing, booted after: proven by the boot",
        RestartScope.SERVICES,
        T,
        T + H,
        [clock(SVC_TOMCAT, None), clock(SVC_CALLMANAGER, None)],
        Verdict.PICKED_UP,
        [],
    ),
    (
        "Control Center missing, booted before: pending",
        RestartScope.SERVICES,
        T,
        T - H,
        [clock(SVC_TOMCAT, None), clock(SVC_CALLMANAGER, None)],
        Verdict.PENDING,
        [SVC_TOMCAT, SVC_CALLMANAGER],
    ),
    (
        "Control Center and boot missing: pending",
        RestartScope.SERVICES,
        T,
        None,
        [clock(SVC_TOMCAT, None)],
        Verdict.PENDING,
        [SVC_TOMCAT],
    ),
    (
        "Control Center for one service only",
        RestartScope.SERVICES,
        T,
        T - H,
        [clock(SVC_TOMCAT, T + 60), clock(SVC_CALLMANAGER, None)],
        Verdict.PENDING,
        [SVC_CALLMANAGER],
    ),
]


@pytest.mark.parametrize(
    ("scope", "installed", "boot", "services", "verdict", "pending"),
    [case[1:] for case in PICKUP_CASES],
    ids=[case[0] for case in PICKUP_CASES],
)
def test_picked_up(scope, installed, boot, services, verdict, pending):
    result = pickup.pickup(scope, installed, boot, services)
    assert result.verdict is verdict
    assert result.pending is (verdict is Verdict.PENDING)
    assert result.pending_services == pending


def test_the_fallback_is_the_boot_and_says_so():
    assert pickup.started_since(T + 5, T) == (T + 5, pickup.StartSource.CONTROL_CENTER)
    assert pickup.started_since(None, T) == (T, pickup.StartSource.BOOT)
    assert pickup.started_since(None, None) == (None, pickup.StartSource.UNKNOWN)
    assert pickup.START_TIME_FALLBACK is pickup.StartSource.BOOT


# ----- node-local stamps to UTC ------------------------------------------------------------


@pytest.mark.parametrize(
    ("local", "zone", "lean", "expected_utc"),
    [
        ("2026-07-01 12:00:00", None, Lean.EARLIER, "2026-07-01 12:00:00"),  # unknown: UTC
        ("2026-07-01 12:00:00", BERLIN, Lean.EARLIER, "2026-07-01 10:00:00"),  # CEST +2
        ("2026-01-15 12:00:00", BERLIN, Lean.EARLIER, "2026-01-15 11:00:00"),  # CET +1
        ("2026-07-01 12:00:00", NEW_YORK, Lean.EARLIER, "2026-07-01 16:00:00"),  # EDT -4
        ("2026-01-15 12:00:00", NEW_YORK, Lean.LATER, "2026-01-15 17:00:00"),  # EST -5
        # autumn: 02:30 happens twice in Berlin on 25 Oct 2026 (CEST, then CET)
        ("2026-10-25 02:30:00", BERLIN, Lean.EARLIER, "2026-10-25 00:30:00"),
        ("2026-10-25 02:30:00", BERLIN, Lean.LATER, "2026-10-25 01:30:00"),
        # autumn in New York, 1 Nov 2026: 01:30 EDT, then 01:30 EST
        ("2026-11-01 01:30:00", NEW_YORK, Lean.EARLIER, "2026-11-01 05:30:00"),
        ("2026-11-01 01:30:00", NEW_YORK, Lean.LATER, "2026-11-01 06:30:00"),
        # spring: 02:30 never happens in Berlin on 29 Mar 2026 (02:00 CET -> 03:00 CEST)
        ("2026-03-29 02:30:00", BERLIN, Lean.EARLIER, "2026-03-29 00:30:00"),
        ("2026-03-29 02:30:00", BERLIN, Lean.LATER, "2026-03-29 01:30:00"),
        (
            "2026-07-01 12:00:00",
            timezone(timedelta(hours=5, minutes=30)),
            Lean.LATER,
            "2026-07-01 06:30:00",
        ),
    ],
)
def test_node_time_converts_local_stamps_to_utc(local, zone, lean, expected_utc):
    converted = pickup.node_time(datetime.fromisoformat(local), zone, lean)
    assert converted.tzinfo is UTC
    assert converted == datetime.fromisoformat(expected_utc).replace(tzinfo=UTC)


def test_node_zone_names():
    assert pickup.node_zone(None) is UTC
    assert pickup.node_zone("Europe/Berlin") == BERLIN
    with pytest.raises(ValueError, match="not a known time zone"):
        pickup.node_zone("Mars/Olympus_Mons")


def test_two_zones_read_the_same_local_stamps_differently():
    """The same history in Berlin and New York: install and boot move together, so the
    verdict holds; their UTC instants are 6 hours apart (what a cross-node or
    orchestrator-clock comparison needs)."""
    history = parse_system_history(
        "11/26/2026 01:30:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Success\n"
        "11/26/2026 03:00:00 | root: Boot 12.5.1.14900-63 Start\n"
    )
    berlin = pickup.install_time(history, PACK, BERLIN)
    new_york = pickup.install_time(history, PACK, NEW_YORK)
    assert berlin == utc("2026-11-26 00:30:00") and new_york == utc("2026-11-26 06:30:00")
    for zone in (BERLIN, NEW_YORK):
        installed = pickup.install_time(history, PACK, zone)
        boot = pickup.last_boot(history, zone)
        assert pickup.pickup(RestartScope.REBOOT, installed, boot).verdict is Verdict.PICKED_UP


def _read(lines: str) -> tuple[float | None, float | None]:
    history = parse_system_history(lines)
    return pickup.install_time(history, PACK, NEW_YORK), pickup.last_boot(history, NEW_YORK)


INSTALL_AT = "11/01/2026 {} | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Success\n"
BOOT_AT = "11/01/2026 {} | root: Boot 12.5.1.14900-63 Start\n"


def test_an_install_alone_in_the_repeated_hour_is_read_as_late_as_it_can_be():
    installed, _ = _read(INSTALL_AT.format("01:50:00"))
    assert installed == utc("2026-11-01 06:50:00")  # the second 01:50 (EST)


def test_the_log_order_tells_a_boot_in_the_repeated_hour_from_one_before_the_install():
    """1 Nov in New York repeats 01:00-02:00. system-history.log is written in time order,
    so a boot line below the install line is after it, whatever its stamp says."""
    # install 01:50, then boot 01:10: only the first 01:50 (EDT) and the second 01:10
    # (EST) keep the order
    installed, boot = _read(INSTALL_AT.format("01:50:00") + BOOT_AT.format("01:10:00"))
    assert installed == utc("2026-11-01 05:50:00") and boot == utc("2026-11-01 06:10:00")
    assert not pickup.pickup(RestartScope.REBOOT, installed, boot).pending
    # install 01:10, then boot 01:50, both ambiguous: read apart, the install late and
    # the boot early would put the boot first; the order keeps it after
    installed, boot = _read(INSTALL_AT.format("01:10:00") + BOOT_AT.format("01:50:00"))
    assert installed is not None and boot is not None and boot > installed
    assert not pickup.pickup(RestartScope.REBOOT, installed, boot).pending
    # a boot line above the install line stays before it: pending
    installed, boot = _read(BOOT_AT.format("01:45:00") + INSTALL_AT.format("01:30:00"))
    assert installed is not None and boot is not None and boot < installed
    assert pickup.pickup(RestartScope.REBOOT, installed, boot).pending


def test_a_clock_stepped_back_outside_dst_is_taken_as_stamped():
    """No DST doubt, but the stamps go backwards (an NTP step): nothing to choose, so each
    stamp is what it says, and a boot stamped before the install is pending."""
    installed, boot = _read(
        INSTALL_AT.replace("11/01", "11/20").format("03:30:00")
        + BOOT_AT.replace("11/01", "11/20").format("03:25:00")
    )
    assert installed == utc("2026-11-20 08:30:00") and boot == utc("2026-11-20 08:25:00")
    assert pickup.pickup(RestartScope.REBOOT, installed, boot).pending


def test_a_restart_across_the_change_is_after_the_install():
    # 00:50 EDT install, 02:10 EST boot: no doubt either way
    history = parse_system_history(
        "11/01/2026 00:50:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Success\n"
        "11/01/2026 02:10:00 | root: Boot 12.5.1.14900-63 Start\n"
    )
    installed = pickup.install_time(history, PACK, NEW_YORK)
    boot = pickup.last_boot(history, NEW_YORK)
    assert boot is not None and installed is not None and boot - installed == 2 * H + 20 * 60
    assert not pickup.pickup(RestartScope.REBOOT, installed, boot).pending


# ----- discovery (what the plan restarts) and the audit agree ------------------------------

SUB_HISTORY = {
    "booted after the install": (
        "11/26/2026 01:30:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Success\n"
        "11/26/2026 03:00:00 | root: Boot 12.5.1.14900-63 Start\n"
    ),
    "installed after the boot": (
        "11/26/2026 01:00:00 | root: Boot 12.5.1.14900-63 Start\n"
        "11/26/2026 03:30:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Success\n"
    ),
    "no boot line": (
        "11/26/2026 03:30:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Success\n"
    ),
    "only another pack after the boot": (
        "11/25/2026 01:30:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Success\n"
        "11/26/2026 01:00:00 | root: Boot 12.5.1.14900-63 Start\n"
        "11/26/2026 03:30:00 | root: Install cmterm-devicepack12.5.1.16000-1.cop.sgn Success\n"
        "11/26/2026 04:30:00 | root: Install cmterm-devicepack12.5.1.17123-1.cop.sgn Failure\n"
    ),
}
CC_START = {"none (Control Center down)": None, "before": "03:15", "after": "04:00"}


@pytest.mark.parametrize("release", ["12.5.1.14900-63", "11.5.1.14900-11"])
@pytest.mark.parametrize("publisher", [False, True])
@pytest.mark.parametrize("zone", [None, "America/New_York"])
@pytest.mark.parametrize("started", list(CC_START))
@pytest.mark.parametrize("story", list(SUB_HISTORY))
def test_discovery_and_audit_agree(story, started, zone, publisher, release):
    """What discovery flags ``pending_restart`` (the plan restarts it) is what the audit
    reports, including with Control Center down (the drift this rule ended)."""
    history = parse_system_history(SUB_HISTORY[story])
    tz = pickup.node_zone(zone)
    local = CC_START[started]
    start = (
        pickup.node_epoch(datetime.fromisoformat(f"2026-11-26 {local}:00"), tz) if local else None
    )
    running = {SVC_TOMCAT, SVC_CALLMANAGER, SVC_TFTP}
    facts = NodeFacts(
        name="n",
        address="10.0.0.1",
        role=Role.PUBLISHER if publisher else Role.SUBSCRIBER,
        release=release,
        runs_callmanager=True,
        runs_tftp=True,
        installed_options=[PACK],
        timezone=zone,
    )
    scope = restart_rule(Release.parse(release)).scope
    planned = restart_pending(facts, history, running, scope, PACK, lambda _: start)

    # the audit's facts, as its gatherer builds them from the same history and StartTime
    audited = NodeFact(
        name="n",
        address="10.0.0.1",
        role=str(facts.role),
        release=release,
        options=[PACK],
        installs=[
            InstallFact(file=i.file, time=i.time, outcome=i.outcome)
            for i in pickup.installs(history, tz)
        ],
        last_boot=pickup.last_boot(history, tz),
        timezone=zone,
        services=[
            ServiceFact(
                name=s,
                state="STARTED",
                start_time=start,
                start_source="control-center" if start is not None else "",
            )
            for s in sorted(running)
        ],
    )
    findings = judge_restarts(
        [audited], PACK, ["n"], Release.parse(release), restart_rule(Release.parse(release))
    )
    flagged = [f for f in findings if f.code.endswith("pending")]
    assert planned is bool(flagged), (planned, [f.message for f in findings])
    if story == "booted after the install":
        assert not planned  # Control Center down no longer forces a restart
    if story in ("installed after the boot", "no boot line") and started != "after":
        assert planned
