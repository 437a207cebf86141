"""Options several commands share (run, resume, demo, fleet run, ...), declared once so
their names, defaults and help agree everywhere."""

from __future__ import annotations

import typer

STATE_DIR = typer.Option(None, "--state-dir", help="Journal and run folders (default .devpack)")
CHANGE_ID = typer.Option(
    None,
    "--change-id",
    help="The change ticket the run belongs to (shown atop the report and in --json; "
    "default $DEVPACK_CHANGE_ID)",
)
OPERATOR = typer.Option(
    None,
    "--operator",
    help="Who runs it (default $DEVPACK_OPERATOR, else the OS user)",
)
JSON = typer.Option(
    False, "--json", help="Print one JSON document (devpack.result/1) on stdout, nothing else"
)
