"""Bad-input fuzzing (issue 8): whatever an operator writes or types, devpack answers with a
message naming the file and a documented exit code, never a traceback.

Generated inventories and playbooks start valid and get hostile values (control
characters, huge numbers, inf/nan, booleans where numbers go, wrong types) and hostile
YAML (deep nesting, alias bombs, tags). They go through the loading path in-process,
through the CLI in-process, and a few through the real `devpack` executable.

Nodes point at 127.0.0.2xx port 1, where nothing listens: a valid input gets past loading
and fails fast at the connection with exit 6. Nothing here leaves loopback.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML
from typer.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.config import ConfigError, load_inventory, load_playbook
from orchestrator.config.trustfiles import ca_bundle_file, known_hosts_file

# README's exit-code table
DOCUMENTED_EXITS = {0, 1, 2, 3, 4, 5, 6, 130}
PASSWORD_ENV = "DEVPACK_FUZZ_PASSWORD"
DEVPACK = Path(sys.executable).with_name("devpack")

INVENTORY: dict[str, Any] = {
    "cluster": "fuzz",
    "nodes": [
        {
            "name": "pub",
            "address": "127.0.0.201",
            "ssh_port": 1,
            "https_port": 1,
            "role": "publisher",
            "tftp": True,
        },
        {"name": "sub1", "address": "127.0.0.202", "ssh_port": 1, "https_port": 1},
    ],
    "callmanager_groups": {"G1": ["sub1", "pub"]},
    "credentials": {
        "platform": {"username": "admin", "password": f"env:{PASSWORD_ENV}"},
        "application": {"username": "axl", "password": "file:secrets/axl.txt"},
    },
    "known_hosts": "known_hosts",
}

PLAYBOOK: dict[str, Any] = {
    "cop": {
        "file": "cmterm-devicepack12.5.1.17123-1.cop.sgn",
        "md5": "c413ad957bc8c1011b91bbda8d8409ea",
    },
    "sftp": {
        "host": "127.0.0.209",
        "port": 22,
        "directory": "/cop",
        "username": "copuser",
        "password": f"env:{PASSWORD_ENV}",
    },
    "models": ["Cisco 7841", "Cisco 8851"],
    "waves": {"max_parallel": 2, "install_parallel": 4},
    "timeouts": {"install": 60, "reboot": 60},
    "polling": {"first": 0.1, "max": 1.0},
    "estimates": {"reboot": 60},
    "report": {"pdf": False},
}

HOSTILE_TEXT = [
    "/cop\x03utils service restart Cisco CallManager",
    "admin\nutils system restart",
    "../../x",
    "x$(id)",
    "-rf",
    ".hidden",
    "",
    " ",
    "x" * 400,
    "\x00",
    "\x7f",
    "\x85",
    "\u200b",
    "é",
    "A\u0301",
    "env:",
    "env:BAD NAME",
    "file:",
    "file:/dev/zero",
    "file:/nonexistent/pw",
    "file:secrets",
    "prompt",
    "plain-password",
    "10.0.0",
    "127.0.0.1\x03",
    "fe80::1%\x03",
    "2026-01-01",
    "1e400",
    "${HOME}",
    "%s%n",
    "\ud7ff",
]
# Loopback only: a generated address that is valid must not reach any other host.
LOOPBACK = ["127.0.0.203", "127.0.0.204"]

RAW_YAML = [
    "deep: " + "[" * 3000 + "]" * 3000,
    "deep: " + "{a: " * 200 + "1" + "}" * 200,
    "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d, *d]",
    "loop: &l [1, *l]",
    "<<: *undefined",
    "cluster: !!binary zz==",
    "cluster: !!python/object:os.system {}",
    "cluster: !!set {a, b}",
    "cluster: 2026-02-30",
    "\tcluster: tab",
    "cluster: [unclosed",
    "? [complex, key]\n: value",
    'cluster: "\\x03"',
    "---\nsecond: document",
]

leaves = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=20),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 1, 65535, 65536, 2**31, 10**12]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.sampled_from(LOOPBACK),
)
values = st.recursive(
    leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(tree: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix] if prefix else []
    if isinstance(tree, dict):
        for key, value in tree.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            found += _paths(value, (*prefix, index))
    return found


def _set(tree: Any, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        tree = tree[part]
    tree[path[-1]] = value


@st.composite
def documents(draw: st.DrawFn, base: dict[str, Any]) -> tuple[str, bool]:
    """(YAML text, whether it is the untouched valid document)."""
    import copy

    tree = copy.deepcopy(base)
    paths = _paths(tree)
    changes = draw(st.integers(min_value=0, max_value=3))
    for _ in range(changes):
        path = draw(st.sampled_from(paths))
        try:
            _set(tree, path, draw(values))
        except (KeyError, IndexError, TypeError):
            pass  # an earlier change replaced the parent
    if draw(st.booleans()):
        tree[draw(st.sampled_from(["extra", "polling", "cluster", "models"]))] = draw(values)
        changes += 1
    text = _dump(tree)
    if draw(st.integers(min_value=0, max_value=4)) == 0:
        text += draw(st.sampled_from(RAW_YAML)) + "\n"
        changes += 1
    return text, changes == 0


def _dump(tree: dict[str, Any]) -> str:
    buffer = io.StringIO()
    YAML().dump(tree, buffer)
    return buffer.getvalue()


VALID = {"inventory": (_dump(INVENTORY), True), "playbook": (_dump(PLAYBOOK), True)}


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(PASSWORD_ENV, "fuzz-password")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "axl.txt").write_text("fuzz-password\n")
    (tmp_path / "known_hosts").write_text("")
    return tmp_path


FUZZ = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _load_everything(inventory: Path, playbook: Path) -> None:
    """The loading path of run/plan/audit, without touching the network."""
    book = load_playbook(playbook)
    book.sftp.password.resolve()
    inv = load_inventory(inventory)
    known_hosts_file(inv)
    ca_bundle_file(inv)
    for login in (inv.credentials.platform, inv.credentials.application):
        login.password.resolve()


@FUZZ
@given(inventory=documents(INVENTORY), playbook=documents(PLAYBOOK))
@example(**VALID)
def test_loading_ends_in_a_model_or_a_located_config_error(workdir, inventory, playbook):
    (workdir / "inventory.yml").write_text(inventory[0])
    (workdir / "playbook.yml").write_text(playbook[0])
    try:
        _load_everything(workdir / "inventory.yml", workdir / "playbook.yml")
        loaded = True
    except ConfigError as error:
        loaded = False
        assert not (inventory[1] and playbook[1]), str(error)
        text = str(error)
        assert error.file in {"inventory.yml", "playbook.yml"}, text
        assert "fuzz-password" not in text
        assert "Traceback" not in text and "pydantic" not in text
    assert loaded or not (inventory[1] and playbook[1])


# Past loading, nothing listens: run/plan exit 6; audit's own table says 2 ("could not
# audit: publisher unreachable").
UNREACHABLE_EXIT = {"plan": 6, "run": 6, "audit": 2}


def _check_cli_result(result: Any, valid: int | None, names_a_file: bool) -> None:
    """``valid``: the exit code a valid input must reach, None for invalid input."""
    output = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        f"{type(result.exception).__name__}: {result.exception}\n{output}"
    )
    assert result.exit_code in DOCUMENTED_EXITS, output
    assert "Traceback" not in output
    assert "fuzz-password" not in output
    if result.exit_code == 2:
        if names_a_file:
            assert re.search(r"inventory\.yml|playbook\.yml", output), output
        else:  # an argument problem: says what (a message, or click's usage text)
            assert output.strip()
    if valid is not None:
        assert result.exit_code == valid, output
        assert "refused the connection" in output, output


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    inventory=documents(INVENTORY),
    playbook=documents(PLAYBOOK),
    command=st.sampled_from(["plan", "run", "audit"]),
)
@example(**VALID, command="run")
@example(**VALID, command="audit")
def test_cli_on_generated_files_exits_with_a_documented_code(workdir, inventory, playbook, command):
    (workdir / "inventory.yml").write_text(inventory[0])
    (workdir / "playbook.yml").write_text(playbook[0])
    args = [command, "-i", "inventory.yml", "-p", "playbook.yml"]
    if command == "run":
        args += ["--state-dir", "state"]
    result = CliRunner().invoke(cli, args)
    valid = inventory[1] and playbook[1]
    _check_cli_result(result, UNREACHABLE_EXIT[command] if valid else None, names_a_file=True)


ARGUMENT = st.one_of(
    st.sampled_from(
        [
            "inventory.yml",
            "playbook.yml",
            "missing.yml",
            ".",
            "/dev/null",
            "/dev/zero",
            "plan.json",
            "x$(id)",
            "../../x",
            "-",
            "--",
            "-x",
            "",
            "2026-01-01T00:00Z/2026-01-01T01:00Z",
            "2026/x",
            "0",
            "-1",
            "99999999999",
            "<script>alert(1)</script>",
            "a|b",
            "x" * 200,
        ]
    ),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12),
)
OPTIONS = [
    "-i",
    "-p",
    "--plan",
    "--window",
    "--dry-run",
    "--json",
    "--audit",
    "--fleet",
    "--max-clusters",
    "--report",
    # the change ticket, report.pdf and a scheduler's run id
    "--change-id",
    "--operator",
    "--pdf",
    "--run-id",
]
COMMANDS = [["plan"], ["run"], ["resume"], ["status"], ["audit"], ["report"], ["fleet", "run"]]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    command=st.sampled_from(COMMANDS),
    rest=st.lists(st.one_of(st.sampled_from(OPTIONS), ARGUMENT), max_size=6),
)
def test_generated_argument_lists_exit_with_a_documented_code(workdir, command, rest):
    (workdir / "inventory.yml").write_text("cluster: [broken\n")
    (workdir / "playbook.yml").write_text("cop: 5\n")
    (workdir / "plan.json").write_text('{"cluster": "\\u0003"}')
    result = CliRunner().invoke(cli, [*command, *rest, "--state-dir", "state"])
    _check_cli_result(result, valid=None, names_a_file=False)


@pytest.mark.skipif(not DEVPACK.exists(), reason="the devpack executable is not installed")
@settings(
    max_examples=5,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(inventory=documents(INVENTORY), playbook=documents(PLAYBOOK))
@example(**VALID)
def test_the_real_executable_on_generated_files(workdir, inventory, playbook):
    (workdir / "inventory.yml").write_text(inventory[0])
    (workdir / "playbook.yml").write_text(playbook[0])
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [str(DEVPACK), "plan", "-i", "inventory.yml", "-p", "playbook.yml"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        cwd=workdir,
        stdin=subprocess.DEVNULL,
    )
    output = done.stdout + done.stderr
    assert done.returncode in DOCUMENTED_EXITS, output
    assert "Traceback" not in output and "fuzz-password" not in output
    if done.returncode == 2:
        assert "inventory.yml" in output or "playbook.yml" in output, output
    if inventory[1] and playbook[1]:
        assert done.returncode == 6, output
