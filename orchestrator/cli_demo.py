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


def demo(
    workdir: Path = typer.Option(Path("build/demo"), "--workdir", help="Where the demo writes"),
    release: str = typer.Option("9.1.2.10000-28", "--release", help="The lab cluster's release"),
    profile: str = typer.Option("demo", "--profile", help="Lab timing: fast | demo | realistic"),
) -> None:
    """Start the lab cluster, plan and run a device pack rollout, write the report."""
    from orchestrator import app
    from orchestrator.cli import (
        _with_audit,
        out,
        report_outcome,
        run_with_progress,
        user_errors,
    )
    from orchestrator.lab.config import demo_config
    from orchestrator.lab.runner import start_lab_cluster
    from orchestrator.planning.render import render_plan
    from orchestrator.report.command import write_report_after_run

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
            gateway = app.open_gateway(inputs)
            try:
                plan, _ = app.make_plan(inputs, gateway)
                out.print(render_plan(plan))
                outcome = run_with_progress(
                    plan,
                    lambda progress: app.execute(inputs, plan, states, progress, gateway=gateway),
                )
                code = report_outcome(outcome, states, plan)
                # the post-run audit reads the live lab (over the run's sessions), so the
                # report is written before the lab stops
                report = write_report_after_run(inputs, states, outcome.run_id, gateway)
            finally:
                gateway.close()
            code = _with_audit(code, report)
    finally:
        cluster.lab.stop()
    out.print(f"demo finished in {time.monotonic() - started:.1f} s; state in {states}")
    raise typer.Exit(code)
