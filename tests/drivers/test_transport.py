from __future__ import annotations

import socket
import threading
from pathlib import Path

import paramiko
import pytest

from orchestrator.drivers.ssh.errors import (
    AuthenticationFailed,
    ConnectionRefused,
    HostKeyMismatch,
    NodeUnreachable,
    UnknownHostKey,
)
from orchestrator.drivers.ssh.platform import CucmCli
from orchestrator.drivers.ssh.transport import SshTarget, SshTransport, known_hosts_name

from .sshd import RunningServer, ServerConfig, ssh_server


class Secret:
    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value


def known_hosts(tmp_path: Path, server: RunningServer, key: paramiko.PKey | None = None) -> str:
    path = tmp_path / "known_hosts"
    keys = paramiko.HostKeys()
    k = key or server.key
    keys.add(known_hosts_name(server.host, server.port), k.get_name(), k)
    keys.save(str(path))
    return str(path)


def target(server: RunningServer, kh: str, password: object = "pw") -> SshTarget:
    return SshTarget(
        server.host,
        "admin",
        password,
        kh,
        port=server.port,
        connect_timeout=2,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(ServerConfig(auths="password"), id="password"),
        pytest.param(ServerConfig(auths="keyboard-interactive"), id="cucm15-kbd-interactive"),
        pytest.param(
            ServerConfig(
                auths="keyboard-interactive",
                prompts=(("Login banner ack:", True), ("Password: ", False)),
            ),
            id="kbd-interactive-two-prompts",
        ),
    ],
)
def test_login_and_run_over_real_ssh(tmp_path: Path, config: ServerConfig) -> None:
    with ssh_server(config) as server:
        kh = known_hosts(tmp_path, server)
        with CucmCli(target(server, kh, Secret("pw")), login_timeout=5) as cli:
            assert cli.pagination_off
            assert cli.myself().machine_name == "cucmpub"
            assert cli.run("show myself", 5) == "Machine Name    : cucmpub"
        assert server.config.typed[:2] == ["set cli pagination off", "show myself"]


def test_wrong_password_is_not_retryable(tmp_path: Path) -> None:
    with ssh_server() as server:
        kh = known_hosts(tmp_path, server)
        with pytest.raises(AuthenticationFailed) as info:
            SshTransport(target(server, kh, "wrong")).connect()
        assert not info.value.retryable
        assert "wrong" not in str(info.value)


def test_unknown_host_is_rejected_with_fingerprint(tmp_path: Path) -> None:
    with ssh_server() as server:
        empty = tmp_path / "known_hosts"
        empty.write_text("")
        with pytest.raises(UnknownHostKey) as info:
            SshTransport(target(server, str(empty))).connect()
        assert info.value.fingerprint == server.key.fingerprint
        assert str(empty) in str(info.value)


def test_missing_known_hosts_file(tmp_path: Path) -> None:
    with ssh_server() as server, pytest.raises(UnknownHostKey, match="does not exist"):
        SshTransport(target(server, str(tmp_path / "nope"))).connect()


def test_changed_host_key_names_file_and_host(tmp_path: Path) -> None:
    with ssh_server() as server:
        kh = known_hosts(tmp_path, server, key=paramiko.ECDSAKey.generate())
        with pytest.raises(HostKeyMismatch) as info:
            SshTransport(target(server, kh)).connect()
        err = info.value
        assert not err.retryable
        assert kh in str(err) and f"[127.0.0.1]:{server.port}" in str(err)
        assert err.got_fingerprint == server.key.fingerprint


def test_closed_port_is_retryable_connection_refused(tmp_path: Path) -> None:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    kh = tmp_path / "known_hosts"
    kh.write_text("")
    with pytest.raises(ConnectionRefused) as info:
        SshTransport(SshTarget("127.0.0.1", "admin", "pw", str(kh), port=port)).connect()
    assert info.value.retryable
    assert isinstance(info.value, NodeUnreachable)


def test_silent_listener_is_unreachable(tmp_path: Path) -> None:
    # accepts TCP but never speaks SSH: a node whose sshd is still coming up
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    kh = tmp_path / "known_hosts"
    kh.write_text("")
    try:
        t = SshTarget("127.0.0.1", "admin", "pw", str(kh), port=s.getsockname()[1])
        t.banner_timeout = 0.3
        with pytest.raises(NodeUnreachable) as info:
            SshTransport(t).connect()
        assert info.value.retryable
    finally:
        s.close()


def test_target_repr_hides_password() -> None:
    t = SshTarget("h", "admin", "hunter2", "kh")
    assert "hunter2" not in repr(t)


def test_key_exchange_that_never_finishes_is_unreachable_within_its_own_timeout(tmp_path: Path):
    # answers TCP and the version line, then never sends its KEXINIT
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    kh = tmp_path / "known_hosts"
    kh.write_text("")
    held: list[socket.socket] = []

    def greet() -> None:
        conn, _ = s.accept()
        conn.sendall(b"SSH-2.0-OpenSSH_5.3\r\n")
        held.append(conn)

    thread = threading.Thread(target=greet, daemon=True)
    thread.start()
    try:
        t = SshTarget("127.0.0.1", "admin", "pw", str(kh), port=s.getsockname()[1])
        t.kex_timeout = 0.5
        with pytest.raises(NodeUnreachable, match=r"key exchange did not finish within 0\.5 s"):
            SshTransport(t).connect()
    finally:
        thread.join(timeout=2)
        for conn in held:
            conn.close()
        s.close()
