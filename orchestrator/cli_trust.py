"""``devpack trust``: check and pin every node's SSH host key and HTTPS certificate."""

from __future__ import annotations

from pathlib import Path

import typer

from orchestrator.config.loader import load_inventory
from orchestrator.console import operator_console
from orchestrator.tls.trust import Trust, TrustSettings, parse_expectations

out = operator_console()


def trust_command(
    inventory: Path = typer.Option(..., "--inventory", "-i", help="Inventory YAML"),
    yes: bool = typer.Option(
        False,
        "--yes",
        help="No questions: pin only what --expect-fingerprint names (alone, pins nothing)",
    ),
    expect: list[str] = typer.Option(
        [],
        "--expect-fingerprint",
        metavar="NODE=FINGERPRINT",
        help="An SSH host key (SHA256:...) or certificate (SHA-256 hex) fingerprint the "
        "admin read on the node; repeat per node and fingerprint",
    ),
) -> None:
    """Show every node's SSH host key and HTTPS certificate, and pin the confirmed ones
    in the inventory's known_hosts and ca_bundle."""
    from orchestrator.cli import user_errors  # the CLI's one error handler

    with user_errors():
        expected = parse_expectations(expect)
        loaded = load_inventory(inventory)
        settings = TrustSettings(
            inventory,
            loaded,
            password=lambda q: typer.prompt(q, hide_input=True),
            yes=yes,
            expected=expected,
        )
        trust = Trust(
            settings,
            confirm=lambda question: typer.confirm(question, default=False),
            say=lambda line: out.print(line, highlight=False, markup=False),
        )
        outcome = trust.run()
        out.print(
            f"pinned or unchanged: {', '.join(outcome.trusted) or 'none'}; "
            f"not pinned: {', '.join(outcome.refused + outcome.unreachable) or 'none'}",
            highlight=False,
            markup=False,
        )
        out.print(
            f"written: {trust.known_hosts_path} and {trust.bundle_path}",
            highlight=False,
            markup=False,
        )
        if outcome.exit_code:
            raise typer.Exit(outcome.exit_code)
