"""devpack's SSH driver negotiates what each lab node offers, over real sockets: legacy
algorithms only with nodes that offer nothing better, host keys pinned all the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from orchestrator.drivers.ssh import CucmCli, SshTarget
from orchestrator.drivers.ssh.errors import HostKeyMismatch, NoCommonAlgorithm, UnknownHostKey
from orchestrator.drivers.ssh.transport import SshTransport
from orchestrator.lab.config import LabConfig, NodeSpec, SshSpec
from orchestrator.lab.runner import Lab

LEGACY = "11.5.1.15900-18"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Lab, Path]]:
    tmp = tmp_path_factory.mktemp("algorithms")
    config = LabConfig(
        cluster="alg",
        release="12.5.1.14900-63",
        profile="fast",
        timing={"login_delay": 0.0},
        nodes=[
            NodeSpec(name="pub", role="publisher", tftp=True),
            NodeSpec(name="old", release=LEGACY),
            # no gex-sha256 (a node hardened the other way): only a sha1 kex is left
            NodeSpec(name="sha1kex", release=LEGACY,
                     ssh=SshSpec(kex=["diffie-hellman-group14-sha1"])),
            # nothing devpack accepts: a 1024-bit group only
            NodeSpec(name="group1", release=LEGACY,
                     ssh=SshSpec(kex=["diffie-hellman-group1-sha1"])),
            NodeSpec(name="new", release="15.0.1.10000-1"),
        ],
    )  # fmt: skip
    with Lab(config, tmp / "lab") as running:
        yield running, running.write_known_hosts(tmp / "known_hosts")


def target(lab: tuple[Lab, Path], node: str, known_hosts: Path | None = None) -> SshTarget:
    running, pinned = lab
    ep = running.endpoints[node]
    return SshTarget(
        ep.address,
        running.config.admin.username,
        running.config.admin.password,
        str(known_hosts or pinned),
        port=ep.ssh_port,
        connect_timeout=5,
    )


def test_openssh_5_3_node_gets_ssh_rsa_and_nothing_else_legacy(lab):
    with CucmCli(target(lab, "old"), login_timeout=10, command_timeout=10) as cli:
        assert cli.show_version().master_version == LEGACY
        used = cli.negotiated
    assert used is not None
    assert used.server_version == "SSH-2.0-OpenSSH_5.3"
    assert (used.host_key, used.kex) == ("ssh-rsa", "diffie-hellman-group-exchange-sha256")
    assert (used.cipher, used.mac) == ("aes128-ctr", "hmac-sha1")
    assert used.legacy == ["host key ssh-rsa (SHA-1 signature)"]


def test_release_12_node_negotiates_modern_although_it_offers_legacy_too(lab):
    running, _ = lab
    offer = running.world.nodes["pub"].ssh_offer
    # the node would accept the legacy ones: only devpack's order keeps them out
    assert "ssh-rsa" in offer.host_key_algorithms
    assert "diffie-hellman-group14-sha1" in offer.kex
    transport = SshTransport(target(lab, "pub"))
    transport.connect()
    try:
        used = transport.negotiated
    finally:
        transport.close()
    assert used is not None and used.server_version == "SSH-2.0-OpenSSH_7.4"
    assert used.host_key == "rsa-sha2-512"
    assert used.kex in ("curve25519-sha256@libssh.org", "ecdh-sha2-nistp256")
    assert used.cipher == "aes128-gcm@openssh.com"
    assert used.legacy == []


def test_release_15_node_is_modern(lab):
    transport = SshTransport(target(lab, "new"))
    transport.connect()
    try:
        assert transport.negotiated is not None and transport.negotiated.legacy == []
        assert transport.negotiated.host_key == "ecdsa-sha2-nistp256"
    finally:
        transport.close()


def test_sha1_kex_only_when_the_node_offers_no_other(lab):
    transport = SshTransport(target(lab, "sha1kex"))
    transport.connect()
    try:
        used = transport.negotiated
    finally:
        transport.close()
    assert used is not None
    assert used.legacy == [
        "host key ssh-rsa (SHA-1 signature)",
        "key exchange diffie-hellman-group14-sha1",
    ]


def test_no_common_algorithm_names_the_offer_and_is_final(lab):
    with pytest.raises(NoCommonAlgorithm) as info:
        SshTransport(target(lab, "group1")).connect()
    message = str(info.value)
    assert not info.value.retryable
    assert info.value.host == lab[0].endpoints["group1"].address
    assert "no key exchange algorithm in common" in message
    assert "the node offers diffie-hellman-group1-sha1" in message
    assert "diffie-hellman-group14-sha1" in message  # what devpack would accept
    assert "enable a supported algorithm" in message


def test_legacy_node_still_needs_its_pinned_key(lab, tmp_path):
    running, _ = lab
    ep = running.endpoints["old"]
    other = tmp_path / "other_known_hosts"
    keys = paramiko.HostKeys()
    keys.add(f"[{ep.address}]:{ep.ssh_port}", "ssh-rsa", paramiko.RSAKey.generate(2048))
    keys.save(str(other))
    with pytest.raises(HostKeyMismatch):
        SshTransport(target(lab, "old", other)).connect()
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    with pytest.raises(UnknownHostKey) as info:
        SshTransport(target(lab, "old", empty)).connect()
    assert info.value.fingerprint == running.world.nodes["old"].host_key.fingerprint
