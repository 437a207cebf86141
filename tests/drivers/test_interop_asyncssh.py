"""devpack's SSH driver against a non-paramiko server (asyncssh) offering exactly the
OpenSSH 5.3 set of a CUCM 11.5 node: it logs in with the host key pinned and runs
commands; each legacy key exchange it accepts agrees with asyncssh's."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import asyncssh
import pytest

from orchestrator.drivers.ssh import CucmCli, SshTarget
from orchestrator.drivers.ssh.errors import HostKeyMismatch, NoCommonAlgorithm
from orchestrator.drivers.ssh.transport import SshTransport

from .asyncsshd import AsyncsshNode, asyncssh_node

# asyncssh's finite-field DH (what gex and group14 are) warns in current cryptography
pytestmark = pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")


def target(node: AsyncsshNode, known_hosts: Path) -> SshTarget:
    return SshTarget(node.host, "admin", node.password, str(known_hosts), port=node.port,
                     connect_timeout=5)  # fmt: skip


def pinned(node: AsyncsshNode, tmp_path: Path) -> Path:
    path = tmp_path / "known_hosts"
    path.write_text(node.known_hosts_line())
    return path


def test_driver_logs_in_and_runs_commands_on_an_openssh_5_3_set(tmp_path):
    with asyncssh_node() as node:
        with CucmCli(target(node, pinned(node, tmp_path)), login_timeout=10,
                     command_timeout=10) as cli:  # fmt: skip
            assert cli.pagination_off
            assert cli.show_version().master_version == "12.5.1.14900-63"
            services = cli.service_list()
            used = cli.negotiated
        assert services.get("Cisco CallManager") is not None
        assert node.typed[:3] == ["set cli pagination off", "show version active",
                                  "utils service list"]  # fmt: skip
    assert used is not None
    assert used.server_version == "SSH-2.0-OpenSSH_5.3"
    assert (used.host_key, used.kex) == ("ssh-rsa", "diffie-hellman-group-exchange-sha256")
    assert (used.cipher, used.mac) == ("aes128-ctr", "hmac-sha1")
    assert used.legacy == ["host key ssh-rsa (SHA-1 signature)"]


@pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH client not installed")
def test_the_server_offers_what_openssh_5_3_offers(tmp_path):
    # judged by the real OpenSSH client, so this file's server is not a private mistake
    with asyncssh_node() as node:
        result = subprocess.run(
            ["ssh", "-F", "/dev/null", "-v", "-p", str(node.port), "-o", "BatchMode=yes",
             "-o", f"UserKnownHostsFile={pinned(node, tmp_path)}",
             "-o", "GlobalKnownHostsFile=/dev/null", f"admin@{node.host}", "true"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert "remote software version OpenSSH_5.3" in result.stderr
    assert "no matching host key type found. Their offer: ssh-rsa" in result.stderr


@pytest.mark.parametrize(
    "kex", ["diffie-hellman-group-exchange-sha1", "diffie-hellman-group14-sha1"]
)
def test_each_accepted_sha1_kex_agrees_with_asyncssh(tmp_path, kex):
    with asyncssh_node(kex_algs=[kex]) as node:
        transport = SshTransport(target(node, pinned(node, tmp_path)))
        transport.connect()
        try:
            shell = transport.open_shell()  # keys agree: encrypted traffic flows
            assert shell.recv(200)
            assert transport.negotiated is not None and transport.negotiated.kex == kex
        finally:
            transport.close()


def test_cbc_and_md5_only_when_nothing_better_is_offered(tmp_path):
    with asyncssh_node(encryption_algs=["aes128-cbc"], mac_algs=["hmac-md5"]) as node:
        transport = SshTransport(target(node, pinned(node, tmp_path)))
        transport.connect()
        try:
            assert transport.negotiated is not None
            assert transport.negotiated.legacy[1:] == ["cipher aes128-cbc", "MAC hmac-md5"]
        finally:
            transport.close()


def test_group1_only_is_refused_with_the_offer_named(tmp_path):
    with (
        asyncssh_node(kex_algs=["diffie-hellman-group1-sha1"]) as node,
        pytest.raises(NoCommonAlgorithm, match="offers diffie-hellman-group1-sha1"),
    ):
        SshTransport(target(node, pinned(node, tmp_path))).connect()


def test_another_rsa_key_than_the_pinned_one_is_refused(tmp_path):
    with asyncssh_node() as node:
        other = asyncssh.generate_private_key("ssh-rsa", key_size=2048).export_public_key()
        known = tmp_path / "known_hosts"
        kind, blob = other.decode().split()[:2]
        known.write_text(f"[{node.host}]:{node.port} {kind} {blob}\n")
        with pytest.raises(HostKeyMismatch):
            SshTransport(target(node, known)).connect()
