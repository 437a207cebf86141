"""Injection: hostile values typed through the real driver into real lab nodes (config
validation bypassed on purpose) are refused before a byte is sent, and the lab's ground
truth shows that no command outside the plan ran on any node."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.access import load_access, open_pool
from orchestrator.config.secrets import Secret
from orchestrator.drivers.ssh import CopInstallRequest, CucmCli, SshTarget, UnsafeText
from orchestrator.engine.cluster import DriverGateway
from orchestrator.engine.gateway import InstallRequest
from orchestrator.engine.installs import run_install
from orchestrator.engine.journal import Journal
from orchestrator.engine.steps import StepContext, StepFailed, StepTimeouts
from orchestrator.engine.waits import PollPolicy
from orchestrator.lab.config import LabConfig, demo_config
from orchestrator.lab.events import Event
from orchestrator.lab.runner import LabCluster, start_lab_cluster

pytestmark = pytest.mark.e2e

HOSTILE = {
    "directory": "/cop\x03utils service restart Cisco CallManager",
    "user": "copuser\rutils system restart",
    "password": "\x1a",  # appended to the real password
    "file_name": "\x03utils system restart",  # appended to the real file name
    "server": "127.0.0.1\nutils service restart Cisco Tftp",
}
# Events that only a change to a node produces.
CHANGES = {"install_started", "reboot_started", "node_down", "cop_downloaded"}


def config() -> LabConfig:
    return demo_config(release="12.5.1.14900-63", profile="fast")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabCluster]:
    started = start_lab_cluster(config(), tmp_path_factory.mktemp("injection"))
    try:
        yield started
    finally:
        started.lab.stop()


def since(cluster: LabCluster, mark: int) -> list[Event]:
    return cluster.lab.events.all()[mark:]


def commands(events: list[Event]) -> list[str]:
    return [f"{e.node}: {e.data['command']}" for e in events if e.event == "cli_command"]


def request(cluster: LabCluster, field: str) -> CopInstallRequest:
    lab = cluster.lab
    pack = lab.config.device_packs[0]
    values: dict[str, str] = {
        "file_name": pack.file,
        "server": lab.sftp_address,
        "directory": lab.config.sftp.directory,
        "user": lab.config.sftp.username,
        "password": lab.config.sftp.password,
    }
    hostile = HOSTILE[field]
    values[field] = values[field] + hostile if field in ("password", "file_name") else hostile
    return CopInstallRequest(expected_md5=lab.cop_md5(pack.file), prompt_timeout=10, **values)


@pytest.mark.parametrize("field", sorted(HOSTILE))
def test_cucm_cli_refuses_hostile_wizard_values(cluster: LabCluster, field: str) -> None:
    lab = cluster.lab
    endpoint = lab.endpoints["cucmpub"]
    known_hosts = lab.write_known_hosts(cluster.folder / "known_hosts")
    target = SshTarget(
        endpoint.address,
        lab.config.admin.username,
        lab.config.admin.password,
        str(known_hosts),
        port=endpoint.ssh_port,
    )
    with CucmCli(target, login_timeout=10, command_timeout=10) as cli:
        mark = len(lab.events.all())
        with pytest.raises(UnsafeText) as refused:
            cli.install_cop(request(cluster, field))
        assert "nothing was sent" in str(refused.value)
        if field == "password":
            assert lab.config.sftp.password not in str(refused.value)
        with pytest.raises(UnsafeText):
            cli.restart_service("Cisco Tftp\rutils system restart")
        # the session is still usable, and only what we ran afterwards reached the node
        assert cli.myself().machine_name == "cucmpub"
    after = since(cluster, mark)
    assert commands(after) == ["cucmpub: show myself"]
    assert not [e for e in after if e.event in CHANGES or e.event.startswith("service_")]


def test_engine_install_step_fails_with_a_message_and_types_nothing(
    cluster: LabCluster, tmp_path: Path
) -> None:
    access = load_access(cluster.inventory)
    gateway = DriverGateway(open_pool(access, login_timeout=10, command_timeout=10))
    journal = Journal(tmp_path / "journal.sqlite")
    journal.create_run("r1", "lab", "{}", str(cluster.inventory), str(cluster.playbook))
    ctx = StepContext("r1", journal, gateway, StepTimeouts(install=20), PollPolicy())
    lab = cluster.lab
    hostile = InstallRequest(
        file=lab.config.device_packs[0].file,
        md5=lab.cop_md5(lab.config.device_packs[0].file),
        sftp_host=lab.sftp_address,
        sftp_port=lab.sftp_port,
        directory=HOSTILE["directory"],
        username=lab.config.sftp.username,
        password=Secret(lab.config.sftp.password),
        timeout=20,
    )
    try:
        gateway.installed_options("cucmsub1")  # log in first: the login's own commands
        mark = len(lab.events.all())
        with pytest.raises(StepFailed) as failed:
            run_install(ctx, "install/cucmsub1", "cucmsub1", hostile)
    finally:
        gateway.close()
        journal.close()
    message = str(failed.value)
    assert "unsafe_value" in message and "SFTP directory" in message, message
    assert "U+0003" in message and "nothing was sent" in message
    after = since(cluster, mark)
    # the step read the node (its options, the upgrade status), then refused: no wizard
    assert all(not c.endswith("upgrade initiate") for c in commands(after)), commands(after)
    assert set(commands(after)) <= {
        "cucmsub1: show version active",
        "cucmsub1: utils system upgrade status",
    }
    assert not [e for e in after if e.event in CHANGES or e.event.startswith("service_")]
