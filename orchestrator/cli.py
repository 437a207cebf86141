"""The ``devpack`` command line."""

from __future__ import annotations

import typer

from orchestrator import __version__
from orchestrator.cli_lab import lab_app

app = typer.Typer(
    help="Roll out Cisco CUCM device packs across a cluster, safely and unattended.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


app.add_typer(lab_app, name="lab")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"devpack {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True),
) -> None:
    """devpack."""


def main() -> None:
    app()
