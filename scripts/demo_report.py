#!/usr/bin/env python3
"""Produce docs/demo-report.png from a real rollout on the lab.

    .venv/bin/python scripts/demo_report.py [docs/demo-report.png]

Starts the demo lab cluster (publisher + 3 subscribers, release 9.1: installs and
reboots), runs ``devpack run`` against it over real SSH and HTTPS, and screenshots the
run's report.html in headless Chromium (see screenshot_report.py). Takes about a minute.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from screenshot_report import screenshot

from orchestrator.lab.config import demo_config
from orchestrator.lab.runner import start_lab_cluster

ROOT = Path(__file__).resolve().parents[1]


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else ROOT / "docs" / "demo-report.png"
    folder = Path(tempfile.mkdtemp(prefix="devpack-demo-report-"))
    cluster = start_lab_cluster(demo_config(release="9.1.2.10000-28", profile="demo"), folder)
    try:
        state = folder / "state"
        run = subprocess.run(
            [sys.executable, "-c", "from orchestrator.cli import main; main()", "run",
             "-i", str(cluster.inventory), "-p", str(cluster.playbook),
             "--state-dir", str(state)],
            capture_output=True, text=True, timeout=600,
        )
        if run.returncode != 0:
            print(run.stdout[-3000:], run.stderr[-3000:], sep="\n", file=sys.stderr)
            return run.returncode
    finally:
        cluster.lab.stop()
    [report] = list((state / "runs").glob("*/report/report.html"))
    screenshot(report, target, width=1400, height=1700)
    kept = ROOT / "build" / "demo-report"
    shutil.rmtree(kept, ignore_errors=True)
    shutil.copytree(report.parent, kept)
    shutil.rmtree(folder, ignore_errors=True)
    print(f"{target} (report files kept in {kept})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
