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

from orchestrator import app, logs
from orchestrator.config.errors import ConfigError
from orchestrator.config.fields import unprintable
from orchestrator.config.loader import load_inventory
from orchestrator.config.yamlfile import load_yaml
from orchestrator.engine.cluster import DriverGateway
from orchestrator.engine.rollout import Progress
from orchestrator.errors import EXIT_INTERRUPTED

INVENTORY_NAME = "inventory.yml"
PLAYBOOK_NAME = "playbook.yml"


@dataclass(frozen=True)
class FleetEntry:
    inventory: Path
    playbook: Path

    @property
    def label(self) -> str:
        return (
            self.inventory.parent.name
            if self.inventory.name == INVENTORY_NAME
            else (self.inventory.stem)
        )


@dataclass
class ClusterResult:
    entry: FleetEntry
    cluster: str
    status: str  # completed | failed | paused_window | interrupted | not started | error
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
        return _distinct(path, entries)
    # bounded, regular files only, no alias bombs; a ConfigError names the file (exit 2)
    document = load_yaml(path).data
    clusters = document.get("clusters")
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
        if not all(isinstance(item[key], str) and item[key].strip()
                   and unprintable(item[key]) is None for key in ("inventory", "playbook")):
            raise app.UserError(
                f"{path}: field clusters[{index}]: inventory and playbook must be file paths",
                "write each path as text, relative to the fleet file",
            )
        entries.append(
            FleetEntry(path.parent / item["inventory"], path.parent / item["playbook"])
        )
    return _distinct(path, entries)


def _distinct(path: Path, entries: list[FleetEntry]) -> list[FleetEntry]:
    """Each cluster once: two entries for one cluster would fight over its lock."""
    seen: dict[str, FleetEntry] = {}
    for entry in entries:
        try:
            name = load_inventory(entry.inventory).cluster
        except ConfigError:
            continue  # reported as that cluster's error when its turn comes
        if name in seen:
            raise app.UserError(
                f"{path}: {seen[name].inventory} and {entry.inventory} both describe "
                f"cluster {name!r}",
                "list each cluster once (inventory `cluster:` names must be unique in a fleet)",
            )
        seen[name] = entry
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


# Called after each cluster's run with (inputs, state dir, run id, gateway): the CLI
# writes the run's report there, as `devpack run` does.
AfterRun = Callable[[app.Inputs, Path, str, DriverGateway], object]


def run_cluster(
    entry: FleetEntry,
    states: Path,
    progress: Callable[[str], Progress],
    after_run: AfterRun | None = None,
    stop: threading.Event | None = None,
) -> ClusterResult:
    import time

    started = time.monotonic()
    result = ClusterResult(entry, entry.label, "error", app.EXIT_INPUT)
    if stop is not None and stop.is_set():  # the fleet was interrupted before its turn
        result.status, result.exit_code = "not started", EXIT_INTERRUPTED
        result.message = "the fleet was interrupted before this cluster's turn"
        return result
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
                    inputs,
                    plan,
                    states,
                    progress(result.cluster),
                    run_id=run_id,
                    gateway=gateway,
                    stop=stop,
                )
                if after_run is not None:  # reuses the run's sessions for the audit
                    after_run(inputs, states, run_id, gateway)
            finally:
                gateway.close()
        result.status = outcome.status
        result.message = (
            outcome.message
            if outcome.status == "completed"
            else (f"{outcome.message}; {outcome.hint}")
        )
        result.exit_code = {
            "completed": app.EXIT_OK,
            "paused_window": app.EXIT_PAUSED,
            "interrupted": EXIT_INTERRUPTED,
        }.get(outcome.status, app.EXIT_PRECHECK if outcome.precheck else app.EXIT_FAILED)
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
) -> tuple[list[ClusterResult], bool]:
    """Every cluster, at most ``max_clusters`` at once; results in the fleet's order, and
    whether the fleet was interrupted (Ctrl-C / SIGTERM: running clusters stop at their
    next stage boundary, as a single run does; queued clusters never start)."""
    stop = threading.Event()
    interrupted = False
    logs.route_runs(states / "fleet.log.jsonl")
    try:
        with ThreadPoolExecutor(
            max_workers=max(1, min(max_clusters, len(entries))), thread_name_prefix="cluster"
        ) as pool:
            futures = [
                pool.submit(run_cluster, entry, states, progress, after_run, stop)
                for entry in entries
            ]
            try:
                for future in futures:
                    future.result()
            except KeyboardInterrupt:
                # Signals reach only this thread: tell the clusters' threads to stop.
                stop.set()
                interrupted = True
            return [future.result() for future in futures], interrupted
    finally:
        logs.route_runs(None)


def fleet_exit_code(results: list[ClusterResult], interrupted: bool = False) -> int:
    """130 if interrupted; 0 if every cluster completed; else the first non-zero code."""
    if interrupted:
        return EXIT_INTERRUPTED
    return next((r.exit_code for r in results if r.exit_code != app.EXIT_OK), app.EXIT_OK)
