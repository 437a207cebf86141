"""The run lifecycle without a cluster: the inputs fingerprint, local inputs checked before
any network I/O, unusable journals and state dirs, printed commands that paste, private
file modes, the per-host publisher lock, remedies, and the TLS trust source."""

from __future__ import annotations

import os
import shlex
import socket
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from typer.testing import CliRunner

from orchestrator.app import resume_command
from orchestrator.cli import cli
from orchestrator.config.inventory import Inventory
from orchestrator.config.playbook import Playbook
from orchestrator.drivers.soap.errors import SoapAuthError
from orchestrator.drivers.soap.transport import build_session, trust_source
from orchestrator.drivers.ssh.errors import HostKeyMismatch, UnknownHostKey
from orchestrator.engine.journal import Journal
from orchestrator.engine.lock import ClusterLocked, publisher_key, publisher_lock
from orchestrator.engine.rollout import RunOutcome
from orchestrator.errors import UserError, failure_remedy
from orchestrator.files import GROUP_READABLE_ENV, make_dirs, write_output, write_private
from orchestrator.fingerprint import fingerprint_changes, run_fingerprint

PLAYBOOK = {
    "cop": {
        "file": "cmterm-devicepack12.5.1.17123-1.cop.sgn",
        "md5": "c413ad957bc8c1011b91bbda8d8409ea",
    },
    "sftp": {
        "host": "10.0.0.50",
        "directory": "/cop",
        "username": "copuser",
        "password": "env:SFTP_PASSWORD",
    },
    "models": ["Cisco 8851", "Cisco 7841"],
}


def inventory_data(address: str = "127.0.0.1", port: int = 22) -> dict:
    return {
        "cluster": "lab",
        "nodes": [
            {
                "name": "pub",
                "address": address,
                "ssh_port": port,
                "https_port": port,
                "role": "publisher",
                "tftp": True,
            },
            {"name": "sub1", "address": "127.0.0.2", "ssh_port": port, "https_port": port},
        ],
        "callmanager_groups": {"G1": ["sub1", "pub"]},
        "credentials": {
            "platform": {"username": "admin", "password": "env:PLATFORM_PASSWORD"},
            "application": {"username": "axl", "password": "env:AXL_PASSWORD"},
        },
    }


def models(inventory: dict | None = None, **playbook: object) -> tuple[Inventory, Playbook]:
    inv = Inventory.model_validate(inventory or inventory_data())
    return inv, Playbook.model_validate({**PLAYBOOK, **playbook})


# ----- the fingerprint of a run's inputs ------------------------------------------------


def test_fingerprint_differences_are_listed_field_by_field_old_to_new() -> None:
    old = run_fingerprint(*models())
    changed = inventory_data()
    changed["nodes"][1]["address"] = "127.0.0.9"
    new = run_fingerprint(
        *models(
            changed,
            cop={**PLAYBOOK["cop"], "file": "cmterm-devicepack14.cop.sgn"},
            restart={"strategy": "reboot"},
        )
    )
    assert fingerprint_changes(old, new) == [
        "inventory.nodes[sub1].address: 127.0.0.2 -> 127.0.0.9",
        "playbook.cop.file: cmterm-devicepack12.5.1.17123-1.cop.sgn -> cmterm-devicepack14.cop.sgn",
        "playbook.restart.strategy: auto -> reboot",
    ]
    assert fingerprint_changes(old, run_fingerprint(*models())) == []


def test_fingerprint_sees_a_node_added_and_models_reordered_as_the_same() -> None:
    old = run_fingerprint(*models())
    reordered = run_fingerprint(*models(models=["Cisco 7841", "Cisco 8851"]))
    assert fingerprint_changes(old, reordered) == []
    bigger = inventory_data()
    bigger["nodes"].append({"name": "sub2", "address": "127.0.0.3"})
    changes = fingerprint_changes(old, run_fingerprint(*models(bigger)))
    assert "inventory.nodes[sub2].address: (none) -> 127.0.0.3" in changes


def test_fingerprint_holds_no_password_or_reference() -> None:
    text = repr(run_fingerprint(*models()))
    assert "PASSWORD" not in text and "env:" not in text


# ----- local inputs are checked before any network I/O ----------------------------------


@pytest.fixture
def unreached(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """A valid inventory + playbook whose nodes sit on a loopback port that counts
    connections: a command that checks its local inputs first never connects."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    port = listener.getsockname()[1]
    for name in ("PLATFORM_PASSWORD", "AXL_PASSWORD", "SFTP_PASSWORD"):
        monkeypatch.setenv(name, "not-printed-42")
    data = inventory_data("127.0.0.1", port)
    data["nodes"] = data["nodes"][:1]
    data["callmanager_groups"] = {"G1": ["pub"]}
    (tmp_path / "known_hosts").write_text("")
    import json

    inventory = tmp_path / "inventory.json.yml"
    inventory.write_text(json.dumps({**data, "known_hosts": str(tmp_path / "known_hosts")}))
    playbook = tmp_path / "playbook.yml"
    playbook.write_text(json.dumps(PLAYBOOK))
    yield inventory, playbook
    try:
        listener.accept()
        connected = True
    except BlockingIOError:
        connected = False
    listener.close()
    assert not connected, "the command connected to a node before checking its local inputs"


def devpack(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (["run", "--plan", "{tmp}/missing.json"], "missing.json: file not found"),
        (["run", "--state-dir", "{tmp}/a-file"], "--state-dir {tmp}/a-file is not a folder"),
        (["run", "--state-dir", "{tmp}/a-file/sub"], "cannot be made: {tmp}/a-file is not"),
        (["plan", "-o", "{tmp}/no-such-dir/plan.json"], "the folder {tmp}/no-such-dir does not"),
        (["plan", "-o", "{tmp}"], "--output {tmp} is a folder"),
    ],
    ids=[
        "missing-plan",
        "state-dir-file",
        "state-dir-under-file",
        "output-dir-missing",
        "output-is-dir",
    ],
)
def test_bad_local_input_is_refused_before_logging_in(
    unreached: tuple[Path, Path], tmp_path: Path, command: list[str], expected: str
) -> None:
    inventory, playbook = unreached
    (tmp_path / "a-file").write_text("x")
    args = [part.format(tmp=tmp_path) for part in command]
    code, output = devpack(args[0], "-i", str(inventory), "-p", str(playbook), *args[1:])
    assert code == 2, output
    assert expected.format(tmp=tmp_path) in " ".join(output.split()), output
    assert "Traceback" not in output


def test_audit_report_at_a_file_is_refused_before_logging_in(
    unreached: tuple[Path, Path], tmp_path: Path
) -> None:
    inventory, _ = unreached
    (tmp_path / "a-file").write_text("x")
    code, output = devpack("audit", "-i", str(inventory), "--report", str(tmp_path / "a-file"))
    assert code == 2, output
    assert f"--report {tmp_path / 'a-file'} is not a folder" in " ".join(output.split())
    assert "Traceback" not in output


def test_an_output_on_a_full_device_is_a_message() -> None:
    with pytest.raises(UserError) as info:
        write_output(Path("/dev/full"), "{}" * 10000, "the plan to")
    assert "cannot write the plan to /dev/full: No space left on device" in info.value.message
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)  # never chmod-ed as if it were ours
    assert stat.S_IMODE(os.stat("/dev/full").st_mode) == 0o666


# ----- unusable journals and state dirs -------------------------------------------------


def _corrupt(path: Path) -> None:
    path.write_bytes(b"this is not sqlite" * 100)


def _wrong_schema(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.execute("create table runs (id integer, name text)")


def _directory(path: Path) -> None:
    path.mkdir()


@pytest.mark.parametrize(
    "spoil", [_corrupt, _wrong_schema, _directory], ids=["corrupt", "wrong-schema", "directory"]
)
@pytest.mark.parametrize(
    "command", [["status"], ["status", "r1"], ["resume", "r1"], ["report", "r1"]]
)
def test_an_unusable_journal_is_a_one_line_error(tmp_path: Path, spoil, command: list[str]) -> None:
    state = tmp_path / "state"
    state.mkdir()
    spoil(state / "journal.sqlite")
    code, output = devpack(*command, "--state-dir", str(state))
    assert code == 2, output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert f"{state / 'journal.sqlite'}: cannot use the journal" in errors[0]
    assert "--state-dir" in output  # what to do
    assert "Traceback" not in output


@pytest.mark.parametrize("command", [["status"], ["resume", "r1"], ["report", "r1"]])
def test_a_state_dir_that_is_a_file_is_a_one_line_error(tmp_path: Path, command) -> None:
    state = tmp_path / "state"
    state.write_text("x")
    code, output = devpack(*command, "--state-dir", str(state))
    assert code == 2, output
    assert "not a folder" in output or "Not a directory" in output, output
    assert "Traceback" not in output


# ----- printed commands paste -----------------------------------------------------------


def killed_run(state: Path, run_id: str) -> None:
    """A run journaled as running whose process is gone (no lock held)."""
    journal = Journal(state / "journal.sqlite")
    journal.create_run(run_id, "lab", '{"cluster": "lab", "stages": []}', "/i.yml", "/p.yml")
    journal.write(run_id, "running")
    journal.close()


def test_resume_command_off_a_terminal_is_one_quoted_line_however_long(tmp_path: Path) -> None:
    state = tmp_path / ("a folder with spaces $(id) " + "x" * 180) / "state"
    run_id = "lab-20261128T010000Z-3f2a"
    killed_run(state, run_id)
    code, output = devpack("status", "--state-dir", str(state))
    assert code == 0, output
    [line] = [line for line in output.splitlines() if "devpack resume" in line]
    command = line.split("continue with: ", 1)[1]
    assert shlex.split(command) == ["devpack", "resume", run_id, "--state-dir", str(state)]


def test_outcome_hints_quote_every_word() -> None:
    outcome = RunOutcome("r1", "failed", "x", "fix it", state_dir_options=("--state-dir", "a b"))
    assert outcome.hint == "fix it; then: devpack resume r1 --state-dir 'a b'"
    paused = RunOutcome("r1", "paused_window", resume_options=("--window", "START/END"))
    assert paused.hint == "devpack resume r1 --window START/END"
    assert resume_command("r;1", Path("/x y")) == "devpack resume 'r;1' --state-dir '/x y'"


# ----- private files --------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_files_devpack_writes_are_private_whatever_the_umask(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(GROUP_READABLE_ENV, raising=False)
    old = os.umask(0)
    try:
        make_dirs(tmp_path / "state" / "runs")
        write_private(tmp_path / "state" / "plan.json", "{}")
        journal = Journal(tmp_path / "state" / "journal.sqlite")
        journal.create_run("r", "c", "{}", "i", "p")
        journal.close()
    finally:
        os.umask(old)
    assert _mode(tmp_path / "state") == 0o700
    assert _mode(tmp_path / "state" / "runs") == 0o700
    assert _mode(tmp_path / "state" / "plan.json") == 0o600
    assert _mode(tmp_path / "state" / "journal.sqlite") == 0o600


def test_group_readable_is_an_explicit_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(GROUP_READABLE_ENV, "1")
    make_dirs(tmp_path / "reports")
    write_private(tmp_path / "reports" / "report.md", "x")
    assert _mode(tmp_path / "reports") == 0o750
    assert _mode(tmp_path / "reports" / "report.md") == 0o640


# ----- one run per publisher on this host, whatever the state dir -----------------------


def test_publisher_key_normalises_addresses() -> None:
    assert publisher_key("CUCM-Pub.Example.COM.", 22) == publisher_key("cucm-pub.example.com", 22)
    assert publisher_key("0:0:0:0:0:0:0:1", 22) == publisher_key("::1", 22)
    assert publisher_key("::1", 22) != publisher_key("::1", 2222)
    assert "/" not in publisher_key("../../etc/x", 22)


def test_one_publisher_is_locked_once_across_names_and_state_dirs() -> None:
    first = publisher_lock("prod", "CUCM.example.com", 22)
    first.acquire("run-a")
    try:
        with pytest.raises(ClusterLocked) as info:
            publisher_lock("prod-again", "cucm.example.com.", 22).acquire("run-b")
        assert "run-a" in str(info.value) and "publisher" in str(info.value)
    finally:
        first.release()
    again = publisher_lock("prod-again", "cucm.example.com.", 22)
    again.acquire("run-b")  # freed by its holder
    again.release()


# ----- remedies, not "fix the cause" ----------------------------------------------------


def test_failures_mid_run_get_their_own_remedy() -> None:
    changed = failure_remedy(HostKeyMismatch("[127.0.0.5]:22", "lab.known_hosts"), "sub1")
    assert "node sub1" in changed and "lab.known_hosts" in changed and "console" in changed
    refused = failure_remedy(SoapAuthError("HTTP 401"), "pub")
    assert "credentials.application" in refused
    crashed = failure_remedy(ZeroDivisionError("x"), "pub")
    assert "bug" in crashed and "log.jsonl" in crashed
    unknown = failure_remedy(UnknownHostKey("[127.0.0.5]:22", "kh"), "sub1")
    assert "kh" in unknown
    for remedy in (changed, refused, crashed, unknown):
        assert "fix the cause" not in remedy


# ----- TLS trust source -----------------------------------------------------------------


def test_trust_source_says_which_bundle_and_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env_bundle = tmp_path / "env-ca.pem"
    env_bundle.write_text("x")
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(env_bundle))
    assert trust_source(None).label == (
        f"CA bundle {env_bundle} (from REQUESTS_CA_BUNDLE; the inventory sets no ca_bundle)"
    )
    own = tmp_path / "inventory-ca.pem"
    assert trust_source(own).label == f"CA bundle {own} (ca_bundle in the inventory)"
    monkeypatch.delenv("REQUESTS_CA_BUNDLE")
    assert "certifi" in trust_source(None).label
    assert "system" not in trust_source(None).label


def test_the_inventory_ca_bundle_wins_over_requests_ca_bundle(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "inventory-ca.pem"
    own.write_text("x")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "other.pem"))
    session = build_session("axl", "pw", own)
    settings = session.merge_environment_settings("https://127.0.0.1/", {}, None, None, None)
    assert settings["verify"] == str(own)
    # what plain requests would have done: the environment overrides the session
    plain = requests.Session()
    plain.verify = str(own)
    assert plain.merge_environment_settings("https://127.0.0.1/", {}, None, None, None)[
        "verify"
    ] == str(tmp_path / "other.pem")


def test_host_key_errors_name_the_node_from_the_known_hosts_form(tmp_path: Path) -> None:
    from cluster_access_samples import access

    from orchestrator.access import login_error

    # as the transport raises it for a node on a non-default port: no separate address
    unknown = UnknownHostKey("[127.1.2.11]:36521", "lab.known_hosts", fingerprint="b")
    assert login_error(access(tmp_path), unknown).message.startswith("node cucmsub1: ")
    other_port = UnknownHostKey("[127.1.2.11]:2222", "lab.known_hosts")
    assert login_error(access(tmp_path), other_port).message.startswith("a node: ")
