"""``devpack lab ...``: run the simulated cluster for demos, tests and rehearsals.

The lab package is imported lazily so the orchestrator itself never loads it.
"""

from __future__ import annotations

import signal
import tempfile
import threading
from pathlib import Path
from typing import Any

import typer

lab_app = typer.Typer(help="Run the simulated CUCM cluster (the lab) on loopback.")


class FaultsFileWatcher:
    """Applies the faults listed in a YAML file each time the file changes."""

    def __init__(self, path: Path, lab: Any) -> None:
        self.path = path
        self.lab = lab
        self.seen: float | None = None

    def poll(self) -> None:
        from pydantic import TypeAdapter
        from ruamel.yaml import YAML

        from orchestrator.config.userfile import MAX_YAML_BYTES, read_user_file
        from orchestrator.lab.config import FaultSpec

        try:
            mtime = self.path.stat().st_mtime
        except OSError:
            return
        if mtime == self.seen:
            return
        self.seen = mtime
        try:
            # bounded: a FIFO or /dev/zero named here must not hang the lab
            text = read_user_file(self.path, MAX_YAML_BYTES)
            data = YAML(typ="safe").load(text) or []
            faults = TypeAdapter(list[FaultSpec]).validate_python(data)
        except Exception as exc:  # a bad edit must not stop the lab
            typer.echo(f"faults file {self.path} ignored: {exc}", err=True)
            return
        self.lab.world.faults.replace(faults)
        self.lab.world.apply_standing_faults()
        typer.echo(f"faults now: {[f.kind.value for f in faults] or 'none'}")


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
    faults_file: Path | None = typer.Option(
        None,
        "--faults-file",
        help="YAML list of faults, re-read whenever it changes (switch faults at run time)",
    ),
) -> None:
    """Start the lab, write an inventory, print one ready line, run until SIGINT/SIGTERM."""
    from orchestrator.config.errors import ConfigError
    from orchestrator.lab.config import LabConfig, demo_config
    from orchestrator.lab.runner import Lab

    try:
        lab_config = LabConfig.load(config) if config else demo_config()
    except ConfigError as exc:
        typer.echo(f"error: lab config {exc}", err=True)
        raise typer.Exit(2) from None
    if profile:
        try:
            lab_config = LabConfig.model_validate({**lab_config.model_dump(), "profile": profile})
        except ValueError as exc:
            typer.echo(f"error: --profile {profile}: {exc}", err=True)
            raise typer.Exit(2) from None
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
        watcher = FaultsFileWatcher(faults_file, lab) if faults_file else None
        while not stop.wait(0.5):
            if watcher:
                watcher.poll()
    typer.echo("lab stopped")
