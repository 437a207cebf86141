"""The critical-path lower bound a rollout can reach under devpack's safety rules.

Computed from the lab's own timing model (what the lab *will* take), not from
anything the engine measures: publisher install; subscriber installs in rounds of at
most ``install_parallel``; publisher reboot until its services are STARTED and
replication is 2; then the fewest redundancy-safe waves, each as long as one reboot.
Zero time is allowed for SSH dialogs, downloads, polling and reconnects: that is the
engine's overhead the ratio exposes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from orchestrator.cucm import texts
from orchestrator.lab.config import LabConfig, NodeSpec
from orchestrator.lab.nodes import boot_sequence
from orchestrator.lab.timing import Timing, timing_for
from orchestrator.planning.waves import WaveProblem, schedule_waves


@dataclass(frozen=True)
class Bound:
    publisher_install: float
    subscriber_installs: float
    publisher_restart: float
    waves: int
    wave: float
    optimal_waves: bool

    @property
    def total(self) -> float:
        return (
            self.publisher_install
            + self.subscriber_installs
            + self.publisher_restart
            + self.waves * self.wave
        )


def back_after_boot(timing: Timing, node: NodeSpec) -> float:
    """Seconds from boot until every activated service is STARTED and replication is 2
    (the lab's boot schedule: one service step apart, each STARTING for a while)."""
    activated = boot_sequence(node)
    step, starting = timing.service_step_seconds, timing.service_starting_seconds
    last_service = (len(activated) - 1) * step + starting
    replicator = activated.index(texts.SVC_DB_REPLICATOR)
    replicated = replicator * step + starting + timing.replication_settle_seconds
    return max(last_service, replicated)


def reboot_seconds(timing: Timing, node: NodeSpec) -> float:
    return timing.shutdown_seconds + timing.reboot_down_seconds + back_after_boot(timing, node)


def wave_problem(config: LabConfig, max_parallel: int) -> WaveProblem:
    subs = [n for n in config.nodes if n.role == "subscriber"]
    publisher = next(n for n in config.nodes if n.role == "publisher")
    return WaveProblem(
        nodes=tuple(sorted(n.name for n in subs)),
        groups={g: list(m) for g, m in config.groups.items()},
        tftp=frozenset(n.name for n in subs if n.tftp),
        tftp_elsewhere=publisher.tftp,
        max_parallel=max_parallel,
    )


def lower_bound(config: LabConfig, max_parallel: int, install_parallel: int) -> Bound:
    timing = timing_for(config.profile, config.timing)
    subs = [n for n in config.nodes if n.role == "subscriber"]
    publisher = next(n for n in config.nodes if n.role == "publisher")
    schedule = schedule_waves(wave_problem(config, max_parallel))
    return Bound(
        publisher_install=timing.install_seconds * timing.publisher_install_factor,
        subscriber_installs=math.ceil(len(subs) / install_parallel) * timing.install_seconds,
        publisher_restart=reboot_seconds(timing, publisher),
        waves=len(schedule.waves),
        wave=min(reboot_seconds(timing, n) for n in subs),
        optimal_waves=schedule.optimal,
    )


def serial_bound(config: LabConfig) -> float:
    """One node at a time, install then reboot, publisher first (a per-node script)."""
    timing = timing_for(config.profile, config.timing)
    total = 0.0
    for node in config.nodes:
        factor = timing.publisher_install_factor if node.role == "publisher" else 1.0
        total += timing.install_seconds * factor + reboot_seconds(timing, node)
    return total
