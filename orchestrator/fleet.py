"""Fleet mode: roll one device pack out to many clusters from one process.

Each cluster is an ordinary run (its own run id, journal entries, lock, log file and
report); the fleet only bounds how many clusters run at once. A cluster that fails
stops only itself. SOAP WSDLs are parsed once per process (drivers/soap's cache), so
the clients of every cluster share them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import structlog
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from orchestrator import app, logs
from orchestrator.config.errors import ConfigError
from orchestrator.engine.rollout import Progress

INVENTORY_NAME = "inventory.yml"
PLAYBOOK_NAME = "playbook.yml"


@dataclass(frozen=True)
class FleetEntry:
    inventory: Path
    playbook: Path

    @property
    def label(self) -> str:
        return self.inventory.parent.name if self.inventory.name == INVENTORY_NAME else (
            self.inventory.stem
        )


@dataclass
class ClusterResult:
    entry: FleetEntry
    cluster: str
    status: str  # completed | failed | paused_window | error
    exit_code: int
    run_id: str | None = None
    message: str = ""
    seconds: float = 0.0


def load_fleet(path: Path) -> list[FleetEntry]:
    """A fleet YAML (``clusters: [{inventory: ..., playbook: ...}]``, paths relative to
    the file) or a directory whose sub-folders each hold inventory.yml + playbook.yml."""
    if path.is_dir():
        entries = [
            FleetEntry(folder / INVENTORY_NAME, folder / PLAYBOOK_NAME)
            for folder in sorted(p for p in path.iterdir() if p.is_dir())
            if (folder / INVENTORY_NAME).is_file() and (folder / PLAYBOOK_NAME).is_file()
        ]
        if not entries:
            raise app.UserError(
                f"{path}: no sub-folder holds both {INVENTORY_NAME} and {PLAYBOOK_NAME}",
                "one folder per cluster, each with inventory.yml and playbook.yml",
            )
        return entries
    try:
        document = YAML(typ="safe").load(path.read_text())
    except (OSError, YAMLError) as exc:
        raise app.UserError(f"{path}: cannot read the fleet file ({exc})") from None
    clusters = document.get("clusters") if isinstance(document, dict) else None
    if not isinstance(clusters, list) or not clusters:
        raise app.UserError(
            f"{path}: field clusters: expected a non-empty list",
            "clusters:\n  - inventory: inventory/a.yml\n    playbook: playbooks/a.yml",
        )
    entries = []
    for index, item in enumerate(clusters):
        if not (isinstance(item, dict) and {"inventory", "playbook"} <= set(item)):
            raise app.UserError(
                f"{path}: field clusters[{index}]: needs inventory and playbook",
                "each entry names an inventory file and a playbook file",
            )
        entries.append(
            FleetEntry(path.parent / str(item["inventory"]), path.parent / str(item["playbook"]))
        )
    return entries


class ClusterProgress(Progress):
    """Plain lines prefixed with the cluster, from many threads at once."""

    def __init__(self, cluster: str, stream: TextIO, lock: threading.Lock) -> None:
        self.cluster = cluster
        self.stream = stream
        self.lock = lock

    def _line(self, text: str) -> None:
        with self.lock:
            self.stream.write(f"[{self.cluster}] {text}\n")
            self.stream.flush()

    def stage(self, name: str, reason: str) -> None:
        self._line(f"== {name}")

    def message(self, text: str) -> None:
        self._line(text)


# Called after each cluster's run with (inputs, state dir, run id): the CLI writes the
# run's report there, as `devpack run` does.
AfterRun = Callable[[app.Inputs, Path, str], object]


def run_cluster(
    entry: FleetEntry,
    states: Path,
    progress: Callable[[str], Progress],
    after_run: AfterRun | None = None,
) -> ClusterResult:
    import time

    started = time.monotonic()
    result = ClusterResult(entry, entry.label, "error", app.EXIT_INPUT)
    try:
        inputs = app.load_inputs(entry.inventory, entry.playbook)
        result.cluster = inputs.inventory.cluster
        run_id = app.new_run_id(result.cluster)
        result.run_id = run_id
        # Every log line of this thread (and of the rollout's step threads, which copy
        # the context) carries the run id; logs.route_runs sends it to the run's file.
        with structlog.contextvars.bound_contextvars(run=run_id):
            gateway = app.open_gateway(inputs)
            try:
                plan, _ = app.make_plan(inputs, gateway)
                outcome = app.execute(
                    inputs, plan, states, progress(result.cluster), run_id=run_id,
                    gateway=gateway,
                )
            finally:
                gateway.close()
        result.status = outcome.status
        result.message = outcome.message if outcome.status == "completed" else (
            f"{outcome.message}; {outcome.hint}"
        )
        result.exit_code = {"completed": app.EXIT_OK, "paused_window": app.EXIT_PAUSED}.get(
            outcome.status, app.EXIT_FAILED
        )
        if after_run is not None:
            after_run(inputs, states, run_id)
    except ConfigError as exc:
        result.message = str(exc)
    except app.UserError as exc:
        result.exit_code = exc.exit_code
        result.message = exc.message + (f" ({exc.hint})" if exc.hint else "")
    except Exception as exc:  # one cluster's crash must not take the fleet down
        structlog.get_logger(__name__).exception("fleet: cluster crashed", cluster=entry.label)
        result.exit_code = app.EXIT_FAILED
        result.message = f"{type(exc).__name__}: {exc}"
    result.seconds = time.monotonic() - started
    return result


def run_fleet(
    entries: list[FleetEntry],
    states: Path,
    max_clusters: int,
    progress: Callable[[str], Progress] = lambda cluster: Progress(),
    after_run: AfterRun | None = None,
) -> list[ClusterResult]:
    """Every cluster, at most ``max_clusters`` at once; results in the fleet's order."""
    logs.route_runs(states / "fleet.log.jsonl")
    try:
        with ThreadPoolExecutor(
            max_workers=max(1, min(max_clusters, len(entries))), thread_name_prefix="cluster"
        ) as pool:
            futures = [
                pool.submit(run_cluster, entry, states, progress, after_run) for entry in entries
            ]
            return [future.result() for future in futures]
    finally:
        logs.route_runs(None)


def fleet_exit_code(results: list[ClusterResult]) -> int:
    """0 if every cluster completed, else the first non-zero code in fleet order."""
    return next((r.exit_code for r in results if r.exit_code != app.EXIT_OK), app.EXIT_OK)
