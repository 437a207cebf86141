"""Fleet scale: 20 lab clusters of 8 nodes from one ``devpack fleet run`` process.

The labs live in a child process (bench.labhost); ``devpack`` in another, whose CPU
time and peak RSS come from ``os.wait4`` on it alone, its threads and sockets from
/proc (bench.proc), and the start of each cluster's first install from the lab's
ground truth. The same command on one cluster of the same shape is the reference for
the per-cluster memory. Figures are per node or per cluster, so they do not depend on
how far the two shared cores let the lab keep up (a makespan ratio did).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.clusters import REBOOT_RELEASE
from bench.makespan import DEVPACK
from bench.proc import Peaks, Sampler

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
    nodes: int
    peaks: Peaks
    # seconds from the command's start to each cluster's first install (lab truth)
    first_installs: list[float]
    lab_cpu: float = 0.0  # the lab host process, for contrast (same machine)

    @property
    def cpu(self) -> float:
        return self.cpu_user + self.cpu_system

    @property
    def cpu_per_node(self) -> float:
        """Orchestrator CPU seconds per node rolled out: independent of the clock's scale
        as far as polls are (a poll costs the same CPU at any pace)."""
        return self.cpu / self.nodes

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
            started_epoch = time.time()  # the lab's events are stamped with time.time()
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
            sampler = Sampler(proc.pid).start()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.monotonic() - started
            peaks = sampler.stop()
            log.seek(0)
            output = log.read()
        finally:
            assert labs.stdin is not None
            labs.stdin.close()
            _, _, lab_usage = os.wait4(labs.pid, 0)
        firsts_file = folder / "first-installs.json"
        firsts = json.loads(firsts_file.read_text()) if firsts_file.exists() else {}
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
        nodes=count * (subscribers + 1),
        peaks=peaks,
        first_installs=sorted(at - started_epoch for at in firsts.values()),
        lab_cpu=lab_usage.ru_utime + lab_usage.ru_stime,
    )


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else CLUSTERS
    for n in (1, count):
        r = fleet_run(n)
        print(
            f"{n} cluster(s): wall {r.wall:.1f} s, cpu {r.cpu:.1f} s ({r.cpu_per_node:.3f} "
            f"per node), rss {r.max_rss_mib:.0f} MiB, threads {r.peaks.threads}, sockets "
            f"{r.peaks.sockets}, completed {r.completed}"
        )
