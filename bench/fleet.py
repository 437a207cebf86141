"""Fleet scale: 20 lab clusters of 8 nodes from one ``devpack fleet run`` process.

The labs live in a child process (bench.labhost); ``devpack`` in another, whose CPU
time and peak RSS come from ``os.wait4`` on it alone. The same command on one cluster
of the same shape gives the single-cluster makespan to compare with.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.clusters import REBOOT_RELEASE
from bench.makespan import DEVPACK

CLUSTERS = 20
SUBSCRIBERS = 7  # 1+7 = 8 nodes
# Slower than the makespan benchmark (1/400): 160 simulated nodes and the orchestrator
# share this machine's cores, and polls per second scale with 1/SCALE.
SCALE = 1 / 200


@dataclass
class FleetRun:
    clusters: int
    wall: float
    cpu_user: float
    cpu_system: float
    max_rss_mib: float
    completed: int
    output: str
    lab_cpu: float = 0.0  # the lab host process, for contrast (same machine)

    @property
    def cpu(self) -> float:
        return self.cpu_user + self.cpu_system

    @property
    def cpu_share(self) -> float:
        """Average share of one core over the run."""
        return self.cpu / self.wall


def start_labs(
    folder: Path, count: int, subscribers: int, scale: float, release: str = REBOOT_RELEASE
) -> subprocess.Popen:
    labs = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.labhost",
            str(folder),
            str(count),
            str(subscribers),
            str(scale),
            release,
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert labs.stdout is not None
    line = labs.stdout.readline()
    if line.strip() != "ready":
        labs.kill()
        raise RuntimeError(f"lab host did not start: {line!r}")
    return labs


def fleet_run(count: int, subscribers: int = SUBSCRIBERS, scale: float = SCALE) -> FleetRun:
    with tempfile.TemporaryDirectory(prefix=f"bench-fleet-{count}-") as tmp:
        folder = Path(tmp)
        labs = start_labs(folder, count, subscribers, scale)
        try:
            log = (folder / "devpack.out").open("w+")
            started = time.monotonic()
            proc = subprocess.Popen(
                [
                    DEVPACK,
                    "fleet",
                    "run",
                    "--fleet",
                    str(folder / "fleet"),
                    "--max-clusters",
                    str(count),
                    "--state-dir",
                    str(folder / "state"),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.monotonic() - started
            log.seek(0)
            output = log.read()
        finally:
            assert labs.stdin is not None
            labs.stdin.close()
            _, _, lab_usage = os.wait4(labs.pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise RuntimeError(f"devpack fleet run exited {code}:\n{output[-3000:]}")
    return FleetRun(
        clusters=count,
        wall=wall,
        cpu_user=usage.ru_utime,
        cpu_system=usage.ru_stime,
        max_rss_mib=usage.ru_maxrss / 1024,  # Linux reports KiB
        completed=output.count(": completed in "),
        output=output,
        lab_cpu=lab_usage.ru_utime + lab_usage.ru_stime,
    )


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else CLUSTERS
    for n in (1, count):
        r = fleet_run(n)
        print(
            f"{n} cluster(s): wall {r.wall:.1f} s, cpu {r.cpu:.1f} s ({100 * r.cpu_share:.0f}% "
            f"of a core), rss {r.max_rss_mib:.0f} MiB, completed {r.completed}"
        )
