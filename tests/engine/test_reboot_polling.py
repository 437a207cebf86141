"""A reboot's wait follows the plan's estimate: quiet after the first look, counted from
the journaled request (so a resumed reboot is polled from the start)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fake_cluster import Down, FakeCluster

from orchestrator.config.estimates import Estimates
from orchestrator.engine.journal import Journal
from orchestrator.engine.restarts import run_reboot
from orchestrator.engine.states import StepState
from orchestrator.engine.steps import StepContext, StepTimeouts
from orchestrator.engine.waits import PollPolicy

NODE, STEP, RUN = "sub1", "restart-wave-1/sub1", "run-1"
BACK_AFTER = 0.1  # seconds the fake node stays down after the request


class SlowReboot(FakeCluster):
    """Down for BACK_AFTER s after the request; counts the looks while it waits."""

    def __init__(self) -> None:
        super().__init__([NODE], "x.cop.sgn")
        self.looks = 0
        self.requested = False

    def last_boot(self, node: str) -> float | None:
        if self.requested:
            self.looks += 1
        return super().last_boot(node)

    def request_reboot(self, node: str) -> None:
        super().request_reboot(node)
        self.requested = True
        self.nodes[node].down = True
        threading.Timer(BACK_AFTER, self._back, [node]).start()

    def _back(self, node: str) -> None:
        self.nodes[node].down = False


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    journal = Journal(tmp_path / "journal.sqlite")
    journal.create_run(RUN, "c1", "{}", "inv.yml", "pb.yml")
    yield journal
    journal.close()


def context(cluster: FakeCluster, journal: Journal, quiet_share: float) -> StepContext:
    return StepContext(
        RUN,
        journal,
        cluster,  # type: ignore[arg-type]
        StepTimeouts(reboot=5, services=5),
        PollPolicy(first=0.01, ceiling=0.01, quiet_share=quiet_share),
        estimates=Estimates(reboot=0.4),
        transient=(Down,),
        previous=journal.steps(RUN),
    )


def test_a_fresh_reboot_is_looked_at_once_then_near_its_estimate(journal: Journal) -> None:
    quiet, eager = SlowReboot(), SlowReboot()
    run_reboot(context(quiet, journal, quiet_share=0.75), STEP, NODE, set())
    run_reboot(context(eager, journal, quiet_share=0.0), "other/sub1", NODE, set())
    # quiet: the first look, then 0.3 s later (well after BACK_AFTER) the one that finds it
    assert quiet.looks == 2
    assert eager.looks >= 4  # every 10 ms from the start
    assert journal.steps(RUN)[STEP].state == StepState.DONE


def test_a_resumed_reboot_counts_the_estimate_from_the_journaled_request(
    journal: Journal,
) -> None:
    cluster = SlowReboot()
    # killed after asking 10 s ago: the estimate is spent, polls start at once
    journal.write(
        RUN,
        StepState.REQUESTED,
        step=STEP,
        node=NODE,
        boot_before=1000.0,
        requested_at=time.time() - 10,
    )
    journal.write(RUN, StepState.DOWN, step=STEP, node=NODE)
    cluster.request_reboot(NODE)  # the node took it and is down for BACK_AFTER s
    cluster.looks = 0
    run_reboot(context(cluster, journal, quiet_share=0.75), STEP, NODE, set())
    assert cluster.looks >= 4  # a quiet 0.3 s would have made it 2
    assert journal.steps(RUN)[STEP].state == StepState.DONE
