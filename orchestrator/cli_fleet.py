"""``devpack fleet run``: many clusters from one process, a bounded number at once."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import typer
from rich.markup import escape

fleet_app = typer.Typer(help="Roll a device pack out to many clusters from one process.")


@fleet_app.command("run")
def fleet_run(
    fleet: Path = typer.Option(
        ..., "--fleet", help="Fleet YAML (clusters: inventory + playbook) or a folder of them"
    ),
    max_clusters: int = typer.Option(4, "--max-clusters", min=1, help="Clusters at once"),
    state_dir: Path | None = typer.Option(
        None, "--state-dir", help="Journal and run folders (default .devpack)"
    ),
) -> None:
    """Run every cluster of the fleet; each is an ordinary run (run id, lock, report)."""
    from orchestrator import app
    from orchestrator.cli_output import err, out, sigterm_as_interrupt, user_errors
    from orchestrator.fleet import ClusterProgress, fleet_exit_code, load_fleet, run_fleet

    states = app.state_dir(state_dir)
    lock = threading.Lock()
    with user_errors():
        app.check_state_dir(states)  # before any cluster is contacted
        entries = load_fleet(fleet)
    out.print(f"fleet: {len(entries)} cluster(s), at most {max_clusters} at once")
    with sigterm_as_interrupt():
        results, interrupted = run_fleet(
            entries,
            states,
            max_clusters,
            progress=lambda cluster: ClusterProgress(cluster, sys.stdout, lock),
        )
    if interrupted:
        err.print(
            "fleet interrupted: running clusters stopped at a stage boundary, "
            "queued clusters were not started"
        )
    for result in results:
        ok = result.exit_code == app.EXIT_OK
        line = (
            f"[{'green' if ok else 'red'}]{result.cluster}[/]: {result.status} in "
            f"{result.seconds:.0f} s (run {result.run_id or '-'})"
        )
        if not ok:
            line += f": {escape(result.message)}"
        (out if ok else err).print(line, highlight=False)
    code = fleet_exit_code(results, interrupted)
    done = sum(r.exit_code == app.EXIT_OK for r in results)
    out.print(f"fleet: {done} of {len(results)} cluster(s) completed")
    raise typer.Exit(code)
