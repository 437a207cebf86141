"""``devpack lab ...``: run the simulated cluster for demos, tests and rehearsals.

The lab package is imported lazily so the orchestrator itself never loads it.
"""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path

import typer

lab_app = typer.Typer(help="Run the simulated CUCM cluster (the lab) on loopback.")


@lab_app.command("up")
def lab_up(
    config: Path | None = typer.Option(
        None, "--config", help="Lab config YAML (default: the demo cluster)"
    ),
    inventory_out: Path = typer.Option(
        Path("build/lab/inventory.yml"), "--inventory-out", help="Where to write the inventory"
    ),
    playbook_out: Path | None = typer.Option(
        None, "--playbook-out", help="Also write a playbook for the lab's device pack"
    ),
    events: Path | None = typer.Option(None, "--events", help="Ground-truth events (JSON lines)"),
    profile: str | None = typer.Option(None, "--profile", help="fast | demo | realistic"),
    workdir: Path | None = typer.Option(None, "--workdir", help="Lab state folder"),
) -> None:
    """Start the lab, write an inventory, print one ready line, run until SIGINT/SIGTERM."""
    from orchestrator.lab.config import LabConfig, demo_config
    from orchestrator.lab.runner import Lab

    try:
        lab_config = LabConfig.load(config) if config else demo_config()
    except (OSError, ValueError) as exc:
        typer.echo(f"error: lab config {config}: {exc}", err=True)
        raise typer.Exit(2) from None
    if profile:
        lab_config = lab_config.model_copy(update={"profile": profile})
    folder = workdir or Path(tempfile.mkdtemp(prefix="devpack-lab-"))
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    with Lab(lab_config, folder, events_path=events) as lab:
        lab.write_inventory(inventory_out)
        if playbook_out:
            lab.write_playbook(playbook_out)
        nodes = ", ".join(f"{e.name}={e.address}" for e in lab.endpoints.values())
        typer.echo(f"lab ready: cluster {lab_config.cluster} ({nodes}) inventory {inventory_out}")
        while not stop.wait(0.5):
            pass
    typer.echo("lab stopped")
