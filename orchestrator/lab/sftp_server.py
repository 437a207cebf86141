"""The lab's SFTP server: where nodes fetch COP files from, read-only, password auth.

A real CUCM node downloads the COP from an SFTP server the operator names in the
upgrade wizard; the lab's nodes really connect to this one with paramiko.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
from pathlib import Path

import paramiko
import structlog
from paramiko.sftp import SFTP_NO_SUCH_FILE, SFTP_PERMISSION_DENIED

log = structlog.get_logger(__name__)

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class _Auth(paramiko.ServerInterface):
    def __init__(self, username: str, password: str) -> None:
        self._username = username
        self._password = password

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        if username == self._username and password == self._password:
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _ReadHandle(paramiko.SFTPHandle):
    def __init__(self, path: Path, flags: int) -> None:
        super().__init__(flags)
        self.readfile = path.open("rb")
        self._path = path

    def stat(self) -> paramiko.SFTPAttributes | int:
        return paramiko.SFTPAttributes.from_stat(self._path.stat())


class _RootedSftp(paramiko.SFTPServerInterface):
    """Serves ``root`` as ``/``; paths that resolve outside it do not exist."""

    def __init__(self, server: object, *args: object, root: Path, **kwargs: object) -> None:
        super().__init__(server)
        self._root = root

    def _local(self, path: str) -> Path | None:
        clean = os.path.normpath("/" + path).lstrip("/")
        local = (self._root / clean).resolve()
        if local != self._root and self._root not in local.parents:
            return None
        return local

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        local = self._local(path)
        if local is None or not local.is_dir():
            return SFTP_NO_SUCH_FILE
        return [
            paramiko.SFTPAttributes.from_stat(entry.stat(), entry.name)
            for entry in sorted(local.iterdir())
        ]

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        local = self._local(path)
        if local is None or not local.exists():
            return SFTP_NO_SUCH_FILE
        return paramiko.SFTPAttributes.from_stat(local.stat(), local.name)

    lstat = stat

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> _ReadHandle | int:
        if flags & _WRITE_FLAGS:
            return SFTP_PERMISSION_DENIED
        local = self._local(path)
        if local is None or not local.is_file():
            return SFTP_NO_SUCH_FILE
        try:
            return _ReadHandle(local, flags)
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno or errno.EIO)

    def canonicalize(self, path: str) -> str:
        return os.path.normpath("/" + path)

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_PERMISSION_DENIED

    def session_ended(self) -> None:
        return None


class SftpServer:
    """Read-only SFTP over ``root`` on ``address:port`` (port 0 picks a free one)."""

    def __init__(
        self, root: Path, address: str, username: str, password: str, port: int = 0
    ) -> None:
        self.root = root.resolve()
        self.address = address
        self.port = port
        self._username = username
        self._password = password
        self.host_key: paramiko.PKey = paramiko.ECDSAKey.generate(bits=256)
        self._sock: socket.socket | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._accept_thread: threading.Thread | None = None
        self._transports: set[paramiko.Transport] = set()

    def start(self) -> int:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.address, self.port))
        sock.listen(16)
        # A short accept timeout lets stop() end the loop without relying on close()
        # waking a blocked accept(), which Linux does not guarantee.
        sock.settimeout(0.1)
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"lab-sftp-{self.port}", daemon=True
        )
        self._accept_thread.start()
        return self.port

    def stop(self) -> None:
        self._stopping.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept() on Linux
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
        with self._lock:
            transports = list(self._transports)
        for transport in transports:
            transport.close()
        for transport in transports:
            transport.join(timeout=5)

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            self._serve(conn)

    def _serve(self, conn: socket.socket) -> None:
        transport = paramiko.Transport(conn)
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler("sftp", paramiko.SFTPServer, _RootedSftp, root=self.root)
        with self._lock:
            self._transports = {t for t in self._transports if t.is_alive()}
            self._transports.add(transport)
        try:
            # Negotiation runs on the transport's own thread; this returns at once.
            transport.start_server(
                event=threading.Event(), server=_Auth(self._username, self._password)
            )
        except (paramiko.SSHException, OSError, EOFError):
            log.info("lab sftp: negotiation failed")
            with contextlib.suppress(Exception):
                transport.close()
