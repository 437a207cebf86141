"""The benchmark's smoke run: each section of ``python -m bench --smoke`` at its smallest.

A refactor of the lab or the engine that breaks the benchmark (a renamed accessor, a
changed plan model, a CLI option gone) fails here instead of at the next ``make bench``.
The figures are printed and must be numbers, but they are not judged: only the full
``make bench`` judges them. One test per section, so pytest-xdist can overlap them with
the rest of the suite.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]

# The figures each section must print (a name, or the start of one whose tail carries a
# measured size).
SECTIONS: dict[str, list[str]] = {
    "makespan": [
        "1+3 lower bound",
        "1+3 devpack run rollout makespan",
        "1+3 makespan / lower bound",
        "1+3 serial rollout makespan",
        "1+3 serial / devpack",
    ],
    "fleet": [
        "fleet 1 x 1+2: clusters completed",
        "fleet 1 x 1+2: orchestrator CPU, share of one core",
        "fleet 1 x 1+2: orchestrator peak RSS",
        "fleet 1 x 1+2: makespan / one cluster's",
    ],
    "clients": [
        "fresh process: import devpack + read inputs",
        "first AXL query (WSDL + TLS + auth)",
        "first Control Center query (WSDL + TLS + auth)",
        "SSH login + first command (lab)",
        "one command on an open session (lab)",
        "SSH login + a command, warm, modern, 12.5 (lab)",
        "one poll on an open session, modern, 12.5 (lab)",
        "SSH login + a command, warm, legacy, 11.5 (lab)",
        "one poll on an open session, legacy, 11.5 (lab)",
        "Toolkit-size AXL WSDL (",
        "Toolkit-size WSDL: second client + query (cached)",
    ],
}


def table_values(output: str) -> dict[str, float]:
    """Figure name -> value from the table ``python -m bench`` prints."""
    values: dict[str, float] = {}
    for line in output.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| ") or len(cells) < 2 or cells[0] == "figure":
            continue
        values[cells[0]] = float(cells[1].split()[0])  # "18.6 s" -> 18.6
    return values


def figure(values: dict[str, float], name: str) -> float:
    matches = [value for shown, value in values.items() if shown.startswith(name)]
    assert len(matches) == 1, f"figure {name!r} not printed once; printed: {sorted(values)}"
    return matches[0]


def smoke(section: str) -> dict[str, float]:
    path = os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p)
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--only", section],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": path},
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    assert done.returncode == 0, f"bench --smoke --only {section} failed:\n{done.stderr[-3000:]}"
    assert "not judged" in done.stdout
    return table_values(done.stdout)


@pytest.mark.parametrize("section", list(SECTIONS))
def test_bench_section_completes_and_prints_its_figures(section: str) -> None:
    values = smoke(section)
    assert len(values) == len(SECTIONS[section]), values
    for name in SECTIONS[section]:
        value = figure(values, name)
        assert math.isfinite(value) and value > 0, f"{name}: {value}"
    if section == "makespan":
        # The rollout cannot beat the lab's own critical path (a little clock slack).
        assert figure(values, "1+3 makespan / lower bound") > 0.95
    if section == "fleet":
        assert figure(values, "fleet 1 x 1+2: clusters completed") == 1
