"""``devpack demo``: a real rollout against the embedded lab cluster, ending in a report.

The lab (publisher + 3 subscribers, two CallManager groups, a release that needs
reboots) runs in this process on loopback; the rollout talks to it over real SSH and
HTTPS exactly as it would to a real cluster.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import typer

from orchestrator.cli_options import CHANGE_ID, OPERATOR


def demo(
    workdir: Path = typer.Option(Path("build/demo"), "--workdir", help="Where the demo writes"),
    release: str = typer.Option("9.1.2.10000-28", "--release", help="The lab cluster's release"),
    profile: str = typer.Option("demo", "--profile", help="Lab timing: fast | demo | realistic"),
    change_id: str | None = CHANGE_ID,
    operator: str | None = OPERATOR,
) -> None:
    """Start the lab cluster, plan and run a device pack rollout, write the report."""
    from orchestrator import app, roll_out, ticket
    from orchestrator.cli_output import out, progress_for, show_result, user_errors
    from orchestrator.lab.config import demo_config
    from orchestrator.lab.runner import start_lab_cluster
    from orchestrator.planning.render import render_plan

    with user_errors():  # bad flags are refused before the lab starts
        flags = ticket.given(change_id, operator)
    if workdir.exists():
        shutil.rmtree(workdir)
    config = demo_config(release=release, profile=profile)  # type: ignore[arg-type]
    started = time.monotonic()
    cluster = start_lab_cluster(config, workdir)
    states = workdir / "state"
    try:
        endpoints = ", ".join(f"{e.name} {e.address}" for e in cluster.lab.endpoints.values())
        out.print(f"lab cluster {config.cluster} ({config.release}) is up: {endpoints}")
        out.print(f"inventory {cluster.inventory}\nplaybook  {cluster.playbook}")
        with user_errors():
            inputs = app.load_inputs(cluster.inventory, cluster.playbook)
            # the post-run audit reads the live lab, so the report is written (inside
            # roll_out) before the lab stops
            result = roll_out.roll_out(
                inputs,
                states,
                progress_for,
                show_plan=lambda plan: out.print(render_plan(plan)),
                ticket=flags,
            )
            code = show_result(result)
    finally:
        cluster.lab.stop()
    out.print(f"demo finished in {time.monotonic() - started:.1f} s; state in {states}")
    raise typer.Exit(code)
