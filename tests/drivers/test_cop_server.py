"""devpack's own SFTP server (sftp.serve) and the SFTP source precheck, over real
sockets on loopback: read-only, one directory holding only the run's files, a one-time
account, clear errors when it cannot listen, each download recorded."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

import paramiko
import pytest

from orchestrator.drivers.sftp.probe import Expected, Source, check_source
from orchestrator.drivers.sftp.server import CopServer, OneTimeAccount, ServeError, Share

COP = "cmterm-devicepack12.5.1.17123-1.cop.sgn"
DATA = bytes(range(256)) * 400


@dataclass
class Served:
    """A running server and the one share the tests log in as."""

    server: CopServer
    share: Share

    @property
    def port(self) -> int:
        return self.server.port

    @property
    def account(self) -> OneTimeAccount:
        return self.share.account


@pytest.fixture
def server(tmp_path: Path):
    (tmp_path / COP).write_bytes(DATA)
    (tmp_path / "secret.txt").write_text("not served")
    served = CopServer("127.0.0.1", 0, "/devpack")
    share = Share(OneTimeAccount.make(), {COP: tmp_path / COP})
    served.start()
    served.add(share)
    yield Served(served, share)
    served.stop()


def sftp_of(server: Served, password: str | None = None, account: OneTimeAccount | None = None):
    account = account or server.account
    client = paramiko.SSHClient()
    key = server.server.host_key
    client.get_host_keys().add(f"[127.0.0.1]:{server.port}", key.get_name(), key)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        "127.0.0.1",
        server.port,
        username=account.username,
        password=password or account.password,
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    return client, client.open_sftp()


def source_of(server: Served, **changes) -> Source:
    values = dict(
        host="127.0.0.1",
        port=server.port,
        directory="/devpack",
        username=server.account.username,
        password=server.account.password,
        host_key=server.server.host_key,
    )
    values.update(changes)
    return Source(**values)


def test_only_the_run_files_are_visible_and_nothing_is_writable(server):
    client, sftp = sftp_of(server)
    try:
        assert sftp.listdir("/devpack") == [COP]
        assert sftp.listdir("/") == ["devpack"]
        with pytest.raises(FileNotFoundError):
            sftp.listdir("/devpack/..//tmp")
        with pytest.raises(FileNotFoundError):
            sftp.stat("/devpack/secret.txt")
        with pytest.raises(OSError):
            sftp.open("/devpack/new.cop.sgn", "wb")
        with pytest.raises(OSError):
            sftp.open(f"/devpack/{COP}", "r+b")
        with sftp.open(f"//devpack/{COP}", "rb") as handle:
            assert handle.read() == DATA
    finally:
        client.close()
    (download,) = server.share.downloads
    assert download.file == COP and download.bytes == len(DATA) and download.complete
    assert download.address == "127.0.0.1" and download.seconds >= 0


def test_the_one_time_account_is_the_only_way_in(server):
    with pytest.raises(paramiko.AuthenticationException):
        sftp_of(server, password="guess")
    other = OneTimeAccount.make()
    assert other.password != server.account.password and len(other.password) >= 24
    assert other.password.isalnum() and other.username.isalnum()


def test_a_taken_port_and_a_foreign_address_are_clear_errors(server):
    with pytest.raises(ServeError) as info:
        CopServer("127.0.0.1", server.port, "/devpack").start()
    assert f"127.0.0.1 port {server.port} is taken" in info.value.message
    assert "sftp.serve.address" in info.value.hint
    with pytest.raises(ServeError) as info:
        CopServer("192.0.2.77", 0, "/devpack").start()
    assert "is not an address of this host" in info.value.message


def test_the_source_precheck_passes_and_does_not_count_as_a_download(server):
    assert check_source(source_of(server), [Expected(COP, len(DATA))]) == []
    with server.share.not_recording():
        import hashlib

        md5 = hashlib.md5(DATA).hexdigest()
        assert check_source(source_of(server), [Expected(COP, len(DATA), md5)]) == []
    assert server.share.downloads == []


@pytest.mark.parametrize(
    ("change", "expected", "finding"),
    [
        ({"directory": "/cop"}, [Expected(COP)], "the directory /cop does not exist"),
        ({}, [Expected("other.cop.sgn")], "other.cop.sgn is not in /devpack"),
        ({}, [Expected(COP, 5)], f"is {len(DATA)} bytes, expected 5"),
        ({}, [Expected(COP, None, "0" * 32)], "does not have the playbook's MD5"),
        ({"password": "wrong"}, [Expected(COP)], "The user name or password is not valid"),
    ],
)
def test_the_source_precheck_names_what_is_wrong(server, change, expected, finding):
    (problem,) = check_source(source_of(server, **change), expected)
    assert finding in problem and f"sftp://127.0.0.1:{server.port}" in problem


def test_an_unknown_host_key_is_refused(server, tmp_path):
    known = tmp_path / "known_hosts"
    known.write_text("")
    (problem,) = check_source(
        source_of(server, host_key=None, known_hosts=str(known)), [Expected(COP)]
    )
    assert "host key is not in the inventory's known_hosts" in problem
    assert f"ssh-keyscan -p {server.port} 127.0.0.1" in problem


def test_nothing_listens_gives_a_connect_finding(tmp_path):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    (tmp_path / "none").write_text("")
    (problem,) = check_source(
        Source("127.0.0.1", port, "/cop", "u", "p", known_hosts=str(tmp_path / "none")),
        [Expected(COP)],
        timeout=3,
    )
    assert "cannot connect" in problem and "sftp.host" in problem


def test_each_account_sees_its_own_files_and_ends_with_its_sessions(server, tmp_path):
    other_file = tmp_path / "other.cop.sgn"
    other_file.write_bytes(b"other" * 100)
    other = Share(OneTimeAccount.make(), {"other.cop.sgn": other_file})
    server.server.add(other)
    client, sftp = sftp_of(server, account=other.account)
    try:
        assert sftp.listdir("/devpack") == ["other.cop.sgn"]
        with pytest.raises(FileNotFoundError):
            sftp.stat(f"/devpack/{COP}")  # the first account's file
        with sftp.open("/devpack/other.cop.sgn", "rb") as handle:
            assert handle.read() == b"other" * 100
        assert [d.file for d in other.downloads] == ["other.cop.sgn"]
        assert server.share.downloads == []  # the other account's download is not its
        server.server.remove(other)
        with pytest.raises((OSError, EOFError, paramiko.SSHException)):
            sftp.listdir("/devpack")  # its open session was closed
    finally:
        client.close()
    with pytest.raises(paramiko.AuthenticationException):
        sftp_of(server, account=other.account)
    client, sftp = sftp_of(server)  # the first account is untouched
    try:
        assert sftp.listdir("/devpack") == [COP]
    finally:
        client.close()
