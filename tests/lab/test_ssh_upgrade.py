"""`utils system upgrade` on lab nodes: the dialogs, the real SFTP fetch, faults, errors."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

import pytest

from orchestrator.cucm import texts
from orchestrator.lab.config import FaultKind, FaultSpec, Rules

from .conftest import MENU_11, MENU_12, PACK, Cli, LabHandle, give_source, initiate_11, node

MODERN = "12.5.1.14900-63"


def md5_colons(lab: LabHandle, name: str = PACK) -> str:
    md5 = hashlib.md5((lab.cop_dir / name).read_bytes()).hexdigest()
    return ":".join(md5[i : i + 2] for i in range(0, 32, 2))


def test_install_dialog_11x_end_to_end(lab: LabHandle) -> None:
    cli = lab.login("cucmpub")
    head = initiate_11(cli, lab)
    assert texts.UPGRADE_WARNING_EXITING in head and "3) Local DVD/CD" in head  # 11.5 wording
    assert "4) Local Image" not in head and texts.UPGRADE_READINESS_WARNING not in head
    listing = cli.answer('Please select an option (1 - 1 or "q" ):', "1")
    assert f'Available options and upgrades in "{lab.world.sftp_endpoint[0]}:/cop":' in listing
    assert f"1) {PACK}" in listing
    details = cli.answer("Start installation (yes/no):", "maybe")
    assert f"File checksum: {md5_colons(lab)}" in details
    assert "File version: 12.5.1.17123-1" in details
    assert f"Downloaded: {PACK}" in details
    # a fixed 8 stars on Enter, nothing per keystroke: the length does not show
    assert "Password: ********\r\n" in cli.buffer and "*" * 9 not in cli.buffer
    assert "lab-sftp-secret" not in cli.buffer
    assert "Downloaded 52 MB.\r\n" in details  # the pack's size_mb, not the lab file's
    cli.answer("Start installation (yes/no):", "yes")  # an invalid answer re-prompts
    done = cli.prompt(timeout=10)
    assert "The upgrade log is install_log_" in done
    assert "Upgrading the system.  Please wait..." in done
    assert f"Successfully installed {PACK}" in done
    assert "cmterm-devicepack12.5.1.17123-1.cop\r\n" in cli.run("show version active")
    assert f"root: Install {PACK} Success" in cli.run("file view install system-history.log")
    status = cli.run("utils system upgrade status")
    assert "Upgrade status: Completed" in status and f"Upgrade file: {PACK}" in status
    # a second install: defaults remembered, nothing new to offer
    cli.send("utils system upgrade initiate\r")
    cli.answer(MENU_11, "1")
    cli.answer("Directory [/cop]:", "")
    cli.answer(f"Server [{lab.world.sftp_endpoint[0]}]:", "")
    cli.answer("User Name:", "copuser")
    cli.answer("Password:", "lab-sftp-secret")
    cli.answer("Please enter SMTP Host Server (optional):", "")
    assert texts.ERR_NO_VALID_OPTIONS in cli.prompt()


def test_answering_no_installs_nothing(lab: LabHandle) -> None:
    cli = lab.login("cucmsub1")
    initiate_11(cli, lab)
    cli.answer('Please select an option (1 - 1 or "q" ):', "1")
    cli.answer("Start installation (yes/no):", "no")
    cli.prompt()
    assert lab.world.nodes["cucmsub1"].upgrade.status == "Idle"
    assert "No Installed Software Options Found." in cli.run("show version active")
    assert "Upgrade status: Idle" in cli.run("utils system upgrade status")


def test_12_5_publisher_then_subscriber_with_publisher_credentials(
    make_lab: Callable[..., LabHandle],
) -> None:
    lab = make_lab(release=MODERN)
    pub = lab.login("cucmpub")
    pub.send("utils system upgrade initiate\r")
    head = pub.answer(MENU_12, "1")
    assert texts.UPGRADE_READINESS_WARNING in head and "4) Local Image <None>" in head
    assert texts.USE_PUBLISHER_CREDENTIALS not in head
    give_source(pub, lab)
    pub.answer("Please enter SMTP Host Server (optional):", "")
    pub.answer("Continue with upgrade after download (yes/no):", "no")
    pub.answer("Switch-version server after upgrade [valid only for ISO] (yes/no):", "no")
    pub.answer('Please select an option (1 - 1 or "q" ):', "1")
    details = pub.answer("Start installation (yes/no):", "yes")
    assert f"File checksum: {md5_colons(lab)}" in details
    assert f"Successfully installed {PACK}" in pub.prompt(timeout=10)
    assert lab.world.publisher.upgrade.source is not None

    sub = lab.login("cucmsub1")
    sub.send("utils system upgrade initiate\r")
    sub.answer(texts.USE_PUBLISHER_CREDENTIALS, "")  # Enter takes the [yes] default
    sub.answer(MENU_12, "1")
    sub.answer("Please enter SMTP Host Server (optional):", "")
    sub.answer("Continue with upgrade after download (yes/no):", "yes")
    sub.answer("Switch-version server after upgrade [valid only for ISO] (yes/no):", "no")
    sub.answer('Please select an option (1 - 1 or "q" ):', "1")
    done = sub.prompt(timeout=10)
    assert f"Successfully installed {PACK}" in done
    assert "File checksum" not in done and "Start installation" not in done
    assert "Directory" not in sub.buffer and "Password" not in sub.buffer


def test_assume_control_of_a_stale_wizard(make_lab: Callable[..., LabHandle]) -> None:
    stale = FaultSpec(kind=FaultKind.STALE_UPGRADE_WIZARD, node="cucmpub")
    lab = make_lab(faults=[stale])
    cli = lab.login("cucmpub")
    cli.send("utils system upgrade initiate\r")
    assert texts.ANOTHER_SESSION in cli.answer(texts.ASSUME_CONTROL, "no")
    cli.prompt()
    cli.send("utils system upgrade initiate\r")
    cli.answer(texts.ASSUME_CONTROL, "yes")
    cli.answer(MENU_11, "q")
    cli.prompt()
    # after quitting, the wizard is free: no question this time
    cli.send("utils system upgrade initiate\r")
    assert texts.ANOTHER_SESSION not in cli.answer(MENU_11, "q")
    cli.prompt()


def test_cancel_clears_a_stale_wizard_and_a_running_cop_cannot_be_canceled(
    make_lab: Callable[..., LabHandle],
) -> None:
    stale = FaultSpec(kind=FaultKind.STALE_UPGRADE_WIZARD, node="cucmpub")
    lab = make_lab(faults=[stale], timing={"install_seconds": 0.6})
    other = lab.login("cucmpub")
    assert texts.UPGRADE_CANCELED in other.run("utils system upgrade cancel")
    cli = lab.login("cucmpub")
    initiate_11(cli, lab)  # no Assume control question any more
    cli.answer('Please select an option (1 - 1 or "q" ):', "1")
    cli.answer("Start installation (yes/no):", "yes")
    cli.read_until(texts.UPGRADING)
    assert texts.COP_CANNOT_CANCEL in other.run("utils system upgrade cancel")
    assert texts.ALREADY_IN_PROGRESS in other.run("utils system upgrade initiate")
    assert "Upgrade status: Running" in other.run("utils system upgrade status")
    assert texts.ALREADY_IN_PROGRESS in other.run("utils system restart")
    assert f"Successfully installed {PACK}" in cli.prompt(timeout=10)


def _error_lab(make_lab: Callable[..., LabHandle], **config: object) -> tuple[LabHandle, Cli]:
    lab = make_lab(**config)
    (lab.cop_dir / "cmterm-devicepack15.0.1.15031-2.cop.sha512").write_bytes(b"x" * 1000)
    (lab.cop_dir / "notes.txt").write_text("not a COP")
    return lab, lab.login("cucmsub1")


@pytest.mark.parametrize(
    ("source", "error"),
    [
        ({"password": "wrong"}, texts.ERR_BAD_CREDENTIALS),
        ({"directory": "/nowhere"}, texts.ERR_BAD_DIRECTORY),
        ({"directory": "/empty"}, texts.ERR_NO_VALID_OPTIONS),
        ({"server": "no-such-host.invalid"}, texts.ERR_SERVER_UNREACHABLE),
    ],
)
def test_source_errors(
    make_lab: Callable[..., LabHandle], source: dict[str, str], error: str
) -> None:
    lab, cli = _error_lab(make_lab)
    initiate_11(cli, lab, **source)
    out = cli.prompt()
    assert error in out and "Available options" not in out


def test_sftp_server_down_is_unreachable_after_the_delay(
    make_lab: Callable[..., LabHandle],
) -> None:
    lab, cli = _error_lab(make_lab, timing={"sftp_unreachable_seconds": 0.5})
    lab.sftp.stop()  # connection refused from now on
    initiate_11(cli, lab)
    before = len(cli.buffer)
    out = cli.read_until(texts.ERR_SERVER_UNREACHABLE)
    assert texts.CHECKING in out
    assert len(cli.buffer) > before


def test_listing_skips_other_files_and_sha512_is_invalid_on_old_release(
    make_lab: Callable[..., LabHandle],
) -> None:
    lab, cli = _error_lab(make_lab)
    initiate_11(cli, lab)
    listing = cli.answer('Please select an option (1 - 2 or "q" ):', "q")
    assert "1) cmterm-devicepack12.5.1.17123-1.cop.sgn" in listing
    assert "2) cmterm-devicepack15.0.1.15031-2.cop.sha512" in listing
    assert "notes.txt" not in listing
    cli.send("utils system upgrade initiate\r")
    cli.answer(MENU_11, "1")
    cli.answer("Directory [/cop]:", "")
    cli.answer(f"Server [{lab.world.sftp_endpoint[0]}]:", "")
    cli.answer("User Name:", "copuser")
    cli.answer("Password:", "lab-sftp-secret")
    cli.answer("Please enter SMTP Host Server (optional):", "")
    cli.answer('Please select an option (1 - 2 or "q" ):', "2")
    assert texts.ERR_INVALID_FILE in cli.prompt()


@pytest.mark.parametrize(
    "config",
    [
        {"faults": [FaultSpec(kind=FaultKind.DISK_FULL, node="cucmsub1")]},
        {"nodes": [node("cucmpub", "publisher"), node("cucmsub1", common_free_mb=0)]},
    ],
)
def test_disk_space(make_lab: Callable[..., LabHandle], config: dict[str, object]) -> None:
    lab, cli = _error_lab(make_lab, **config)
    initiate_11(cli, lab)
    cli.answer('Please select an option (1 - 2 or "q" ):', "2")
    assert texts.ERR_DISK_SPACE in cli.prompt()
    assert lab.world.nodes["cucmsub1"].upgrade.status == "Idle"


@pytest.mark.parametrize("survives", [True, False])
def test_ssh_drop_during_install(make_lab: Callable[..., LabHandle], survives: bool) -> None:
    drop = FaultSpec(kind=FaultKind.SSH_DROP_DURING_INSTALL, node="cucmsub1", count=1)
    lab = make_lab(faults=[drop], rules=Rules(install_survives_disconnect=survives))
    cli = lab.login("cucmsub1")
    initiate_11(cli, lab)
    cli.answer('Please select an option (1 - 1 or "q" ):', "1")
    cli.answer("Start installation (yes/no):", "yes")
    assert cli.wait_closed()
    assert "Upgrading the system.  Please wait..." in cli.buffer
    sub = lab.world.nodes["cucmsub1"]
    assert lab.world.wait_for(lambda: sub.upgrade.status != "Running", 5)
    assert sub.upgrade.status == ("Completed" if survives else "Failed")
    again = lab.login("cucmsub1")
    expected = "Completed" if survives else "Failed"
    assert f"Upgrade status: {expected}" in again.run("utils system upgrade status")
    if not survives:  # the framework is stuck until the node reboots (reference 9.5)
        assert lab.world.events.select("upgrade_framework_stuck", "cucmsub1")
        assert texts.ALREADY_IN_PROGRESS in again.run("utils system upgrade initiate")
        assert texts.COP_CANNOT_CANCEL in again.run("utils system upgrade cancel")
        lab.world.restart_node("cucmsub1")
        assert lab.world.wait_for(lambda: sub.phase == "down", 5)
        assert lab.world.wait_for(lambda: sub.phase == "up", 5)
        assert not sub.upgrade.stuck


def test_cautious_default_an_install_does_not_survive_its_session() -> None:
    assert Rules().install_survives_disconnect is False


def test_idle_cli_session_ends_after_the_session_timeout(
    make_lab: Callable[..., LabHandle],
) -> None:
    # 30 minutes (reference 1) scaled: a CLI minute lasts 0.02 s here
    lab = make_lab(timing={"cli_minute_seconds": 0.02})
    idle = lab.login("cucmpub")
    assert idle.wait_closed(timeout=3)
    assert texts.SESSION_TIMED_OUT in idle.buffer
    [event] = lab.world.events.select("cli_session_timed_out", "cucmpub")
    assert event.data["idle"] >= 0.6
    # raised for new sessions: after Continue (y/n)? y, a new session outlasts 30 minutes
    cli = lab.login("cucmpub")
    cli.send("set cli session timeout 200\r")
    cli.answer(texts.SESSION_TIMEOUT_CONTINUE, "y")
    cli.prompt()
    longer = lab.login("cucmpub")
    assert "CLI session timeout: 200 minutes" in longer.run("show cli session timeout")
    assert not longer.wait_closed(timeout=1.5)  # 75 "minutes" later, still open


def test_a_live_session_holds_the_wizard_until_another_assumes_control(lab: LabHandle) -> None:
    first = lab.login("cucmsub1")
    first.send("utils system upgrade initiate\r")
    first.read_until(re.escape(MENU_11))
    second = lab.login("cucmsub1")
    second.send("utils system upgrade initiate\r")
    assert texts.ANOTHER_SESSION in second.answer(texts.ASSUME_CONTROL, "yes")
    second.read_until(re.escape(MENU_11))
    first.send("1\r")
    assert texts.UPGRADE_CANCELED in first.prompt()  # the displaced dialog ends
    # a holder that disconnects frees the wizard
    second.close()
    upgrade = lab.world.nodes["cucmsub1"].upgrade
    assert lab.world.wait_for(lambda: upgrade.owner is None, 5)
    third = lab.login("cucmsub1")
    third.send("utils system upgrade initiate\r")
    assert texts.ANOTHER_SESSION not in third.answer(MENU_11, "q")


LOCALE = "cm-locale-de_DE-12.5.1.1000-1.cop.sgn"


def test_a_locale_cop_installs_lists_and_is_in_the_history(lab: LabHandle) -> None:
    """The lab installs COPs of any kind (not only its device packs): listed in
    show version active, with its install history line."""
    (lab.cop_dir / LOCALE).write_bytes(b"locale" * 2000)
    cli = lab.login("cucmpub")
    initiate_11(cli, lab)
    listing = cli.answer('Please select an option (1 - 2 or "q" ):', "1")
    assert f"1) {LOCALE}" in listing and f"2) {PACK}" in listing  # sorted, both offered
    details = cli.answer("Start installation (yes/no):", "yes")
    assert f"File checksum: {md5_colons(lab, LOCALE)}" in details
    assert "File version: 12.5.1.1000-1" in details
    assert f"Successfully installed {LOCALE}" in cli.prompt(timeout=10)
    assert "cm-locale-de_DE-12.5.1.1000-1.cop\r\n" in cli.run("show version active")
    assert f"root: Install {LOCALE} Success" in cli.run("file view install system-history.log")
