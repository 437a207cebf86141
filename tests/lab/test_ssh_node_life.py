"""Node life seen over SSH: restart, refused while down, host key change, auth methods."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

import paramiko
import pytest

from orchestrator.cucm import texts
from orchestrator.lab.config import FaultKind, FaultSpec

from .conftest import Cli, LabHandle


def refused(lab: LabHandle, name: str) -> bool:
    address = lab.world.nodes[name].address
    try:
        socket.create_connection((address, lab.port(name)), timeout=1).close()
    except ConnectionRefusedError:
        return True
    return False


def wait_listening(lab: LabHandle, name: str, timeout: float = 5.0) -> None:
    """Back up: the world says so first, then the SSH server listens again."""
    node = lab.world.nodes[name]
    assert lab.world.wait_for(lambda: node.phase == "up", timeout)
    deadline = time.monotonic() + timeout
    while refused(lab, name):
        assert time.monotonic() < deadline, "SSH did not come back"
        time.sleep(0.02)


def test_system_restart_closes_refuses_and_comes_back(make_lab: Callable[..., LabHandle]) -> None:
    lab = make_lab(timing={"reboot_down_seconds": 1.0})
    cli = lab.login("cucmpub")
    port = lab.port("cucmpub")
    cli.send("utils system restart\r")
    warning = cli.answer(texts.RESTART_CONFIRM, "yes")
    assert "W A R N I N G" in warning
    assert cli.wait_closed()
    assert "Appliance is being Restarted ..." in cli.buffer
    assert lab.world.nodes["cucmpub"].phase == "down"
    assert refused(lab, "cucmpub")
    wait_listening(lab, "cucmpub")
    assert lab.port("cucmpub") == port
    again = lab.login("cucmpub")
    history = again.run("file view install system-history.log")
    assert history.count("root: Boot 11.5.1.10000-6 Start") == 2


def test_restart_answered_no_keeps_the_session(lab: LabHandle) -> None:
    cli = lab.login("cucmsub1")
    cli.send("utils system restart\r")
    cli.answer(texts.RESTART_CONFIRM, "no")
    cli.prompt()
    assert lab.world.nodes["cucmsub1"].phase == "up"
    assert "Active Master Version" in cli.run("show version active")


def test_host_key_changed_after_reboot(make_lab: Callable[..., LabHandle]) -> None:
    fault = FaultSpec(kind=FaultKind.HOST_KEY_CHANGED, node="cucmsub1", count=1)
    lab = make_lab(faults=[fault])
    node = lab.world.nodes["cucmsub1"]
    old_key = node.host_key
    lab.world.restart_node("cucmsub1")
    assert lab.world.wait_for(lambda: node.phase == "down", 5)
    wait_listening(lab, "cucmsub1")
    assert node.host_key.get_base64() != old_key.get_base64()
    with pytest.raises(paramiko.BadHostKeyException):
        Cli.open(lab, "cucmsub1", key=old_key)
    assert "Active Master Version" in lab.login("cucmsub1").run("show version active")


def test_release_15_offers_only_keyboard_interactive(make_lab: Callable[..., LabHandle]) -> None:
    lab = make_lab(release="15.0.1.10000-1")
    node = lab.world.nodes["cucmpub"]
    admin = lab.world.config.admin
    transport = paramiko.Transport((node.address, lab.port("cucmpub")))
    try:
        transport.start_client(timeout=5)
        with pytest.raises(paramiko.BadAuthenticationType) as info:
            transport.auth_password(admin.username, admin.password, fallback=False)
        assert info.value.allowed_types == ["keyboard-interactive"]
        # the default fallback answers the single keyboard-interactive prompt
        transport.auth_password(admin.username, admin.password)
        assert transport.is_authenticated()
    finally:
        transport.close()
    # so SSHClient.connect(password=...) logs in too
    assert "15.0.1.10000-1" in lab.login("cucmpub").run("show version active")


def test_bad_admin_password_and_exec_are_refused(lab: LabHandle) -> None:
    with pytest.raises(paramiko.AuthenticationException):
        Cli.open(lab, "cucmpub", password="wrong")
    cli = lab.cli("cucmpub")
    with pytest.raises(paramiko.SSHException):
        cli.client.exec_command("show version active", timeout=5)


@pytest.mark.parametrize("word", ["exit", "quit"])
def test_exit_and_quit_close_the_session(lab: LabHandle, word: str) -> None:
    cli = lab.login("cucmsub1")
    cli.send(word + "\r")
    assert cli.wait_closed()
    assert cli.channel.recv_exit_status() == 0


def test_stop_joins_every_thread(lab: LabHandle) -> None:
    for name in ("cucmpub", "cucmsub1"):
        lab.login(name)
    for server in lab.ssh.values():
        server.stop()
    lab.sftp.stop()
    leftover = [t.name for t in threading.enumerate() if t.name.startswith(("lab-ssh", "lab-sftp"))]
    assert leftover == []
    assert refused(lab, "cucmpub")
