"""``--json`` without a cluster: the schema itself, and errors as documents."""

from __future__ import annotations

from pathlib import Path

from json_documents import devpack_json
from jsonschema import Draft202012Validator

from orchestrator import results


def test_the_schema_is_a_valid_json_schema_of_its_version():
    schema = results.schema()
    Draft202012Validator.check_schema(schema)
    assert schema["properties"]["schema"]["const"] == results.SCHEMA_ID == "devpack.result/1"


def test_an_unsafe_run_id_is_refused_as_a_json_error(tmp_path: Path):
    inventory, playbook = tmp_path / "inv.yml", tmp_path / "pb.yml"
    code, document, stderr = devpack_json(
        "run",
        "-i",
        str(inventory),
        "-p",
        str(playbook),
        "--run-id",
        "../../etc",
        "--state-dir",
        str(tmp_path / "state"),
    )
    assert code == 2 and document["ok"] is False
    assert document["command"] == "run"
    assert "run id" in document["error"]["message"] and "'/'" in document["error"]["message"]
    assert document["error"]["hint"]
    assert "error:" in stderr  # the operator's message still goes to stderr
    assert not (tmp_path / "state").exists()  # refused before anything was written


def test_resume_status_plan_audit_errors_are_json_documents(tmp_path: Path):
    state = str(tmp_path / "state")
    missing = str(tmp_path / "missing.yml")
    cases = [
        (("resume", "nope-1", "--state-dir", state), 2, "no run nope-1"),
        (("status", "nope-1", "--state-dir", state), 2, "no run"),
        (("plan", "-i", missing, "-p", missing), 2, "missing.yml"),
        (("audit", "-i", missing), 2, "missing.yml"),
        (("fleet", "run", "--fleet", missing, "--state-dir", state), 2, "missing.yml"),
    ]
    for args, expected, words in cases:
        code, document, _ = devpack_json(*args)
        assert code == expected, (args, document)
        command = "fleet run" if args[0] == "fleet" else args[0]
        assert document["command"] == command, document
        assert words in document["error"]["message"], (args, document)


def test_an_empty_run_id_is_bad_input(tmp_path: Path):
    code, document, _ = devpack_json("resume", "", "--state-dir", str(tmp_path / "s"))
    assert code == 2 and "empty" in document["error"]["message"]


def test_status_of_an_empty_state_dir_is_an_empty_list(tmp_path: Path):
    code, document, _ = devpack_json("status", "--state-dir", str(tmp_path / "none"))
    assert code == 0 and document["runs"] == []
