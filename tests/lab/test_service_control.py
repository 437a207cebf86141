"""`utils service stop/start`, a stuck service set free, and report times after a reboot."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from orchestrator.cucm import texts
from orchestrator.lab.config import FaultKind, FaultSpec

from .conftest import LabHandle, node, switch


def states(out: str, service: str = "Cisco Tftp") -> list[str]:
    return re.findall(rf"^{re.escape(service)}\[(\w+)\]", out, re.MULTILINE)


def test_stop_then_start_a_service(lab: LabHandle) -> None:
    cli = lab.login("cucmpub")
    tftp = lab.world.nodes["cucmpub"].services["Cisco Tftp"]
    before = tftp.start_time
    stopped = cli.run("utils service stop Cisco Tftp")
    assert texts.SERVICE_MANAGER_RUNNING in stopped and texts.COMMAND_FAILED not in stopped
    assert states(stopped)[0] == "STOPPING" and states(stopped)[-1] == "STOPPED"
    assert tftp.state == "STOPPED"
    # stopped by command: out of service, not down (reference section 5)
    assert "Cisco Tftp[STOPPED]  Commanded Out of Service\r\n" in cli.run("utils service list")
    assert lab.world.events.select("service_stop_requested", "cucmpub", service="Cisco Tftp")

    started = cli.run("utils service start cisco tftp")  # names match case-insensitively
    assert states(started)[0] == "STARTING" and states(started)[-1] == "STARTED"
    assert "STOPPING" not in states(started)
    assert tftp.state == "STARTED" and tftp.reason == ""
    assert tftp.start_time is not None and before is not None and tftp.start_time > before
    assert lab.world.events.select("service_start_requested", "cucmpub", service="Cisco Tftp")


def test_deactivated_services_refuse_stop_and_start(lab: LabHandle) -> None:
    cli = lab.login("cucmsub1")
    for verb in ("stop", "start"):
        out = cli.run(f"utils service {verb} Cisco DirSync")
        assert "Cisco DirSync[STOPPED]  Service Not Activated" in out
        assert texts.COMMAND_FAILED in out
    assert texts.COMMAND_FAILED in cli.run("utils service stop No Such Service")
    assert lab.world.nodes["cucmsub1"].services["Cisco DirSync"].state == "STOPPED"
    assert not lab.world.events.select("service_stop_requested")
    assert not lab.world.events.select("service_start_requested")


def test_a_stuck_service_starts_once_the_fault_is_lifted(
    make_lab: Callable[..., LabHandle],
) -> None:
    stuck = FaultSpec(kind=FaultKind.SERVICE_STUCK_STARTING, node="cucmpub", service="Cisco Tftp")
    lab = make_lab(faults=[stuck])
    world = lab.world
    tftp = world.nodes["cucmpub"].services["Cisco Tftp"]
    cli = lab.login("cucmpub")
    # the lab starts with Tftp up: starting it again changes nothing
    assert states(cli.run("utils service start Cisco Tftp")) == ["STARTED"]
    assert not world.events.select("service_start_requested")
    assert "STARTED" not in states(cli.run("utils service restart Cisco Tftp", timeout=10))
    switch(lab, stuck)  # another change of the faults file, the fault still on
    time.sleep(world.timing.service_starting_seconds * 3)
    assert tftp.state == "STARTING"

    lifted = time.monotonic()
    switch(lab)
    assert tftp.state == "STARTING"  # not at once: it takes service_starting_seconds
    assert world.wait_for(lambda: tftp.state == "STARTED", 5)
    assert time.monotonic() - lifted >= world.timing.service_starting_seconds * 0.9
    assert "Cisco Tftp[STARTED]\r\n" in cli.run("utils service list")


def test_reports_use_the_current_boot_after_a_reboot(make_lab: Callable[..., LabHandle]) -> None:
    lab = make_lab(nodes=[node("cucmpub", "publisher"), node("cucmsub1"), node("cucmsub2")])
    world = lab.world
    sub1, sub2 = world.nodes["cucmsub1"], world.nodes["cucmsub2"]
    first_boot = sub1.boot_time
    world.restart_node("cucmsub1")
    assert world.wait_for(lambda: sub1.phase == "up" and sub1.boot_time > first_boot, 5)

    def ctime(epoch: float) -> str:
        return datetime.fromtimestamp(epoch, UTC).strftime("%a %b %d %H:%M:%S %Y")

    def since(out: str, row: str) -> str:
        match = re.search(
            rf"^{re.escape(row)} .*authenticated using TCP since (.+?)\r$", out, re.MULTILINE
        )
        assert match, out
        return match.group(1)

    on_pub = lab.login("cucmpub").run("show network cluster")
    assert since(on_pub, sub1.address) == ctime(sub1.boot_time)
    assert since(on_pub, sub2.address) == ctime(sub2.boot_time)  # sub2 never rebooted
    # seen from the rebooted node, every connection is as new as its own boot
    on_sub1 = lab.login("cucmsub1").run("show network cluster")
    assert since(on_sub1, sub2.address) == ctime(sub1.boot_time)
    assert ctime(first_boot) not in on_sub1

    repl = lab.login("cucmsub1").run("utils dbreplication runtimestate")
    # the replication status check (reference 9.4) runs now, after the latest boot
    started = re.search(r"Replication status command started at: (\S+)\r$", repl, re.M)
    at = datetime.fromtimestamp(sub1.boot_time, UTC).strftime("%Y-%m-%d-%H-%M")
    assert started is not None and started.group(1) >= at
