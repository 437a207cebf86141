"""Helpers for e2e tests that drive ``devpack`` against the lab: in-process (CliRunner)
or as a subprocess that a test can SIGKILL when a lab ground-truth event happens."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from typer.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.engine.journal import Journal
from orchestrator.lab.events import Event
from orchestrator.lab.runner import LabCluster

DEVPACK = Path(sys.executable).with_name("devpack")


def run_args(cluster: LabCluster, state: Path, *extra: str) -> list[str]:
    return [
        "run",
        "-i",
        str(cluster.inventory),
        "-p",
        str(cluster.playbook),
        "--state-dir",
        str(state),
        *extra,
    ]


def devpack(*args: str) -> tuple[int, str]:
    """``devpack ARGS`` in-process; output holds stdout and stderr."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


class Spawned:
    """``devpack ARGS`` as a subprocess, output to a file."""

    def __init__(self, args: list[str], folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.log = folder / f"devpack-{os.getpid()}-{id(self)}.out"
        self._handle = self.log.open("wb")
        self.proc = subprocess.Popen(
            [str(DEVPACK), *args], stdout=self._handle, stderr=subprocess.STDOUT
        )
        self.killed_at: Event | None = None

    def kill(self) -> None:
        try:
            os.kill(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            self._handle.close()

    @property
    def output(self) -> str:
        return self.log.read_text(errors="replace")


def kill_when(cluster: LabCluster, spawned: Spawned, match: Callable[[Event], bool]) -> None:
    """SIGKILL the engine the moment the lab emits an event matching ``match`` (once)."""
    fired = threading.Lock()

    def listener(event: Event) -> None:
        if spawned.killed_at is None and match(event) and fired.acquire(blocking=False):
            spawned.killed_at = event
            spawned.kill()

    cluster.lab.events.subscribe(listener)


def is_event(name: str, node: str | None = None, **data: Any) -> Callable[[Event], bool]:
    return lambda e: (
        e.event == name
        and (node is None or e.node == node)
        and all(e.data.get(k) == v for k, v in data.items())
    )


def edit_playbook(path: Path, **sections: Any) -> None:
    """Merge ``sections`` into the playbook YAML (dicts merge one level deep)."""
    yaml = YAML()
    document = yaml.load(path.read_text())
    for key, value in sections.items():
        if isinstance(value, dict) and isinstance(document.get(key), dict):
            document[key].update(value)
        elif value is None:
            document.pop(key, None)
        else:
            document[key] = value
    with path.open("w") as handle:
        yaml.dump(document, handle)


def run_ids(state: Path) -> list[str]:
    with Journal(state / "journal.sqlite") as journal:
        return [record.run_id for record in journal.runs()]


def journal_states(state: Path, run_id: str, step: str) -> list[str]:
    with Journal(state / "journal.sqlite") as journal:
        return [str(entry.state) for entry in journal.entries(run_id) if entry.step == step]


def run_state(state: Path, run_id: str) -> str:
    with Journal(state / "journal.sqlite") as journal:
        return str(journal.run_state(run_id))
