"""Fleet mode: roll one device pack out to many clusters from one process.

Each cluster is an ordinary run (its own run id, journal entries, lock, log file and
report); the fleet only bounds how many clusters run at once. A cluster that fails
stops only itself. A fleet run id (``--run-id``, a scheduler's) gives every cluster the
run id ``<fleet id>-<cluster>``, so the same command again continues each cluster's run
where it stands, exactly as ``devpack run --run-id`` does for one cluster.
SOAP WSDLs are parsed once per process (drivers/soap's cache), so the clients of every
cluster share them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import structlog

from orchestrator import app, logs, parallel, roll_out
from orchestrator.config.errors import ConfigError
from orchestrator.config.fields import MAX_CLUSTER_NAME, unprintable
from orchestrator.config.loader import load_inventory, load_playbook
from orchestrator.config.yamlfile import load_yaml
from orchestrator.drivers.sftp.server import serve_conflict
from orchestrator.engine.rollout import ProgressView
from orchestrator.engine.states import RunState
from orchestrator.errors import EXIT_FAILED, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_OK, UserError
from orchestrator.planning.plan import Plan
from orchestrator.ticket import TicketFlags

INVENTORY_NAME = "inventory.yml"
PLAYBOOK_NAME = "playbook.yml"


# Every cluster's run id is the fleet's, '-' and the cluster's name (both safe names), so
# the fleet's id leaves room for the longest cluster name.
MAX_FLEET_RUN_ID = app.MAX_RUN_ID - MAX_CLUSTER_NAME - 1


def check_fleet_run_id(run_id: str) -> str:
    """``fleet run --run-id``: a safe name short enough for every cluster's run id."""
    app.check_run_id(run_id)
    if len(run_id) > MAX_FLEET_RUN_ID:
        raise UserError(
            f"--run-id {run_id!r} is {len(run_id)} characters long",
            f"a fleet's run id has at most {MAX_FLEET_RUN_ID}: each cluster's run id is "
            "it, '-' and the cluster's name",
        )
    return run_id


def cluster_run_id(fleet_run_id: str, cluster: str) -> str:
    """The run id of ``cluster`` in the fleet run ``fleet_run_id`` (the same every time)."""
    return f"{fleet_run_id}-{cluster}"


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
            raise UserError(
                f"{path}: no sub-folder holds both {INVENTORY_NAME} and {PLAYBOOK_NAME}",
                "one folder per cluster, each with inventory.yml and playbook.yml",
            )
        return _checked(path, entries)
    # bounded, regular files only, no alias bombs; a ConfigError names the file (exit 2)
    document = load_yaml(path).data
    clusters = document.get("clusters")
    if not isinstance(clusters, list) or not clusters:
        raise UserError(
            f"{path}: field clusters: expected a non-empty list",
            "clusters:\n  - inventory: inventory/a.yml\n    playbook: playbooks/a.yml",
        )
    entries = []
    for index, item in enumerate(clusters):
        if not (isinstance(item, dict) and {"inventory", "playbook"} <= set(item)):
            raise UserError(
                f"{path}: field clusters[{index}]: needs inventory and playbook",
                "each entry names an inventory file and a playbook file",
            )
        if not all(
            isinstance(item[key], str) and item[key].strip() and unprintable(item[key]) is None
            for key in ("inventory", "playbook")
        ):
            raise UserError(
                f"{path}: field clusters[{index}]: inventory and playbook must be file paths",
                "write each path as text, relative to the fleet file",
            )
        entries.append(FleetEntry(path.parent / item["inventory"], path.parent / item["playbook"]))
    return _checked(path, entries)


def _checked(path: Path, entries: list[FleetEntry]) -> list[FleetEntry]:
    """Each cluster once (two entries for one cluster would fight over its lock), and
    clusters naming one sftp.serve address agree on its port (they share its server)."""
    seen: dict[str, FleetEntry] = {}
    served: dict[str, tuple[int, str]] = {}  # address -> (port, first cluster naming it)
    for entry in entries:
        try:
            name = load_inventory(entry.inventory).cluster
            serve = load_playbook(entry.playbook).sftp.serve
        except ConfigError:
            continue  # reported as that cluster's error when its turn comes
        if name in seen:
            raise UserError(
                f"{path}: {seen[name].inventory} and {entry.inventory} both describe "
                f"cluster {name!r}",
                "list each cluster once (inventory `cluster:` names must be unique in a fleet)",
            )
        seen[name] = entry
        if serve is None:
            continue
        asked = (serve.port, f"cluster {name}")
        conflict = serve_conflict(serve.address, served.setdefault(serve.address, asked), asked)
        if conflict is not None:
            raise UserError(f"{path}: {conflict.message}", conflict.hint)
    return entries


class ClusterProgress(ProgressView):
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


def run_cluster(
    entry: FleetEntry,
    states: Path,
    progress: Callable[[str], ProgressView],
    stop: threading.Event | None = None,
    ticket: TicketFlags | None = None,
    fleet_run_id: str | None = None,
) -> ClusterResult:
    """One cluster of the fleet: an ordinary run (``roll_out``: plan, execute, post-run
    audit and report), its exit code by the same rule as ``devpack run``'s; with
    ``fleet_run_id``, the cluster's run of that fleet run is continued if the journal
    has it (``roll_out.continue_run``). Whatever happens, a ClusterResult comes back: one
    cluster's failure stops only itself."""
    started = time.monotonic()
    result = ClusterResult(entry, entry.label, "error", EXIT_INPUT)
    if stop is not None and stop.is_set():  # the fleet was interrupted before its turn
        result.status, result.exit_code = "not started", EXIT_INTERRUPTED
        result.message = "the fleet was interrupted before this cluster's turn"
        return result
    try:
        result.cluster = load_inventory(entry.inventory).cluster
        view = progress(result.cluster)

        def progress_for(plan: Plan) -> AbstractContextManager[ProgressView]:
            return nullcontext(view)

        run = None
        if fleet_run_id is not None:
            result.run_id = cluster_run_id(fleet_run_id, result.cluster)
            run = roll_out.continue_run(
                states,
                result.run_id,
                entry.inventory,
                entry.playbook,
                progress_for,
                announce=view.message,
                stop=stop,
                ticket=ticket,
            )
        if run is None:
            inputs = app.load_inputs(entry.inventory, entry.playbook)
            result.run_id = result.run_id or app.new_run_id(result.cluster)
            run = roll_out.roll_out(
                inputs,
                states,
                progress_for,
                run_id=result.run_id,
                stop=stop,
                ticket=ticket,
            )
        _describe(result, run, view)
    except ConfigError as exc:
        result.message = str(exc)
    except UserError as exc:
        result.exit_code = exc.exit_code
        result.message = exc.message + (f" ({exc.hint})" if exc.hint else "")
    except Exception as exc:  # one cluster's crash must not take the fleet down
        structlog.get_logger(__name__).exception("fleet: cluster crashed", cluster=entry.label)
        result.exit_code = EXIT_FAILED
        result.message = f"{type(exc).__name__}: {exc}"
    result.seconds = time.monotonic() - started
    return result


def _describe(result: ClusterResult, run: roll_out.RunResult, view: ProgressView) -> None:
    outcome = run.outcome
    result.exit_code = roll_out.exit_code(run)
    result.status = str(outcome.status if outcome is not None else RunState.COMPLETED)
    if outcome is None:  # a continued run that had completed already
        result.message = (
            "already completed; nothing to do"
            if run.already_complete
            else "completed earlier; its post-run audit and report written now"
        )
        if run.audit_found_errors:
            assert run.report is not None
            result.message += f", but the post-run audit found {run.report.errors} error(s)"
    elif outcome.status != RunState.COMPLETED:
        result.message = f"{outcome.message}; {outcome.hint}"
    elif run.audit_found_errors:
        assert run.report is not None
        result.message = (
            f"{outcome.message}, but the post-run audit found {run.report.errors} error(s): "
            f"the cluster is not right (see {run.report.folder})"
        )
    else:
        result.message = outcome.message
    report = run.report
    if report is not None and report.folder is not None:
        view.message(
            f"report: {report.folder / 'report.html'}; post-run audit: "
            + (
                f"{report.errors} error(s), {report.warnings} warning(s)"
                if report.errors or report.warnings
                else "clean"
            )
        )
    elif report is not None:
        view.message(f"warning: could not write the run's report: {report.failure}")


def run_fleet(
    entries: list[FleetEntry],
    states: Path,
    max_clusters: int,
    progress: Callable[[str], ProgressView] = lambda cluster: ProgressView(),
    ticket: TicketFlags | None = None,
    fleet_run_id: str | None = None,
) -> tuple[list[ClusterResult], bool]:
    """Every cluster, at most ``max_clusters`` at once; results in the fleet's order, and
    whether the fleet was interrupted (Ctrl-C / SIGTERM: running clusters stop at their
    next stage boundary, as a single run does; queued clusters never start).

    Each cluster is ``run_cluster``: an ordinary ``roll_out`` whose exit code follows the
    same rule as ``devpack run``'s (``roll_out.exit_code``, post-run audit included).
    Log lines go to each run's own log by the run id bound in its thread (lines of no
    run: ``<state>/fleet.log.jsonl``)."""
    stop = threading.Event()
    logs.route_runs(states / "fleet.log.jsonl")
    try:
        settled = parallel.settle(
            lambda entry: run_cluster(entry, states, progress, stop, ticket, fleet_run_id),
            entries,
            limit=max_clusters,
            name="cluster",
            # signals reach only this thread: tell the clusters' threads to stop
            on_interrupt=stop.set,
            reraise_interrupt=False,
        )
    finally:
        logs.route_runs(None)
    results = []
    for entry, end in zip(entries, settled, strict=True):
        if end.error is not None:  # run_cluster catches everything but an interrupt
            failed = ClusterResult(entry, entry.label, "interrupted", EXIT_INTERRUPTED)
            failed.message = str(end.error) or type(end.error).__name__
            results.append(failed)
        else:
            assert end.value is not None
            results.append(end.value)
    return results, stop.is_set()


def fleet_exit_code(results: list[ClusterResult], interrupted: bool = False) -> int:
    """130 if interrupted; 0 if every cluster completed (post-run audit clean of errors,
    as for ``devpack run``); else the first non-zero code."""
    if interrupted:
        return EXIT_INTERRUPTED
    return next((r.exit_code for r in results if r.exit_code != EXIT_OK), EXIT_OK)
