"""Operator comfort: --state-dir on every command that reads or writes state, shell
completion, -v/--debug accepted before any command."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import cli


def invoke(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_every_state_command_takes_state_dir_and_refuses_a_file(tmp_path: Path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    missing = str(tmp_path / "missing.yml")
    for args in (
        ("plan", "-i", missing, "-p", missing),
        ("audit", "-i", missing),
        ("status",),
        ("run", "-i", missing, "-p", missing),
        ("resume", "some-run"),
        ("report", "some-run"),
        ("fleet", "run", "--fleet", missing),
    ):
        result = invoke(*args, "--state-dir", str(not_a_folder))
        assert result.exit_code == 2, (args, result.output)
        assert "No such option" not in result.output, args


def test_plan_names_a_state_dir_that_is_a_file_before_reading_inputs(tmp_path: Path):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    result = invoke("plan", "-i", "x.yml", "-p", "y.yml", "--state-dir", str(not_a_folder))
    assert result.exit_code == 2 and "is not a folder" in result.output


def test_completion_and_verbosity_options_exist():
    result = invoke("--help")
    assert "--install-completion" in result.output and "--show-completion" in result.output
    assert "--verbose" in result.output and "--debug" in result.output
    assert invoke("-v", "--debug", "status", "--help").exit_code == 0
