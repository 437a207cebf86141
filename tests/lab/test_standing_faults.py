"""Faults switched at run time (as `lab up --faults-file` does) and dbreplication repair."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

from orchestrator.cucm import texts
from orchestrator.lab.config import FaultKind, FaultSpec

from .conftest import MENU_11, LabHandle, initiate_11, switch

SETTLE = 0.3  # replication_settle_seconds in these tests


def state_of(cli_output: str, node: str) -> int:
    match = re.search(rf"^{node}\s.*\((\d)\) ", cli_output, re.MULTILINE)
    assert match, cli_output
    return int(match.group(1))


def replication_states(lab: LabHandle, node: str) -> list[int]:
    return [e.data["state"] for e in lab.world.events.select("replication_state", node)]


def test_stale_wizard_switched_on_and_off_at_run_time(lab: LabHandle) -> None:
    cli = lab.login("cucmpub")
    switch(lab, FaultSpec(kind=FaultKind.STALE_UPGRADE_WIZARD, node="cucmpub"))
    cli.send("utils system upgrade initiate\r")
    assert texts.ANOTHER_SESSION in cli.answer(texts.ASSUME_CONTROL, "no")
    cli.prompt()
    sub = lab.login("cucmsub1")  # only the named node has the stale wizard
    sub.send("utils system upgrade initiate\r")
    assert texts.ANOTHER_SESSION not in sub.answer(MENU_11, "q")
    sub.prompt()

    switch(lab)  # the fault is cleared: the phantom owner goes with it
    cli.send("utils system upgrade initiate\r")
    assert texts.ANOTHER_SESSION not in cli.answer(MENU_11, "q")
    cli.prompt()
    assert lab.world.nodes["cucmpub"].upgrade.owner is None


def test_a_cancelled_stale_wizard_stays_cleared_while_the_fault_stays_on(lab: LabHandle) -> None:
    stale = FaultSpec(kind=FaultKind.STALE_UPGRADE_WIZARD, node="cucmpub")
    switch(lab, stale)
    cli = lab.login("cucmpub")
    assert texts.UPGRADE_CANCELED in cli.run("utils system upgrade cancel")
    # another change of the faults file, the stale fault still listed: not re-armed
    switch(lab, stale, FaultSpec(kind=FaultKind.DISK_FULL, node="cucmsub1"))
    cli.send("utils system upgrade initiate\r")
    assert texts.ANOTHER_SESSION not in cli.answer(MENU_11, "q")
    cli.prompt()


def test_clearing_the_stale_fault_leaves_a_live_session_in_the_wizard(lab: LabHandle) -> None:
    holder = lab.login("cucmsub1")
    holder.send("utils system upgrade initiate\r")
    holder.read_until(re.escape(MENU_11))
    stale = FaultSpec(kind=FaultKind.STALE_UPGRADE_WIZARD, node="cucmsub1")
    switch(lab, stale)
    switch(lab)
    assert lab.world.nodes["cucmsub1"].upgrade.owner is not None  # the live session kept it
    holder.send("q\r")
    holder.prompt()


def test_disk_full_switched_on_at_run_time(make_lab: Callable[..., LabHandle]) -> None:
    lab = make_lab()
    cli = lab.login("cucmsub1")
    switch(lab, FaultSpec(kind=FaultKind.DISK_FULL, node="cucmsub1"))
    initiate_11(cli, lab)
    cli.answer('Please select an option (1 - 1 or "q" ):', "1")
    assert texts.ERR_DISK_SPACE in cli.prompt()


def test_replication_stuck_holds_through_repair_and_recovers_when_cleared(
    make_lab: Callable[..., LabHandle],
) -> None:
    lab = make_lab(timing={"replication_settle_seconds": SETTLE})
    pub = lab.login("cucmpub")
    switch(lab, FaultSpec(kind=FaultKind.REPLICATION_STUCK, node="cucmsub1", state=4))
    assert state_of(pub.run("utils dbreplication runtimestate"), "cucmsub1") == 4

    out = pub.run("utils dbreplication repair all")
    assert "Replication Repair is now running in the background." in out
    assert texts.COMMAND_FAILED not in out
    assert lab.world.events.select("replication_repair", "cucmpub", reset=False)
    time.sleep(SETTLE * 2)
    assert state_of(pub.run("utils dbreplication runtimestate"), "cucmsub1") == 4

    cleared = time.monotonic()
    switch(lab)
    sub = lab.world.nodes["cucmsub1"]
    assert sub.replication == 4  # not at once: replication needs the settle time
    assert lab.world.wait_for(lambda: sub.replication == 2, 5)
    assert time.monotonic() - cleared >= SETTLE * 0.9
    assert replication_states(lab, "cucmsub1") == [4, 2]
    assert state_of(pub.run("utils dbreplication runtimestate"), "cucmsub1") == 2
    assert replication_states(lab, "cucmpub") == []  # the other nodes were never touched


def test_reset_all_goes_through_0_to_2_and_a_stuck_node_stays_stuck(
    make_lab: Callable[..., LabHandle],
) -> None:
    lab = make_lab(timing={"replication_settle_seconds": SETTLE})
    switch(lab, FaultSpec(kind=FaultKind.REPLICATION_STUCK, node="cucmsub1", state=3))
    pub = lab.login("cucmpub")
    out = pub.run("utils dbreplication reset all")
    assert "Replication reset" in out
    world = lab.world
    pub_node = world.nodes["cucmpub"]
    assert world.wait_for(lambda: replication_states(lab, "cucmpub")[-1:] == [2], 5)
    assert replication_states(lab, "cucmpub") == [0, 1, 2]
    time.sleep(SETTLE / 2)
    assert replication_states(lab, "cucmsub1") == [3, 0, 1, 3]
    assert (pub_node.replication, world.nodes["cucmsub1"].replication) == (2, 3)


def test_repair_runs_on_the_publisher_only(lab: LabHandle) -> None:
    sub = lab.login("cucmsub1")
    out = sub.run("utils dbreplication repair all")
    assert texts.COMMAND_FAILED in out and "publisher" in out
    assert not lab.world.events.select("replication_repair")
