"""Run ``devpack ... --json`` in-process and check its stdout against the schema."""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator
from typer.testing import CliRunner

from orchestrator import results
from orchestrator.cli import cli

VALIDATOR = Draft202012Validator(results.schema())


def devpack_json(*args: str) -> tuple[int, dict[str, Any], str]:
    """(exit code, the one JSON document on stdout (validated), stderr)."""
    result = CliRunner().invoke(cli, [*args, "--json"], catch_exceptions=False)
    try:
        document = json.loads(result.stdout)  # the whole of stdout: one document
    except ValueError as exc:
        raise AssertionError(f"stdout is not one JSON document ({exc}):\n{result.stdout}") from None
    errors = sorted(VALIDATOR.iter_errors(document), key=str)
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors)
    assert document["exit_code"] == result.exit_code, document
    return result.exit_code, document, result.stderr
