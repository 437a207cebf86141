from __future__ import annotations

import pytest

from orchestrator.cucm import texts as T
from orchestrator.drivers.ssh.channel import Channel
from orchestrator.drivers.ssh.dialogs import run_dialog
from orchestrator.drivers.ssh.upgrade import (
    ERROR_TEXTS,
    CopInstallRequest,
    InstallOutcome,
    WizardProbe,
    install_cop_dialog,
    install_result,
    md5_key,
    wizard_probe_dialog,
)

from . import scripts as S
from .fakes import Close, FakeRaw, In, Key, Out, Step
from .scripts import request


def play(script: list[Step], req: CopInstallRequest | None = None, chunk: int | None = None):
    req = req or request()
    raw = FakeRaw(script, chunk=chunk)
    phases: list[str] = []
    result = run_dialog(
        Channel(raw),
        install_cop_dialog(req),
        command="utils system upgrade initiate",
        progress=phases.append,
        secrets=[S.PASSWORD],
    )
    return install_result(req, result), raw, phases


def assert_script_followed(raw: FakeRaw) -> None:
    assert not raw.errors, raw.errors
    assert raw.done, f"script not finished: {list(raw.steps)[:3]}"


@pytest.mark.parametrize("chunk", [None, 7])
def test_legacy_11x_happy_path(chunk: int | None) -> None:
    result, raw, phases = play(S.legacy_happy(), chunk=chunk)
    assert_script_followed(raw)
    assert result.outcome is InstallOutcome.INSTALLED and result.ok
    assert result.message == f"Successfully installed {S.FILE}"
    assert result.checksum == S.MD5 and result.checksum_ok is True
    assert result.file_version == "12.5.1.17123-1"
    assert result.upgrade_log == "install_log_2026-11-28.01.10.45.log"
    assert result.at_prompt
    assert phases == ["checking", "downloading", "checksum", "installing"]
    assert raw.typed == [
        "utils system upgrade initiate",
        "1",
        S.DIRECTORY,
        S.SERVER,
        S.USER,
        S.PASSWORD,
        "",
        "1",
        "yes",
    ]


def test_modern_12_5_subscriber_uses_our_source_and_checks_checksum() -> None:
    result, raw, _ = play(S.modern_subscriber_happy())
    assert_script_followed(raw)
    assert result.outcome is InstallOutcome.INSTALLED
    # publisher creds "no", then continue-after-download "no", switch-version "no"
    assert raw.typed[1] == "no"
    assert raw.typed[8:10] == ["no", "no"]
    assert raw.typed[10] == "2"  # our file is the 2nd in the list


def test_modern_subscriber_with_publisher_credentials_skips_source_prompts() -> None:
    script: list[Step] = [
        *S.start(modern=True, subscriber=False),
        S.ask(T.USE_PUBLISHER_CREDENTIALS),
        In("yes"),
        S.ask(T.CONTINUE_AFTER_DOWNLOAD),
        In("no"),
        S.ask(T.SWITCH_VERSION),
        In("no"),
        *S.file_list([S.FILE]),
        In("1"),
        *S.download(),
        *S.install(),
    ]
    result, raw, _ = play(script, request(use_publisher_credentials=True))
    assert_script_followed(raw)
    assert result.ok


def test_assume_control_then_happy_only_when_opted_in() -> None:
    script = S.legacy_happy()
    script[2:2] = [Out(T.ANOTHER_SESSION + S.NL), S.ask(T.ASSUME_CONTROL), In("yes")]
    result, raw, _ = play(script, request(assume_control=True))
    assert_script_followed(raw)
    assert result.ok and result.took_over_wizard


def test_happy_install_took_nothing_over() -> None:
    result, raw, _ = play(S.legacy_happy(), request(assume_control=True))
    assert_script_followed(raw)
    assert result.ok and not result.took_over_wizard


@pytest.mark.parametrize("req", [request(), request(assume_control=False)])
def test_assume_control_refused_by_default(req: CopInstallRequest) -> None:
    script: list[Step] = [
        *S.start(),
        Out(T.ANOTHER_SESSION + S.NL),
        S.ask(T.ASSUME_CONTROL),
        In("no"),
        Out(S.PROMPT),
    ]
    result, raw, _ = play(script, req)
    assert_script_followed(raw)
    assert result.outcome is InstallOutcome.LOCKED and result.at_prompt
    assert not result.took_over_wizard


def probe(script: list[Step]) -> tuple[str, FakeRaw]:
    raw = FakeRaw(script)
    result = run_dialog(
        Channel(raw), wizard_probe_dialog(1.0), command="utils system upgrade initiate"
    )
    return result.outcome, raw


def test_probe_answers_no_to_assume_control() -> None:
    outcome, raw = probe(
        [
            *S.start(),
            Out(T.ANOTHER_SESSION + S.NL),
            S.ask(T.ASSUME_CONTROL),
            In("no"),
            Out(S.PROMPT),
        ]
    )
    assert_script_followed(raw)
    assert outcome == WizardProbe.HELD and raw.typed[-1] == "no"


@pytest.mark.parametrize(("modern", "subscriber"), [(False, False), (True, True)])
def test_probe_quits_a_free_wizard_at_the_source_menu(modern: bool, subscriber: bool) -> None:
    outcome, raw = probe(
        [*S.start(modern, subscriber), *S.source_menu(modern), In("q"), Out(S.PROMPT)]
    )
    assert_script_followed(raw)
    assert outcome == WizardProbe.FREE and raw.typed[-1] == "q"


def test_probe_reports_an_upgrade_in_progress() -> None:
    outcome, raw = probe(
        [In("utils system upgrade initiate"), Out(T.ALREADY_IN_PROGRESS + S.NL), Out(S.PROMPT)]
    )
    assert_script_followed(raw)
    assert outcome == WizardProbe.IN_PROGRESS


def test_remembered_defaults_still_get_our_values() -> None:
    script = S.legacy_happy()
    i = script.index(S.ask(T.DIRECTORY))
    script[i] = S.ask("Directory [/old]:")
    script[i + 2] = S.ask("Server (10.9.9.9):")
    result, raw, _ = play(script)
    assert_script_followed(raw)
    assert result.ok
    assert raw.typed[2:4] == [S.DIRECTORY, S.SERVER]


def test_answer_retyped_when_the_prompt_comes_back() -> None:
    script = S.legacy_happy()
    i = script.index(In("yes"))
    # the first "yes" is swallowed (type-ahead lost) and the prompt is printed again
    script[i:i] = [In("yes", echo=""), S.ask(T.START_INSTALLATION)]
    result, raw, _ = play(script)
    assert_script_followed(raw)
    assert result.ok
    assert raw.typed.count("yes") == 2


def test_prompt_repeating_forever_gives_up() -> None:
    script = S.legacy_happy()
    i = script.index(S.ask(T.DIRECTORY))
    script[i + 1 :] = [step for _ in range(4) for step in (In(S.DIRECTORY), S.ask(T.DIRECTORY))]
    result, raw, _ = play(script, request(prompt_timeout=0.2))
    assert not raw.errors
    assert result.outcome is InstallOutcome.UNEXPECTED
    assert "repeated" in result.message


def test_checksum_mismatch_answers_no() -> None:
    script = S.legacy_happy()
    i = script.index(In("yes"))
    script[i:] = [In("no"), Out(S.PROMPT)]
    result, raw, _ = play(script, request(expected_md5="00" * 16))
    assert_script_followed(raw)
    assert result.outcome is InstallOutcome.CHECKSUM_MISMATCH
    assert result.checksum_ok is False
    assert S.MD5 in result.message
    assert "yes" not in raw.typed[1:]


def test_file_not_offered_quits_the_wizard() -> None:
    other = "cmterm-devicepack12.5.1.99999-1.cop.sgn"
    script: list[Step] = [
        *S.start(),
        *S.source_menu(modern=False),
        In("1"),
        *S.credentials(),
        *S.file_list([other, S.FILE + ".old"]),  # similar names must not count
        In("q"),
        Out(S.PROMPT),
    ]
    result, raw, _ = play(script)
    assert_script_followed(raw)
    assert result.outcome is InstallOutcome.NOT_OFFERED
    assert other in result.message
    assert raw.typed[-1] == "q"


def test_install_failure() -> None:
    script = S.legacy_happy()
    i = script.index(In("yes"))
    script[i:] = S.install(success=False)
    result, raw, _ = play(script)
    assert_script_followed(raw)
    assert result.outcome is InstallOutcome.FAILED
    assert result.message == f"Installation of {S.FILE} failed"


ERROR_MESSAGES = {
    InstallOutcome.SERVER_UNREACHABLE: T.ERR_SERVER_UNREACHABLE,
    InstallOutcome.BAD_CREDENTIALS: T.ERR_BAD_CREDENTIALS,
    InstallOutcome.BAD_DIRECTORY: T.ERR_BAD_DIRECTORY,
    InstallOutcome.NO_VALID_OPTIONS: T.ERR_NO_VALID_OPTIONS,
    InstallOutcome.DISK_SPACE: T.ERR_DISK_SPACE,
    InstallOutcome.CHECKSUM_FAILED: T.ERR_CHECKSUM,
    InstallOutcome.INVALID_FILE: T.ERR_INVALID_FILE,
    InstallOutcome.ALREADY_IN_PROGRESS: T.ALREADY_IN_PROGRESS,
    InstallOutcome.COMMAND_FAILED: T.COMMAND_FAILED,
}


def test_every_error_text_has_a_test() -> None:
    assert set(ERROR_MESSAGES) == set(ERROR_TEXTS)


@pytest.mark.parametrize(("outcome", "text"), list(ERROR_MESSAGES.items()))
def test_error_texts_map_to_distinct_outcomes(outcome: InstallOutcome, text: str) -> None:
    script = S.legacy_happy()
    i = script.index(In(""))  # after SMTP: the server check
    script[i + 1 :] = [Out(T.CHECKING + S.NL + S.NL + text + S.NL + S.PROMPT)]
    result, raw, _ = play(script)
    assert_script_followed(raw)
    assert result.outcome is outcome
    assert result.message == text
    assert result.at_prompt


def test_wizard_back_at_prompt_without_result_is_unexpected() -> None:
    script = [*S.start(), Out("Something new happened." + S.NL + S.PROMPT)]
    result, raw, _ = play(script)
    assert_script_followed(raw)
    assert result.outcome is InstallOutcome.UNEXPECTED
    assert "Something new happened." in result.message


def test_silence_is_a_timeout_and_close_is_session_closed() -> None:
    timeout, _, _ = play([*S.start(), In("never")], request(prompt_timeout=0.05))
    assert timeout.outcome is InstallOutcome.TIMEOUT and not timeout.at_prompt
    closed, _, _ = play([*S.start(), Close()])
    assert closed.outcome is InstallOutcome.SESSION_CLOSED


def test_password_never_in_transcript_or_answers() -> None:
    script = S.legacy_happy()
    # a careless server echoing the password back must not leak it either
    i = script.index(In(S.PASSWORD, echo="********"))
    script[i] = In(S.PASSWORD, echo=S.PASSWORD)
    result, raw, _ = play(script)
    assert result.ok
    assert S.PASSWORD in raw.typed  # it was typed...
    assert S.PASSWORD not in result.transcript  # ...but never recorded
    assert S.PASSWORD not in " ".join(result.answers)
    assert "********" in result.answers
    assert S.PASSWORD not in repr(request())


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("c4:13:AD", "C413ad", True),
        ("c4-13-ad", "c413ad", True),
        ("c4:13:ad", "c4:13:ae", False),
    ],
)
def test_md5_comparison_ignores_case_and_separators(a: str, b: str, same: bool) -> None:
    assert (md5_key(a) == md5_key(b)) is same


# -- questions no dialog expects (reference 9.5) ---------------------------------------

SWITCH = "Automatically switch versions if the upgrade is successful (yes/no):"
REFRESH = "Start Refresh Upgrade (yes/no):"
CONTINUE = "Continue (y/n)?"


def _leave_with_ctrl_c() -> list[Step]:
    return [Key("\x03"), Out("^C" + S.NL + S.PROMPT.lstrip(S.NL))]


@pytest.mark.parametrize("question", [SWITCH, REFRESH, CONTINUE])
@pytest.mark.parametrize("where", ["wizard_start", "before_download", "before_start"])
def test_unexpected_question_stops_at_once_unanswered(question: str, where: str) -> None:
    script: list[Step] = [*S.start(modern=True)]
    if where != "wizard_start":
        script += [*S.source_menu(modern=True), In("1"), *S.credentials()]
        script += [S.ask(T.CONTINUE_AFTER_DOWNLOAD), In("no"), S.ask(T.SWITCH_VERSION), In("no")]
    if where == "before_start":
        script += [*S.file_list([S.FILE]), In("1")]
        script += [Out(T.ACCESSING + S.NL + T.CHECKSUMMING + S.NL)]
        script += [Out(T.FILE_CHECKSUM.format(checksum=S.MD5) + S.NL)]
    script += [S.ask(question), *_leave_with_ctrl_c()]
    # a prompt timeout of an hour: the stop must not wait for it
    result, raw, _ = play(script, request(prompt_timeout=3600, download_timeout=3600))
    assert_script_followed(raw)
    assert result.outcome is InstallOutcome.UNKNOWN_PROMPT and result.at_prompt
    assert question in result.message and raw.typed[-1] == "\x03"  # nothing else after it
    assert S.PASSWORD not in result.transcript and question in result.transcript


def test_known_questions_are_not_unexpected() -> None:
    # every question the wizard rules expect ties with the catch-all and wins
    from orchestrator.drivers.ssh.patterns import YES_NO_QUESTION

    for text in (
        T.START_INSTALLATION,
        T.ASSUME_CONTROL,
        T.USE_PUBLISHER_CREDENTIALS,
        T.CONTINUE_AFTER_DOWNLOAD,
        T.SWITCH_VERSION,
        T.RESTART_CONFIRM,
        SWITCH,
        REFRESH,
        CONTINUE,
    ):
        assert YES_NO_QUESTION.search("x\n" + text + " "), text
    for script in (S.legacy_happy(), S.modern_subscriber_happy()):
        result, raw, _ = play(script)
        assert result.outcome is InstallOutcome.INSTALLED, result.message
        assert_script_followed(raw)
