from __future__ import annotations

import re

import pytest

from orchestrator.cucm import texts as T
from orchestrator.drivers.ssh import patterns
from orchestrator.drivers.ssh.channel import Channel
from orchestrator.drivers.ssh.dialogs import UNEXPECTED, Dialog, Rule, prompt, run_dialog
from orchestrator.drivers.ssh.errors import (
    CommandFailed,
    CommandTimeout,
    ReplicationCheckRunning,
    SessionClosed,
    UnexpectedPrompt,
)
from orchestrator.drivers.ssh.platform import CucmCli, strip_echo
from orchestrator.drivers.ssh.transport import SshTarget
from orchestrator.drivers.ssh.upgrade import CancelOutcome, InstallOutcome

from . import scripts as S
from .conftest import fixture_text
from .fakes import Close, FakeRaw, In, Key, Out, Step
from .scripts import request

NL = T.CRLF
PROMPT = S.PROMPT
TARGET = SshTarget("10.1.1.10", "admin", "node-pw", "/nonexistent/known_hosts")


def login() -> list[Step]:
    return [
        Out(T.BANNER + PROMPT),
        In("set cli pagination off"),
        Out(T.PAGINATION_OFF + NL + PROMPT),
    ]


def command(cmd: str, output: str) -> list[Step]:
    return [In(cmd), Out(output.replace("\n", NL) + PROMPT)]


def cli_for(script: list[Step], **kwargs: float) -> tuple[CucmCli, FakeRaw]:
    raw = FakeRaw(script)
    cli = CucmCli.over_channel(Channel(raw, host="10.1.1.10"), TARGET, **kwargs)
    cli.login()
    return cli, raw


def test_login_waits_for_prompt_and_turns_pagination_off() -> None:
    cli, raw = cli_for(login())
    assert cli.pagination_off
    assert "Welcome to the Platform Command Line Interface" in cli.banner
    assert raw.typed == ["set cli pagination off"] and not raw.errors


def test_login_timeout_closes_session() -> None:
    raw = FakeRaw([Out("Command Line Interface is starting up, please wait ..."), In("x")])
    cli = CucmCli.over_channel(Channel(raw), TARGET, login_timeout=0.05)
    with pytest.raises(CommandTimeout, match="no admin: prompt"):
        cli.login()
    assert not cli.is_open


def test_run_strips_echo_and_prompt_and_reuses_session() -> None:
    version = fixture_text("show_version_active.txt").split("\n", 1)[1]
    script = [
        *login(),
        *command("show version active", version),
        *command("show myself", fixture_text("show_myself.txt").split("\n", 1)[1]),
    ]
    cli, raw = cli_for(script)
    out = cli.run("show version active")
    assert out.splitlines()[0] == "Active Master Version: 12.5.1.14900-63"
    assert "admin:" not in out
    assert cli.myself().machine_name == "cucmpub"
    assert raw.done and not raw.errors


def test_typed_reads_go_through_parsers() -> None:
    script = [
        *login(),
        *command("show version active", fixture_text("show_version_active.txt").split("\n", 1)[1]),
        *command("utils service list", fixture_text("service_list.txt").split("\n", 1)[1]),
        *command("utils system upgrade status", "Upgrade status: Idle"),
    ]
    cli, raw = cli_for(script)
    assert cli.show_version().master_version == "12.5.1.14900-63"
    svc = cli.service_list().get(T.SVC_TFTP)
    assert svc is not None and svc.state == "STARTED"
    assert cli.upgrade_status().state == "Idle"
    assert raw.done


@pytest.mark.parametrize("failure", [T.COMMAND_FAILED, T.UNKNOWN_COMMAND])
def test_failed_command_raises_with_output(failure: str) -> None:
    cli, _ = cli_for([*login(), *command("show bogus", failure)])
    with pytest.raises(CommandFailed) as info:
        cli.run("show bogus")
    assert info.value.output == failure
    assert not info.value.retryable


def test_command_timeout_closes_session() -> None:
    cli, _ = cli_for([*login(), In("utils slow"), Out("working...")], command_timeout=0.05)
    with pytest.raises(CommandTimeout):
        cli.run("utils slow")
    with pytest.raises(SessionClosed):
        cli.run("show myself")


def test_strip_echo() -> None:
    assert strip_echo("show status\nHost Name : x", "show status") == "Host Name : x"
    assert strip_echo("Host Name : x", "show status") == "Host Name : x"
    assert strip_echo("show status", "show status") == ""


@pytest.mark.parametrize(
    "banner",
    [*T.RESTART_BANNERS.values(), "Appliance is being Restarted ..." + NL],
    ids=["appliance", "service_manager", "appliance_only"],
)
def test_restart_system_answers_after_prompt_and_returns_on_close(banner: str) -> None:
    script = [
        *login(),
        In("utils system restart"),
        Out(T.RESTART_WARNING + T.RESTART_CONFIRM + " "),
        In("yes"),
        Out(banner),
        Close(),  # no "going down" line: the banner alone says the order was taken
    ]
    cli, raw = cli_for(script)
    text = cli.restart_system(confirm_timeout=1, close_timeout=1)
    assert raw.done and not raw.errors
    assert banner.split(NL)[0] in text
    assert not cli.is_open


@pytest.mark.parametrize("name", ["restart_system.txt", "restart_system_12_5.txt"])
def test_restart_banner_of_each_transcript_is_recognised(name: str) -> None:
    _, after = fixture_text(name).split("Enter (yes/no)? yes\n", 1)
    assert patterns.RESTART_BANNER.search(after)
    assert not patterns.RESTART_BANNER.search(T.RESTART_WARNING)  # the warning is no banner


@pytest.mark.parametrize("wording", list(T.UPGRADE_WARNINGS.values()))
def test_every_upgrade_warning_wording_is_recognised(wording: str) -> None:
    assert patterns.UPGRADE_WARNING.search(wording)


@pytest.mark.parametrize("refusal", [T.COMMAND_FAILED, T.ALREADY_IN_PROGRESS])
def test_restart_system_refused_when_prompt_returns(refusal: str) -> None:
    script = [
        *login(),
        In("utils system restart"),
        Out(T.RESTART_WARNING + T.RESTART_CONFIRM + " "),
        In("yes"),
        Out(refusal + NL + PROMPT),
    ]
    cli, _ = cli_for(script)
    with pytest.raises(CommandFailed) as info:
        cli.restart_system(confirm_timeout=1, close_timeout=1)
    assert info.value.reason == refusal
    assert cli.is_open  # back at the prompt: nothing restarted, session still usable


def test_restart_system_close_before_banner_is_an_error() -> None:
    script = [*login(), In("utils system restart"), Out(T.RESTART_WARNING), Close()]
    cli, _ = cli_for(script)
    with pytest.raises(SessionClosed, match="before the restart was confirmed"):
        cli.restart_system(confirm_timeout=1, close_timeout=1)


def test_restart_service_returns_final_state() -> None:
    output = fixture_text("service_restart_tftp.txt").split("\n", 1)[1].rsplit("admin:", 1)[0]
    cli, _ = cli_for([*login(), *command("utils service restart Cisco Tftp", output.rstrip())])
    restart = cli.restart_service(T.SVC_TFTP)
    assert restart.final_state == "STARTED"
    assert restart.states == ["STOPPING", "STARTING", "STARTED"]


def test_restart_service_not_started_raises() -> None:
    output = f"{T.SERVICE_MANAGER_RUNNING}\nCisco Tftp[STOPPING]\nCisco Tftp[STOPPED]"
    cli, _ = cli_for([*login(), *command("utils service restart Cisco Tftp", output)])
    with pytest.raises(CommandFailed, match="ended STOPPED"):
        cli.restart_service(T.SVC_TFTP)


def test_install_cop_through_the_cli_masks_both_passwords() -> None:
    cli, raw = cli_for([*login(), *S.legacy_happy()])
    result = cli.install_cop(request())
    assert result.outcome is InstallOutcome.INSTALLED
    assert cli.is_open  # back at the prompt: the session is reusable
    assert "node-pw" not in result.transcript and S.PASSWORD not in result.transcript
    assert raw.done and not raw.errors


def test_install_cop_timeout_drops_the_session() -> None:
    cli, _ = cli_for([*login(), *S.start(), In("never")])
    result = cli.install_cop(request(prompt_timeout=0.05))
    assert result.outcome is InstallOutcome.TIMEOUT
    assert not cli.is_open


@pytest.mark.parametrize(
    ("printed", "outcome"),
    [
        (T.UPGRADE_CANCELED, CancelOutcome.CANCELED),
        (T.COP_CANNOT_CANCEL, CancelOutcome.NOT_CANCELABLE),
        ("Nothing to do", CancelOutcome.UNKNOWN),
    ],
)
def test_upgrade_cancel(printed: str, outcome: CancelOutcome) -> None:
    cli, raw = cli_for([*login(), *command("utils system upgrade cancel", printed)])
    assert cli.upgrade_cancel(timeout=1) is outcome
    assert raw.done and cli.is_open


def test_runner_stops_when_a_one_shot_prompt_comes_back_later() -> None:
    dialog = Dialog(
        name="t",
        rules=[
            Rule("name", prompt(r"Name:"), "bob"),
            Rule("age", prompt(r"Age:"), "42"),
            Rule("done", re.compile(r"done\n"), outcome="ok"),
        ],
        timeouts={"default": 1},
    )
    raw = FakeRaw([Out("Name: "), In("bob"), Out("Age: "), In("42"), Out("Name: "), In("x")])
    result = run_dialog(Channel(raw), dialog)
    assert result.outcome == UNEXPECTED and "came back" in result.message
    assert raw.typed == ["bob", "42"]


def _runtimestate(name: str) -> str:
    return fixture_text(name).split("\n", 1)[1].rsplit("admin:", 1)[0]


def test_replication_is_read_again_until_the_check_completed() -> None:
    read = "utils dbreplication runtimestate"
    script = [
        *login(),
        *command(read, _runtimestate("dbreplication_in_progress.txt")),
        *command(read, _runtimestate("dbreplication_runtimestate.txt")),
    ]
    cli, raw = cli_for(script)
    status = cli.dbreplication_runtimestate(timeout=5, first_poll=0.01)
    assert raw.done and not raw.errors
    # the in-progress table said "all 2"; the completed one does not
    assert status.status_completed and status.state_of("cucmsub2") == 0


def test_replication_check_never_completing_is_not_judged() -> None:
    in_progress = _runtimestate("dbreplication_in_progress.txt")
    script = [*login(), *command("utils dbreplication runtimestate", in_progress) * 3]
    cli, _ = cli_for(script)
    with pytest.raises(ReplicationCheckRunning, match="212 of 682 tables") as info:
        cli.dbreplication_runtimestate(timeout=0.05, first_poll=0.02)
    assert info.value.retryable and cli.is_open


def test_precheck_reports_a_check_still_running_instead_of_judging_it() -> None:
    from orchestrator.engine.prechecks import PrecheckPolicy, check_replication

    class Gateway:
        def last_boot(self, node: str) -> float:
            return 0.0

        def replication_check(self) -> object:
            raise ReplicationCheckRunning("cucmpub", 300, 212, 682)

    found = check_replication(Gateway(), ["cucmpub"], PrecheckPolicy())  # type: ignore[arg-type]
    (problem,) = found.problems
    assert "still IN PROGRESS (212 of 682 tables checked)" in problem and "COMPLETED" in problem


def test_restart_stops_at_an_unexpected_question_and_stays_usable() -> None:
    script = [
        *login(),
        In("utils system restart"),
        Out(T.RESTART_WARNING + "Continue (y/n)? "),
        Key("\x03"),
        Out("^C" + NL + PROMPT),
        *command("show myself", "Machine Name    : cucmpub"),
    ]
    cli, raw = cli_for(script)
    with pytest.raises(UnexpectedPrompt) as info:
        cli.restart_system(confirm_timeout=3600, close_timeout=3600)
    assert info.value.prompt == "Continue (y/n)?" and "W A R N I N G" in info.value.transcript
    assert cli.is_open and cli.myself().machine_name == "cucmpub"
    assert raw.done and not raw.errors and "yes" not in raw.typed


def test_a_plain_command_stops_at_a_question_instead_of_waiting_for_the_prompt() -> None:
    script = [
        *login(),
        In("utils service restart Cisco Tftp"),
        Out("Are you sure (yes/no)? "),
        Key("\x03"),
        Out("^C" + NL + PROMPT),
    ]
    cli, raw = cli_for(script, command_timeout=3600)
    with pytest.raises(UnexpectedPrompt, match="Are you sure"):
        cli.restart_service("Cisco Tftp")
    assert cli.is_open and raw.done and not raw.errors


def test_file_view_transcript_walked_page_by_page() -> None:
    # a 42-line history in three `file view` pages, pagination off (reference 9.5)
    text = fixture_text("file_view_pages.txt")
    body = text.split("\n", 1)[1].rsplit("admin:", 1)[0]
    pages = re.split(r"(options: [^\n]*:)\n", body)
    script: list[Step] = [*login(), In("file view install system-history.log")]
    expected: list[str] = []
    for chunk, pager in zip(pages[0::2], pages[1::2], strict=False):
        expected += chunk.strip("\n").split("\n")
        last = re.search(r"lines \d+ - (\d+) of (\d+)", pager)
        assert last is not None
        script += [Out(chunk.replace("\n", NL) + pager + "\x1b[K")]
        script += [Key("q" if last.group(1) == last.group(2) else "n"), Out(NL)]
    script += [Out(PROMPT.lstrip(NL))]
    cli, raw = cli_for(script)
    entries = cli.install_history()
    assert raw.done and not raw.errors and raw.typed[-3:] == ["n", "n", "q"]
    assert [e.line for e in entries] == expected and len(expected) == 42


def test_set_session_timeout_transcript_answers_continue() -> None:
    text = fixture_text("set_cli_session_timeout.txt")
    head, _, tail = text.split("\n", 1)[1].partition("Continue (y/n)?y\n")
    script = [
        *login(),
        In("set cli session timeout 65"),
        Out(head.replace("\n", NL) + "Continue (y/n)?"),
        In("y"),
        Out(tail.rsplit("admin:", 1)[0].replace("\n", NL) + PROMPT.lstrip(NL)),
    ]
    cli, raw = cli_for(script)
    assert cli.set_session_timeout(65)
    assert raw.done and not raw.errors and cli.is_open
