from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orchestrator.cucm import pickup, texts
from orchestrator.drivers.ssh import parsers
from orchestrator.drivers.ssh.errors import ParseError

from .conftest import fixture_text


def crlf_ansi(text: str) -> str:
    """What a real PTY delivers: CRLF, and the prompt redrawn after an erase-line."""
    return text.replace("\n", "\r\n").replace("\r\nadmin:", "\r\n\x1b[Kadmin:")


VARIANTS = [
    pytest.param(lambda t: t, id="plain"),
    pytest.param(crlf_ansi, id="crlf-ansi"),
    pytest.param(lambda t: "\n".join("  " + ln + "   " for ln in t.split("\n")), id="spaces"),
]


# -- show version ------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_show_version_active_reference(variant) -> None:
    info = parsers.parse_show_version(variant(fixture_text("show_version_active.txt")))
    assert info.partition == "active"
    assert info.master_version == "12.5.1.14900-63"
    assert info.options == [
        "cmterm-devicepack12.5.1.17123-1.cop",
        "ciscocm.enable-sha512sum-2021-signing-key-v1.0.cop",
    ]


def test_show_version_no_options_and_inactive() -> None:
    text = (
        texts.INACTIVE_MASTER.format(version="15.0.1.10000-1")
        + "\r\n"
        + texts.INACTIVE_OPTIONS
        + "\r\n"
        + texts.NO_OPTIONS
        + "\r\nadmin:"
    )
    info = parsers.parse_show_version(text)
    assert (info.partition, info.master_version, info.options) == (
        "inactive",
        "15.0.1.10000-1",
        [],
    )


def test_show_version_without_master_raises_parse_error() -> None:
    with pytest.raises(ParseError):
        parsers.parse_show_version("Executed command unsuccessfully\n")


# -- utils service list / restart ----------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_service_list_reference(variant) -> None:
    result = parsers.parse_service_list(variant(fixture_text("service_list.txt")))
    assert result.primary_node is True
    assert result.successful is True
    ssh = result.get("System SSH")
    assert ssh is not None and ssh.platform and ssh.state == "STARTED"
    cm = result.get("cisco callmanager")
    assert cm is not None and not cm.platform and cm.state == "STARTED"
    car = result.get("Cisco CAR DB")
    assert car is not None
    assert (car.state, car.reason, car.deliberately_down) == (
        "STOPPED",
        "Commanded Out of Service",
        True,
    )
    dirsync = result.get("Cisco DirSync")
    assert dirsync is not None and dirsync.reason == "Service Not Activated"
    assert len(result.services) == 14
    assert result.get("Cisco Nothing") is None


def test_service_list_from_lab_texts_and_states() -> None:
    text = (
        texts.SERVICE_LIST_HEAD
        + "Cisco Tomcat[STARTING]\r\nCisco CallManager[NOTRUNNING]\r\n"
        + "Primary Node =false\r\n"
        + texts.COMMAND_SUCCESSFUL
        + "\r\n"
    )
    result = parsers.parse_service_list(text)
    assert result.primary_node is False
    tomcat, cm = result.get(texts.SVC_TOMCAT), result.get(texts.SVC_CALLMANAGER)
    assert tomcat is not None and tomcat.state == "STARTING"
    assert cm is not None and cm.state == "NOTRUNNING" and not cm.deliberately_down


@pytest.mark.parametrize("variant", VARIANTS)
def test_service_restart_reference(variant) -> None:
    restart = parsers.parse_service_restart(
        variant(fixture_text("service_restart_tftp.txt")), "Cisco Tftp"
    )
    assert restart.states == ["STOPPING", "STARTING", "STARTED"]
    assert restart.final_state == "STARTED"


def test_service_restart_repeated_lines_collapse_and_other_services_ignored() -> None:
    text = (
        "Cisco Tftp[STOPPING]\nCisco Tftp[STOPPING]\nCisco Tomcat[STARTED]\n"
        "Cisco Tftp[STARTING]\nCisco Tftp[STARTING]\nCisco Tftp[STARTED]\nCisco Tftp[STARTED]\n"
    )
    assert parsers.parse_service_restart(text, "Cisco Tftp").states == [
        "STOPPING",
        "STARTING",
        "STARTED",
    ]
    with pytest.raises(ParseError):
        parsers.parse_service_restart("Service Manager is running\n", "Cisco Tftp")


# -- dbreplication -------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_dbreplication_runtimestate(variant) -> None:
    status = parsers.parse_dbreplication_runtimestate(
        variant(fixture_text("dbreplication_runtimestate.txt"))
    )
    assert [(r.server, r.ip, r.state) for r in status.rows] == [
        ("cucmpub", "10.3.74.11", 2),
        ("cucmsub1", "10.3.74.12", 2),
        ("cucmsub2", "10.3.74.13", 0),
    ]
    pub = status.rows[0]
    assert pub.ping_ms == pytest.approx(0.020)
    assert (pub.db_rpc_dbmon, pub.queue, pub.group_id) == ("Y/Y/Y", "0", "(g_2)")
    assert pub.details == "Setup Completed"
    assert status.rows[2].details == "Initializing"
    assert status.db_version == "ccm12_5_1_14900_63"
    assert status.status_completed is True and not status.still_checking
    assert (status.tables_checked, status.tables_total) == (681, 681)
    assert not status.all_good
    assert status.state_of("cucmsub2") == 0 and status.state_of("10.3.74.12") == 2


@pytest.mark.parametrize("variant", VARIANTS)
def test_dbreplication_check_in_progress_is_not_final(variant) -> None:
    # reference 9.4: while the header says IN PROGRESS the table's states are not final
    status = parsers.parse_dbreplication_runtimestate(
        variant(fixture_text("dbreplication_in_progress.txt"))
    )
    assert status.still_checking and status.status_completed is False
    assert (status.tables_checked, status.tables_total) == (212, 682)
    assert status.all_good  # what a client that does not wait would wrongly believe


def test_dbreplication_check_start_is_read_from_the_header_and_result_file() -> None:
    text = fixture_text("dbreplication_runtimestate.txt")
    status = parsers.parse_dbreplication_runtimestate(text)
    assert status.started_minute == datetime(2026, 11, 28, 16, 9)
    assert status.started_file == datetime(2026, 11, 28, 16, 9, 30)


# CUCM 14 / 15 transcripts word the header differently (field notes)
FIELD_14_IN_PROGRESS = (
    "Server Time: Tue Apr  2 15:20:34 CDT 2024\n\n"
    "Cluster Replication State: Replication status command started at: 2024-04-02-15-19\n"
    "     Replication status command in PROGRESS. Checked 680 tables out of 749\n"
    "     Last Completed Table: applicationuserdevicemap\n"
    "     No Errors or Mismatches found.\n\n"
    "     Use 'file view activelog cm/trace/dbl/sdi/ReplicationStatus.2024_04_02_15_19_23.out' "
    "to see the details\n"
)
FIELD_15_COMPLETED = """
Cluster Replication State: Replication status command started at: 2026-01-02-16-18
     Replication status command COMPLETED. Checked 754 tables out of 754
"""


def test_dbreplication_field_wordings_of_14_and_15() -> None:
    running = parsers.parse_dbreplication_runtimestate(FIELD_14_IN_PROGRESS)
    assert running.still_checking and (running.tables_checked, running.tables_total) == (680, 749)
    assert running.started_file == datetime(2024, 4, 2, 15, 19, 23)
    done = parsers.parse_dbreplication_runtimestate(FIELD_15_COMPLETED)
    assert done.status_completed and (done.tables_checked, done.tables_total) == (754, 754)
    assert done.started_minute == datetime(2026, 1, 2, 16, 18) and done.started_file is None


def test_dbreplication_status_names_the_new_checks_result_file() -> None:
    text = (
        "admin:utils dbreplication status\n\n\n"
        "Replication status check is now running in background.\n"
        "Use command 'utils dbreplication runtimestate' to check its progress\n\n"
        "The final output will be in file "
        "cm/trace/dbl/sdi/ReplicationStatus.2024_04_02_15_19_23.out\n\n"
        'Please use "file view activelog cm/trace/dbl/sdi/ReplicationStatus.2024_04_02_15_19_23'
        '.out " command to see the output\n'
    )
    started = parsers.parse_dbreplication_status(text)
    assert started.started_file == datetime(2024, 4, 2, 15, 19, 23)
    with pytest.raises(ParseError):
        parsers.parse_dbreplication_status("Executed command unsuccessfully")


def test_dbreplication_completed_needs_every_table() -> None:
    text = fixture_text("dbreplication_runtimestate.txt")
    short = text.replace(
        "COMPLETED 681 tables checked out of 681", "COMPLETED 680 tables checked out of 681"
    )
    assert parsers.parse_dbreplication_runtimestate(short).still_checking
    no_header = "\n".join(ln for ln in text.splitlines() if "status command" not in ln)
    status = parsers.parse_dbreplication_runtimestate(no_header)
    assert status.status_completed is None and not status.still_checking


def test_dbreplication_tolerates_failed_ping_and_squeezed_columns() -> None:
    text = (
        "SERVER-NAME IP ADDRESS (msec) DbMon? QUEUE Group ID (RTMT) & Details\n"
        "cucmpub 10.3.74.11 0.02 Y/Y/Y 0 (g_2) (2) Setup Completed\n"
        "cucmsub1   10.3.74.12   Failed   N/N/N   --   (g_3)   (4) Setup Failed\n"
    )
    status = parsers.parse_dbreplication_runtimestate(text)
    assert [(r.server, r.state, r.ping_ms) for r in status.rows] == [
        ("cucmpub", 2, 0.02),
        ("cucmsub1", 4, None),
    ]
    assert not status.all_good
    all_good = parsers.parse_dbreplication_runtimestate(text.replace("(4) Setup Failed", "(2) x"))
    assert all_good.all_good


# -- show network cluster ------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_network_cluster_reference(variant) -> None:
    cluster = parsers.parse_network_cluster(variant(fixture_text("network_cluster.txt")))
    assert [(n.ip, n.hostname, n.role, n.db_role) for n in cluster.nodes] == [
        ("10.3.74.11", "cucmpub", "Publisher", "DBPub"),
        ("10.3.74.12", "cucmsub1", "Subscriber", "DBSub"),
    ]
    assert cluster.nodes[0].is_publisher and not cluster.nodes[1].is_publisher
    assert cluster.nodes[1].auth.startswith("authenticated using TCP since")
    assert cluster.nodes[0].fqdn == "cucmpub.lab.example"
    assert cluster.processnodes == ["cucmpub.lab.example", "10.3.74.12"]


# -- show status -----------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_show_status(variant) -> None:
    status = parsers.parse_show_status(variant(fixture_text("show_status.txt")))
    assert status.hostname == "cucmpub"
    assert status.product_version == "12.5.1.14900-63"
    assert status.uptime_days == 72
    assert status.uptime is not None and "load average" in status.uptime
    assert [(d.name, d.percent) for d in status.disks] == [
        ("active", 80),
        ("inactive", 6),
        ("logging", 58),
    ]
    active = status.disk("active")
    assert active is not None and active.total_kb == 19805412 and active.free_kb == 3927508


def test_show_status_uptime_under_a_day_and_percent_only_rows() -> None:
    status = parsers.parse_show_status(
        " 09:01:02 up 37 min,  0 users,  load average: 1.2, 1.0, 0.9\nDisk/logging (91%)\n"
    )
    assert status.uptime_days == 0
    assert status.disks[0].percent == 91 and status.disks[0].total_kb is None
    assert status.hostname is None


# -- ntp ----------------------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_ntp_synchronised(variant) -> None:
    ntp = parsers.parse_ntp_status(variant(fixture_text("ntp_status.txt")))
    assert (ntp.synchronised, ntp.server, ntp.stratum) == (True, "10.3.74.1", 3)


def test_ntp_from_lab_text_and_unsynchronised() -> None:
    text = texts.NTP_SYNCHRONISED.format(server="192.0.2.1", stratum=2)
    assert parsers.parse_ntp_status(text).stratum == 2
    ntp = parsers.parse_ntp_status("ntpd (pid 1) is running...\nunsynchronised\n  polling\n")
    assert ntp == parsers.NtpStatus(False)


# -- system-history.log ---------------------------------------------------------------------


@pytest.mark.parametrize("variant", VARIANTS)
def test_system_history(variant) -> None:
    entries = parsers.parse_system_history(variant(fixture_text("system_history.txt")))
    assert [(e.kind, e.subject, e.outcome) for e in entries] == [
        ("install", "12.5.1.14900-63", "Success"),
        ("boot", "12.5.1.14900-63", "Start"),
        ("install", "cmterm-devicepack12.5.1.17123-1.cop.sgn", "Success"),
        ("boot", "12.5.1.14900-63", "Start"),
    ]
    installed = pickup.install_time(entries, "cmterm-devicepack12.5.1.17123-1.cop")
    last_boot = pickup.last_boot(entries)
    assert installed is not None and last_boot is not None
    assert installed == datetime(2026, 11, 28, 1, 12, 40, tzinfo=UTC).timestamp()
    assert last_boot > installed


def test_system_history_lab_format() -> None:
    stamp = datetime(2026, 11, 28, 1, 12, 40).strftime(texts.HISTORY_STAMP_FORMAT)
    text = texts.HISTORY_INSTALL.format(stamp=stamp, file="x.cop.sgn", outcome="Failure")
    (entry,) = parsers.parse_system_history(text)
    assert (entry.kind, entry.subject, entry.outcome) == ("install", "x.cop.sgn", "Failure")


# -- upgrade status / show myself / builds ------------------------------------------------------


def test_upgrade_status_failed_and_idle() -> None:
    failed = parsers.parse_upgrade_status(
        "Upgrade status: Failed\r\nUpgrade file: cmterm-x.cop.sgn\r\n"
        "Upgrade log: install_log_2026-11-28.01.10.45.log\r\nadmin:"
    )
    assert failed == parsers.UpgradeStatus(
        "Failed", "cmterm-x.cop.sgn", "install_log_2026-11-28.01.10.45.log"
    )
    assert not failed.busy
    idle = parsers.parse_upgrade_status("Upgrade status:  Idle  \n")
    assert idle.state == "Idle" and idle.file is None and not idle.busy
    assert parsers.parse_upgrade_status("Upgrade status: Running\n").busy
    with pytest.raises(ParseError):
        parsers.parse_upgrade_status("No valid command entered\n")


def test_show_myself() -> None:
    me = parsers.parse_show_myself(fixture_text("show_myself.txt"))
    assert (me.machine_name, me.account_name, me.privilege_level) == (
        "cucmpub",
        "administrator",
        4,
    )


@pytest.mark.parametrize(
    ("text", "build"),
    [
        ("Product Ver : 12.5.1.14900-63", "12.5.1.14900-63"),
        ("version 15.0.1.10000(1) x", "15.0.1.10000(1)"),
        ("15.0.1.12900-234", "15.0.1.12900-234"),
        ("nothing here", None),
    ],
)
def test_find_build(text: str, build: str | None) -> None:
    assert parsers.find_build(text) == build


# -- robustness --------------------------------------------------------------------------------

PARSERS = [
    parsers.parse_show_version,
    parsers.parse_service_list,
    lambda t: parsers.parse_service_restart(t, "Cisco Tftp"),
    parsers.parse_dbreplication_runtimestate,
    parsers.parse_network_cluster,
    parsers.parse_show_status,
    parsers.parse_ntp_status,
    parsers.parse_system_history,
    parsers.parse_upgrade_status,
    parsers.parse_show_myself,
]

# Text built from CLI-ish pieces finds more edge cases than uniform random text.
_PIECES = st.sampled_from(
    [
        "admin:",
        "\r\n",
        "\n",
        "\x1b[K",
        "\x1b[1m",
        "[STARTED]",
        "(2) ",
        "10.3.74.11 ",
        "Disk/active ",
        "(58%)",
        "Upgrade status:",
        "Active Master Version:",
        "Installed Software Options:",
        "11/28/2026 01:12:40 | root: ",
        "Install ",
        "synchronised to NTP server (x) at stratum ",
        "up 3 days, load average",
        "Publisher ",
        ":",
        " ",
    ]
)
_TEXT = st.one_of(
    st.text(max_size=300), st.lists(st.one_of(_PIECES, st.text(max_size=5))).map("".join)
)


@settings(max_examples=150, deadline=None)
@given(text=_TEXT)
def test_parsers_never_raise_anything_but_parse_error(text: str) -> None:
    for parse in PARSERS:
        try:
            result = parse(text)
        except ParseError as exc:
            assert exc.text == text
        else:
            assert result is not None


def test_dbreplication_on_a_single_node_cluster() -> None:
    status = parsers.parse_dbreplication_runtimestate(fixture_text("dbreplication_single_node.txt"))
    assert status.single_active_node and status.rows == [] and not status.all_good
    assert not parsers.parse_dbreplication_runtimestate(
        fixture_text("dbreplication_runtimestate.txt")
    ).single_active_node


def test_backup_status_of_a_successful_backup() -> None:
    status = parsers.parse_backup_status(fixture_text("drs_status_backup.txt"))
    assert status.available and status.succeeded
    assert status.stamp == datetime(2026, 11, 29, 2, 0, 1)  # node-local, no zone
    assert status.percent == 100


def test_backup_status_without_any_backup() -> None:
    status = parsers.parse_backup_status(fixture_text("drs_status_backup_none.txt"))
    assert not status.available and not status.succeeded and status.stamp is None


def test_backup_status_failed_and_unreadable() -> None:
    failed = parsers.parse_backup_status("Status: ERROR :Backup Failed...\nTar Filename: x.tar\n")
    assert failed.available and not failed.succeeded and failed.stamp is None
    with pytest.raises(ParseError):
        parsers.parse_backup_status("admin:utils disaster_recovery status backup\nadmin:")


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        (None, "America/New_York"),
        ("Current timezone: Europe/Berlin\n", "Europe/Berlin"),
        ("Time Zone : Coordinated Universal Time (Etc/UTC)\n", "Etc/UTC"),
        ("Current timezone:   America/Argentina/Buenos_Aires\n", "America/Argentina/Buenos_Aires"),
        ("Current timezone: UTC\n", "UTC"),
        ("Current timezone: Central European Time\n", None),
    ],
)
def test_timezone_config(text, zone) -> None:
    text = text if text is not None else fixture_text("timezone_config.txt")
    assert parsers.parse_timezone_config(text) == zone
