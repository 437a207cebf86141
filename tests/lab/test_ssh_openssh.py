"""The real OpenSSH client logs in to a lab node with strict host key checking."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import LabHandle


@pytest.mark.skipif(shutil.which("ssh") is None, reason="OpenSSH client not installed")
def test_openssh_client_runs_show_version(lab: LabHandle, tmp_path: Path) -> None:
    node = lab.world.nodes["cucmsub1"]
    port = lab.port("cucmsub1")
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
        "ssh", "-F", "/dev/null", "-tt", "-p", str(port),
        "-o", "StrictHostKeyChecking=yes",
        "-o", f"UserKnownHostsFile={known}",
        "-o", "GlobalKnownHostsFile=/dev/null",
        "-o", "PubkeyAuthentication=no",
        "-o", "PreferredAuthentications=keyboard-interactive,password",
        "-o", "NumberOfPasswordPrompts=1",
        "-o", "ConnectTimeout=5",
        f"{lab.world.config.admin.username}@{node.address}",
    ]  # fmt: skip
    result = subprocess.run(
        command,
        input=b"set cli pagination off\nshow version active\nexit\n",
        capture_output=True,
        env=env,
        timeout=30,
        start_new_session=True,  # no controlling tty: askpass, never /dev/tty
    )
    out = result.stdout.decode(errors="replace")
    assert "Active Master Version: 11.5.1.10000-6" in out, result.stderr.decode()
    assert "Welcome to the Platform Command Line Interface" in out
    assert result.returncode == 0
