"""``devpack fleet run``: many clusters from one process, a bounded number at once."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import typer
from rich.markup import escape

from orchestrator.cli_options import CHANGE_ID, JSON, OPERATOR, STATE_DIR

fleet_app = typer.Typer(help="Roll a device pack out to many clusters from one process.")


@fleet_app.command("run")
def fleet_run(
    fleet: Path = typer.Option(
        ..., "--fleet", help="Fleet YAML (clusters: inventory + playbook) or a folder of them"
    ),
    max_clusters: int = typer.Option(4, "--max-clusters", min=1, help="Clusters at once"),
    state_dir: Path | None = STATE_DIR,
    run_id: str | None = typer.Option(
        None,
        "--run-id",
        help="Choose the fleet run's id (a scheduler's); each cluster's run is "
        "<id>-<cluster>, and the same command again continues each of them",
    ),
    change_id: str | None = CHANGE_ID,
    operator: str | None = OPERATOR,
    as_json: bool = JSON,
) -> None:
    """Run every cluster of the fleet; each is an ordinary run (run id, lock, report)."""
    from orchestrator.cli_output import json_mode

    with json_mode("fleet run" if as_json else None):
        _fleet_run(fleet, max_clusters, state_dir, as_json, change_id, operator, run_id)


def _fleet_run(
    fleet: Path,
    max_clusters: int,
    state_dir: Path | None,
    as_json: bool,
    change_id: str | None = None,
    operator: str | None = None,
    run_id: str | None = None,
) -> None:
    from orchestrator import app, results, ticket
    from orchestrator.cli_output import err, out, sigterm_as_interrupt, user_errors
    from orchestrator.fleet import (
        ClusterProgress,
        check_fleet_run_id,
        fleet_exit_code,
        load_fleet,
        run_fleet,
    )

    states = app.state_dir(state_dir)
    lock = threading.Lock()
    with user_errors():
        if run_id is not None:
            check_fleet_run_id(run_id)
        app.check_state_dir(states)  # before any cluster is contacted
        flags = ticket.given(change_id, operator)
        entries = load_fleet(fleet)
    named = f" (fleet run {run_id})" if run_id else ""
    out.print(f"fleet{named}: {len(entries)} cluster(s), at most {max_clusters} at once")
    stream = sys.stderr if as_json else sys.stdout
    with sigterm_as_interrupt():
        ran, interrupted = run_fleet(
            entries,
            states,
            max_clusters,
            progress=lambda cluster: ClusterProgress(cluster, stream, lock),
            fleet_run_id=run_id,
            ticket=flags,
        )
    if interrupted:
        err.print(
            "fleet interrupted: running clusters stopped at a stage boundary, "
            "queued clusters were not started"
        )
    for result in ran:
        ok = result.exit_code == app.EXIT_OK
        line = (
            f"[{'green' if ok else 'red'}]{result.cluster}[/]: {result.status} in "
            f"{result.seconds:.0f} s (run {result.run_id or '-'})"
        )
        if not ok:
            line += f": {escape(result.message)}"
        (out if ok else err).print(line, highlight=False)
    code = fleet_exit_code(ran, interrupted)
    done = sum(r.exit_code == app.EXIT_OK for r in ran)
    out.print(f"fleet: {done} of {len(ran)} cluster(s) completed")
    if as_json:
        results.emit(
            results.fleet_document(ran, interrupted, code, flags.change_id, flags.operator, run_id)
        )
    raise typer.Exit(code)
