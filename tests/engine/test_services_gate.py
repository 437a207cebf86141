"""The services gate and a service back "Commanded Out of Service" after a restart
(reference 9.3): it fails at once with Cisco's remedy, or, with the playbook option,
devpack starts it (journaled before the command) and judges again."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_cluster import Down, FakeCluster

from orchestrator.engine.gates import wait_services
from orchestrator.engine.gateway import ServiceState
from orchestrator.engine.journal import Journal
from orchestrator.engine.states import StepState
from orchestrator.engine.steps import StepContext, StepFailed, StepTimeouts
from orchestrator.engine.waits import PollPolicy

RUN, STEP, NODE = "run-1", "restart-wave-1/sub1", "sub1"
TOMCAT = "Cisco Tomcat"
OUT = "Commanded Out of Service"


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    journal = Journal(tmp_path / "journal.sqlite")
    journal.create_run(RUN, "c1", "{}", "inv.yml", "pb.yml")
    yield journal
    journal.close()


def held_out() -> FakeCluster:
    cluster = FakeCluster([NODE], "x.cop.sgn")
    cluster.nodes[NODE].services[TOMCAT] = ServiceState(TOMCAT, "STOPPED", OUT)
    return cluster


def context(cluster: FakeCluster, journal: Journal, start: bool) -> StepContext:
    return StepContext(
        RUN,
        journal,
        cluster,  # type: ignore[arg-type]
        StepTimeouts(services=30),
        PollPolicy(first=0.01, ceiling=0.01),
        transient=(Down,),
        start_out_of_service=start,
    )


def test_back_out_of_service_fails_at_once_with_the_remedy(journal: Journal) -> None:
    cluster = held_out()
    began = time.monotonic()
    with pytest.raises(StepFailed) as info:
        wait_services(context(cluster, journal, start=False), STEP, NODE, {TOMCAT})
    assert time.monotonic() - began < 5  # not the 30 s services timeout
    assert f"{TOMCAT} STOPPED ({OUT}), STARTED before the restart" in info.value.message
    assert f"utils service start {TOMCAT} on {NODE}" in info.value.hint
    assert info.value.node == NODE and cluster.count(f"start {TOMCAT}") == 0
    record = journal.steps(RUN)[STEP]
    assert record.state == StepState.FAILED and record.detail["outcome"] == "out_of_service"


def test_with_the_option_devpack_starts_it_journaled_first(journal: Journal) -> None:
    cluster = held_out()
    calls_when_journaled: list[int] = []
    write = journal.write

    def spy(run_id, state, **detail):  # type: ignore[no-untyped-def]
        if state == StepState.SERVICE_START_REQUESTED:
            calls_when_journaled.append(cluster.count(f"start {TOMCAT}"))
        return write(run_id, state, **detail)

    journal.write = spy  # type: ignore[method-assign]
    wait_services(context(cluster, journal, start=True), STEP, NODE, {TOMCAT})
    assert calls_when_journaled == [0]  # journaled before the command
    assert cluster.count(f"start {TOMCAT}", NODE) == 1
    states = [e.state for e in journal.steps(RUN)[STEP].history]
    assert states[-2:] == [StepState.SERVICE_START_REQUESTED, StepState.SERVICES_UP]


def test_with_the_option_a_service_that_falls_back_out_fails(journal: Journal) -> None:
    cluster = held_out()
    cluster.start_service = lambda node, service: cluster.calls.append(  # type: ignore[method-assign]
        (f"start {service}", node)
    )  # the command ran, the service stayed out of service
    with pytest.raises(StepFailed, match="fell back after `utils service start`"):
        wait_services(context(cluster, journal, start=True), STEP, NODE, {TOMCAT})
    assert cluster.count(f"start {TOMCAT}") == 1  # once, never in a loop
