"""Makespan of a real ``devpack run`` against a lab cluster, judged by the lab's clock.

The lab runs in this process; ``devpack`` runs as a child process exactly as a user
would start it. The rollout makespan is read from the lab's ground-truth events: from
the publisher's install starting to the last node being back (last service STARTED /
replication 2). The wall time of the whole command (imports, discovery, prechecks,
postchecks) is reported beside it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
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
    cpu: float = 0.0  # user + system CPU seconds of the devpack process
    nodes: int = 1

    @property
    def cpu_per_node(self) -> float:
        return self.cpu / self.nodes


def rollout_window(events: list[Event]) -> float:
    start = min(e.time for e in events if e.event == "install_started")
    back = [
        e.time
        for e in events
        if (e.event == "service_state" and e.data.get("state") == "STARTED")
        or (e.event == "replication_state" and e.data.get("state") == 2)
    ]
    return max(back) - start


@dataclass
class Done:
    code: int
    output: str
    wall: float
    cpu: float  # user + system seconds of the devpack process alone (os.wait4)


def devpack(*args: str, timeout: float = 600) -> Done:
    """Run ``devpack ARGS``; its CPU comes from ``os.wait4`` on it alone."""
    started = time.monotonic()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen([DEVPACK, *args], stdout=out, stderr=subprocess.STDOUT)
        timer = threading.Timer(timeout, proc.kill)  # a hung run fails the bench, bounded
        timer.start()
        try:
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
        out.seek(0)
        output = out.read()
    cpu = usage.ru_utime + usage.ru_stime
    return Done(proc.returncode, output, time.monotonic() - started, cpu)


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
            planned = devpack("plan", *args, "--output", str(plan_file))
            if planned.code != 0:
                raise RuntimeError(f"devpack plan failed ({planned.code}):\n{planned.output}")
            serial_file = workdir / "serial.json"
            plan = Plan.model_validate_json(plan_file.read_text())
            serial_file.write_text(serialise(plan).model_dump_json(indent=2))
            run_args += ["--plan", str(serial_file)]
        done = devpack(*run_args)
        if done.code != 0:
            raise RuntimeError(f"devpack run failed ({done.code}):\n{done.output}")
        events = cluster.lab.events.all()
        return Measured(
            makespan=rollout_window(events),
            wall=done.wall,
            output=done.output,
            events=events,
            cpu=done.cpu,
            nodes=subscribers + 1,
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
