"""Makespan of a real ``devpack run`` against a lab cluster, judged by the lab's clock.

The lab runs in this process; ``devpack`` runs as a child process exactly as a user
would start it. The rollout makespan is read from the lab's ground-truth events: from
the publisher's install starting to the last node being back (last service STARTED /
replication 2). The wall time of the whole command (imports, discovery, prechecks,
postchecks) is reported beside it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.bound import Bound, lower_bound, serial_bound
from bench.clusters import (
    INSTALL_PARALLEL,
    MAX_PARALLEL,
    SCALE,
    cluster_config,
    tune_playbook,
)
from bench.serial import serialise
from orchestrator.lab.events import Event
from orchestrator.lab.runner import start_lab_cluster
from orchestrator.planning.plan import Plan

DEVPACK = str(Path(sys.executable).with_name("devpack"))


@dataclass
class Measured:
    makespan: float  # lab truth: first install started -> last node back
    wall: float  # the devpack command, start to exit
    output: str
    events: list[Event]


def rollout_window(events: list[Event]) -> float:
    start = min(e.time for e in events if e.event == "install_started")
    back = [
        e.time
        for e in events
        if (e.event == "service_state" and e.data.get("state") == "STARTED")
        or (e.event == "replication_state" and e.data.get("state") == 2)
    ]
    return max(back) - start


def devpack(*args: str, timeout: float = 600) -> tuple[int, str, float]:
    started = time.monotonic()
    done = subprocess.run(
        [DEVPACK, *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def measure(subscribers: int, serial: bool, workdir: Path, scale: float = SCALE) -> Measured:
    config = cluster_config(subscribers, scale=scale)
    cluster = start_lab_cluster(config, workdir)
    try:
        tune_playbook(cluster.playbook, scale=scale)
        state = workdir / "state"
        args = ["-i", str(cluster.inventory), "-p", str(cluster.playbook)]
        run_args = ["run", *args, "--state-dir", str(state)]
        if serial:
            plan_file = workdir / "plan.json"
            code, output, _ = devpack("plan", *args, "--output", str(plan_file))
            if code != 0:
                raise RuntimeError(f"devpack plan failed ({code}):\n{output}")
            serial_file = workdir / "serial.json"
            plan = Plan.model_validate_json(plan_file.read_text())
            serial_file.write_text(serialise(plan).model_dump_json(indent=2))
            run_args += ["--plan", str(serial_file)]
        code, output, wall = devpack(*run_args)
        if code != 0:
            raise RuntimeError(f"devpack run failed ({code}):\n{output}")
        events = cluster.lab.events.all()
        return Measured(
            makespan=rollout_window(events),
            wall=wall,
            output=output,
            events=events,
        )
    finally:
        cluster.lab.stop()


@dataclass
class MakespanResult:
    subscribers: int
    bound: Bound
    serial_bound: float
    parallel: Measured
    serial: Measured | None

    @property
    def ratio(self) -> float:
        return self.parallel.makespan / self.bound.total

    @property
    def serial_ratio(self) -> float | None:
        return self.serial.makespan / self.parallel.makespan if self.serial else None


def run(subscribers: int, with_serial: bool = True, scale: float = SCALE) -> MakespanResult:
    config = cluster_config(subscribers, scale=scale)
    with tempfile.TemporaryDirectory(prefix=f"bench-1+{subscribers}-") as tmp:
        folder = Path(tmp)
        parallel = measure(subscribers, False, folder / "parallel", scale)
        serial = measure(subscribers, True, folder / "serial", scale) if with_serial else None
    return MakespanResult(
        subscribers,
        lower_bound(config, MAX_PARALLEL, INSTALL_PARALLEL),
        serial_bound(config),
        parallel,
        serial,
    )


if __name__ == "__main__":
    from bench.timeline import describe

    sizes = [int(a) for a in sys.argv[1:]] or [3]
    for size in sizes:
        result = run(size, with_serial=False)
        print("\n".join(describe(result.parallel.events)))
        b = result.bound
        print(
            f"1+{size}: bound {b.total:.2f} s (pub install {b.publisher_install:.2f}, "
            f"sub installs {b.subscriber_installs:.2f}, pub restart {b.publisher_restart:.2f}, "
            f"{b.waves} waves x {b.wave:.2f}); devpack {result.parallel.makespan:.2f} s "
            f"(wall {result.parallel.wall:.2f}) ratio {result.ratio:.3f}; serial "
            f"{result.serial.makespan if result.serial else 0:.2f} s "
            f"(bound {result.serial_bound:.2f}) ratio {result.serial_ratio or 0:.2f}"
        )
