"""The real OpenSSH client (not paramiko) against lab nodes, with strict host key checking:
an 11.5 node behaves as a real OpenSSH 5.3 one does (reference section 9.1), a 12.5 node
signs with rsa-sha2."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import LabHandle, node

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH client not installed")

LEGACY = "11.5.1.10000-6"
MODERN = "12.5.1.14900-63"


def openssh(
    lab: LabHandle, name: str, tmp_path: Path, *options: str
) -> subprocess.CompletedProcess:
    node = lab.world.nodes[name]
    port = lab.port(name)
    known = tmp_path / "known_hosts"
    key = node.host_key
    known.write_text(f"[{node.address}]:{port} {key.get_name()} {key.get_base64()}\n")
    # SSH_ASKPASS answers the password (or keyboard-interactive) prompt without a tty.
    secret = tmp_path / "secret"
    secret.write_text(lab.world.config.admin.password)
    secret.chmod(0o600)
    askpass = tmp_path / "askpass.sh"
    askpass.write_text(f"#!/bin/sh\ncat '{secret}'\n")
    askpass.chmod(0o700)
    env = {**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force"}
    env.setdefault("DISPLAY", ":0")
    command = [
        "ssh", "-F", "/dev/null", "-tt", "-v", "-p", str(port),
        "-o", "StrictHostKeyChecking=yes",
        "-o", f"UserKnownHostsFile={known}",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "PubkeyAuthentication=no",
        "-o", "PreferredAuthentications=keyboard-interactive,password",
        "-o", "NumberOfPasswordPrompts=1",
        "-o", "ConnectTimeout=5",
        *options,
        f"{lab.world.config.admin.username}@{node.address}",
    ]  # fmt: skip
    return subprocess.run(
        command,
        input=b"set cli pagination off\nshow version active\nexit\n",
        capture_output=True,
        env=env,
        timeout=30,
        start_new_session=True,  # no controlling tty: askpass, never /dev/tty
    )


def test_legacy_node_refuses_default_openssh_as_a_real_one_does(lab: LabHandle, tmp_path: Path):
    result = openssh(lab, "cucmsub1", tmp_path)
    err = result.stderr.decode()
    assert result.returncode == 255
    assert "remote software version OpenSSH_5.3" in err
    assert "no matching host key type found. Their offer: ssh-rsa" in err, err


def test_legacy_node_accepts_openssh_with_ssh_rsa_enabled(lab: LabHandle, tmp_path: Path):
    result = openssh(lab, "cucmsub1", tmp_path, "-o", "HostKeyAlgorithms=+ssh-rsa")
    out, err = result.stdout.decode(errors="replace"), result.stderr.decode()
    assert "Active Master Version: 11.5.1.10000-6" in out, err
    assert "Welcome to the Platform Command Line Interface" in out
    assert result.returncode == 0
    # OpenSSH 9.2 still speaks gex-sha256, which OpenSSH 5.3 offers first: no sha1 kex
    assert "kex: algorithm: diffie-hellman-group-exchange-sha256" in err
    assert "kex: host key algorithm: ssh-rsa" in err
    assert "cipher: aes128-ctr MAC: hmac-sha1" in err


def test_release_12_node_signs_with_rsa_sha2(make_lab: Callable[..., LabHandle], tmp_path: Path):
    lab = make_lab(release=MODERN)
    result = openssh(lab, "cucmsub1", tmp_path)
    err = result.stderr.decode()
    assert f"Active Master Version: {MODERN}" in result.stdout.decode(errors="replace"), err
    assert "remote software version OpenSSH_7.4" in err
    assert "kex: host key algorithm: rsa-sha2-512" in err
    assert "kex: algorithm: curve25519-sha256" in err


def test_node_config_can_replace_the_era_set(make_lab: Callable[..., LabHandle], tmp_path: Path):
    # a hardened 11.5 node (no gex-sha256): OpenSSH 9.2 must be told about group14-sha1 too
    lab = make_lab(
        nodes=[
            node("cucmpub", "publisher", tftp=True),
            node("cucmsub1", ssh={"kex": ["diffie-hellman-group14-sha1"]}),
        ]
    )
    refused = openssh(lab, "cucmsub1", tmp_path, "-o", "HostKeyAlgorithms=+ssh-rsa")
    assert "no matching key exchange method found" in refused.stderr.decode()
    result = openssh(
        lab, "cucmsub1", tmp_path,
        "-o", "HostKeyAlgorithms=+ssh-rsa", "-o", "KexAlgorithms=+diffie-hellman-group14-sha1",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode()
    assert "kex: algorithm: diffie-hellman-group14-sha1" in result.stderr.decode()


@pytest.mark.skipif(shutil.which("ssh-keyscan") is None, reason="ssh-keyscan not installed")
def test_keyscan_shows_the_legacy_nodes_rsa_key(lab: LabHandle):
    name = "cucmsub1"
    node_ = lab.world.nodes[name]
    result = subprocess.run(
        ["ssh-keyscan", "-p", str(lab.port(name)), "-t", "rsa,ecdsa,ed25519", node_.address],
        capture_output=True,
        text=True,
        timeout=30,
    )
    keys = [line.split() for line in result.stdout.splitlines() if not line.startswith("#")]
    assert keys == [[f"[{node_.address}]:{lab.port(name)}", "ssh-rsa", node_.host_key.get_base64()]]
    assert "SSH-2.0-OpenSSH_5.3" in result.stdout + result.stderr
