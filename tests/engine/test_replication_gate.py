"""The replication gate judges only a status check that started after the restarts it
follows; an older one (or a final one with a node not at 2) makes it start a new one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_cluster import Down, FakeCluster

from orchestrator.engine.gates import wait_replication
from orchestrator.engine.journal import Journal
from orchestrator.engine.states import StepState
from orchestrator.engine.steps import StepContext, StepFailed, StepTimeouts
from orchestrator.engine.waits import PollPolicy

RUN, GATE = "run-1", "gate/restart-wave-1"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    journal = Journal(tmp_path / "journal.sqlite")
    journal.create_run(RUN, "c1", "{}", "inv.yml", "pb.yml")
    yield journal
    journal.close()


def context(cluster: FakeCluster, journal: Journal) -> StepContext:
    return StepContext(
        RUN,
        journal,
        cluster,  # type: ignore[arg-type]
        StepTimeouts(replication=0.5),
        PollPolicy(first=0.01, ceiling=0.01),
        transient=(Down,),
    )


def accepted(journal: Journal) -> dict[str, object]:
    record = journal.steps(RUN)[GATE]
    assert record.state == StepState.REPLICATED
    return record.detail


def test_a_table_of_2s_from_before_the_reboot_is_not_enough(journal: Journal) -> None:
    cluster = FakeCluster(["pub", "sub1"], "x.cop.sgn")
    cluster.nodes["sub1"].boot = 2000.0  # rebooted after the check shown (started at 0)
    wait_replication(context(cluster, journal), GATE, 0.5, ["sub1"])
    assert cluster.count("replication check") == 1  # a new check was started
    detail = accepted(journal)
    assert detail["checks_started"] == 1 and "sub1 booted" in str(detail["after_restart"])
    assert detail["check_started"]


def test_a_check_from_after_the_restart_is_judged_as_it_is(journal: Journal) -> None:
    cluster = FakeCluster(["pub", "sub1"], "x.cop.sgn")
    cluster.check_started = cluster.nodes["sub1"].boot + 60
    wait_replication(context(cluster, journal), GATE, 0.5, ["sub1"])
    assert cluster.count("replication check") == 0
    assert accepted(journal)["checks_started"] == 0


def test_a_final_check_with_a_node_not_at_2_is_replaced_until_one_finds_2(
    journal: Journal,
) -> None:
    cluster = FakeCluster(["pub", "sub1"], "x.cop.sgn")
    cluster.replication_states["sub1"] = 0
    looks = 0
    check = cluster.replication_check

    def settling():  # type: ignore[no-untyped-def]
        nonlocal looks
        looks += 1
        if looks == 4:
            cluster.replication_states.clear()
        return check()

    cluster.replication_check = settling  # type: ignore[method-assign]
    wait_replication(context(cluster, journal), GATE, 0.5, ["sub1"])
    assert cluster.count("replication check") >= 3  # one per final, still-bad check
    assert accepted(journal)["checks_started"] == cluster.count("replication check")


def test_a_gate_that_never_sees_a_fresh_check_fails_naming_the_check(journal: Journal) -> None:
    cluster = FakeCluster(["pub", "sub1"], "x.cop.sgn")
    cluster.start_replication_check = lambda: None  # type: ignore[method-assign]
    cluster.nodes["sub1"].boot = 2000.0
    with pytest.raises(StepFailed) as info:
        wait_replication(context(cluster, journal), GATE, 0.2, ["sub1"])
    assert "not after the last restart" in info.value.message
    assert journal.steps(RUN)[GATE].state == StepState.FAILED
