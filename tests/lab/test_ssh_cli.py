"""The node SSH server and admin CLI over real sockets."""

from __future__ import annotations

import re
from collections.abc import Callable

from orchestrator.cucm import texts
from orchestrator.lab.config import FaultKind, FaultSpec, Rules

from .conftest import LabHandle, node


def test_login_banner_pagination_and_version(lab: LabHandle) -> None:
    cli = lab.cli("cucmpub")
    banner = cli.prompt()
    assert texts.BANNER in banner
    assert banner.endswith("admin:")
    assert cli.run("set cli pagination off").strip() == texts.PAGINATION_OFF
    out = cli.run("show version active")
    assert "Active Master Version: 11.5.1.10000-6" in out
    assert "No Installed Software Options Found." in out


def test_echo_backspace_and_unknown_command(lab: LabHandle) -> None:
    cli = lab.login("cucmpub")
    cli.send("show verx\x7fsion active\r")
    out = cli.prompt()
    assert "show verx\b \bsion active\r\n" in out
    assert "Active Master Version" in out
    assert texts.UNKNOWN_COMMAND in cli.run("show me the money")


def test_pager_until_pagination_off(make_lab: Callable[..., LabHandle]) -> None:
    lab = make_lab(rules=Rules(pagination_lines=5))
    cli = lab.cli("cucmpub")
    cli.prompt()
    cli.send("utils service list\r")
    first = cli.read_until(re.escape("\x1b[1m" + texts.PAGER_PROMPT + "\x1b[0m"))
    assert first.count("\r\n") == 6  # the echoed command line and five output lines
    cli.send(" ")
    cli.read_until(re.escape(texts.PAGER_PROMPT))
    cli.send("\r")  # Enter: one more line
    one = cli.read_until(re.escape(texts.PAGER_PROMPT))
    assert one.count("\r\n") == 1
    cli.send("q")
    cli.prompt()
    cli.send("file view install system-history.log\r")
    cli.read_until(r"options: q=quit, n=next, p=prev, b=begin, e=end \(lines 1 - 1 of 1\) :")
    cli.send("q")
    cli.prompt()
    assert cli.run("set cli pagination off").strip() == texts.PAGINATION_OFF
    full = cli.run("utils service list")
    assert texts.PAGER_PROMPT not in full and full.rstrip().endswith(texts.COMMAND_SUCCESSFUL)


def test_service_list_and_restart(lab: LabHandle) -> None:
    cli = lab.login("cucmpub")
    listing = cli.run("utils service list")
    assert "System SSH [STARTED]" in listing and "Cisco Tftp[STARTED]\r\n" in listing
    assert "Cisco CAR DB[STOPPED]  Commanded Out of Service" in listing
    assert "Primary Node =true" in listing
    tftp = lab.world.nodes["cucmpub"].services["Cisco Tftp"]
    before = tftp.start_time
    out = cli.run("utils service restart Cisco Tftp")
    assert texts.SERVICE_RESTART_NOTICE in out and texts.SERVICE_MANAGER_RUNNING in out
    states = re.findall(r"Cisco Tftp\[(\w+)\]", out)
    assert states[0] == "STOPPING" and states[-1] == "STARTED" and "STARTING" in states
    assert tftp.start_time is not None and before is not None and tftp.start_time > before
    assert texts.COMMAND_FAILED in cli.run("utils service restart No Such Service")


def test_service_stuck_in_starting(make_lab: Callable[..., LabHandle]) -> None:
    stuck = FaultSpec(kind=FaultKind.SERVICE_STUCK_STARTING, node="cucmpub", service="Cisco Tftp")
    lab = make_lab(faults=[stuck])
    cli = lab.login("cucmpub")
    out = cli.run("utils service restart Cisco Tftp", timeout=10)
    states = re.findall(r"Cisco Tftp\[(\w+)\]", out)
    assert "STARTED" not in states and states.count("STARTING") >= 2
    assert lab.world.nodes["cucmpub"].services["Cisco Tftp"].state == "STARTING"


def test_status_reports(make_lab: Callable[..., LabHandle]) -> None:
    lab = make_lab(nodes=[node("cucmpub", "publisher"), node("cucmsub1", ntp_synchronised=False)])
    cli = lab.login("cucmpub")
    pub, sub = lab.world.nodes["cucmpub"], lab.world.nodes["cucmsub1"]
    cluster = cli.run("show network cluster")
    assert (
        f"{pub.address} cucmpub.lab.example cucmpub Publisher callmanager DBPub authenticated"
        in cluster
    )
    assert re.search(
        rf"{re.escape(sub.address)} .* Subscriber callmanager DBSub authenticated", cluster
    )
    assert "Server Table (processnode) Entries" in cluster and cluster.rstrip().endswith(
        "Successful"
    )
    repl = cli.run("utils dbreplication runtimestate")
    assert "Cluster Detailed View from cucmpub (2 Servers):" in repl
    assert "DB Version: ccm11_5_1_10000_6" in repl
    rows = [line for line in repl.splitlines() if line.startswith(("cucmpub ", "cucmsub1 "))]
    assert len(rows) == 2 and all(r.endswith("(2) Setup Completed") for r in rows)
    assert "synchronised to NTP server (127.0.0.1) at stratum 3" in cli.run("utils ntp status")
    status = cli.run("show status")
    assert "Host Name          : cucmpub" in status and "Disk/active" in status
    assert re.search(r" \d\d:\d\d:\d\d up \d+ days, .*load average", status)
    assert "account name    : admin" in cli.run("show myself")
    sql = cli.run("run sql select enum, name from typemodel where enum = 622")
    assert re.search(r"enum name\s*\r\n=+ =+\r\n622  Cisco 7841", sql)
    assert texts.COMMAND_FAILED in cli.run("run sql delete from typemodel")
    other = lab.login("cucmsub1")
    assert "unsynchronised" in other.run("utils ntp status")
    assert "Primary Node =false" in other.run("utils service list")
