"""The lab SFTP server: read-only listing and download, password auth, clean stop."""

from __future__ import annotations

import hashlib
import os
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import paramiko
import pytest

from orchestrator.lab.addresses import allocate_block
from orchestrator.lab.sftp_server import SftpServer


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[SftpServer, bytes]]:
    content = os.urandom(200_000)
    (tmp_path / "cop").mkdir()
    (tmp_path / "cop" / "a.cop.sgn").write_bytes(content)
    (tmp_path.parent / "outside.txt").write_text("secret")
    address, _ = allocate_block(1)
    server = SftpServer(tmp_path, address, "copuser", "pw")
    server.start()
    yield server, content
    server.stop()


def connect(server: SftpServer, password: str = "pw") -> paramiko.SSHClient:
    client = paramiko.SSHClient()
    key = server.host_key
    client.get_host_keys().add(f"[{server.address}]:{server.port}", key.get_name(), key)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        server.address,
        server.port,
        username="copuser",
        password=password,
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    return client


def test_list_stat_and_download(served: tuple[SftpServer, bytes]) -> None:
    server, content = served
    client = connect(server)
    try:
        sftp = client.open_sftp()
        assert sftp.listdir("/cop") == ["a.cop.sgn"]
        assert sftp.stat("/cop/a.cop.sgn").st_size == len(content)
        with sftp.open("/cop/a.cop.sgn", "rb") as remote:
            data = remote.read()
        assert hashlib.md5(data).digest() == hashlib.md5(content).digest()
        with pytest.raises(FileNotFoundError):
            sftp.listdir("/missing")
        with pytest.raises(PermissionError):
            sftp.open("/cop/new.cop.sgn", "wb")
        # paths cannot climb out of the served root
        assert "outside.txt" not in sftp.listdir("/../..")
        with pytest.raises(FileNotFoundError):
            sftp.open("/../outside.txt", "rb")
    finally:
        client.close()


def test_wrong_password_is_rejected(served: tuple[SftpServer, bytes]) -> None:
    server, _ = served
    with pytest.raises(paramiko.AuthenticationException):
        connect(server, password="nope")


def test_stop_refuses_and_joins(tmp_path: Path) -> None:
    address, _ = allocate_block(1)
    server = SftpServer(tmp_path, address, "copuser", "pw")
    port = server.start()
    client = connect(server)
    client.open_sftp().listdir("/")
    server.stop()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), timeout=1).close()
    client.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("lab-sftp")]
