"""devpack serves the COP files itself: a read-only SFTP server for the run.

The nodes' install wizards connect to it (port 22: the wizard has no port prompt) with
a one-time account made for the run (a ``Share``). Each account sees one directory
holding only its run's files; everything else does not exist, nothing can be written.
Each finished download is logged (node address, bytes, seconds) and handed to that
share's ``on_download``.

One server per address: the runs of a fleet that name the same serve address share
one listening server (``SharedServers``), each run with an account of its own, added
while the run serves and removed (its sessions closed) when it stops. An account of its
own, rather than one for the whole fleet: a cluster's wizard is given credentials that
reach only that cluster's files and end with its run, and a download is its run's by
the login it used, not by guessing the cluster from the node's address.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import paramiko
import structlog
from paramiko.sftp import SFTP_NO_SUCH_FILE, SFTP_PERMISSION_DENIED

log = structlog.get_logger(__name__)

_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC


class ServeError(Exception):
    """The server could not start: what is wrong and what to do."""

    def __init__(self, message: str, hint: str) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} — {hint}")


@dataclass(frozen=True)
class Download:
    address: str  # the node that downloaded
    file: str
    bytes: int
    seconds: float
    complete: bool  # the whole file was read


@dataclass(frozen=True)
class OneTimeAccount:
    username: str
    password: str  # never logged: logs.REDACTOR is given it by the caller

    @classmethod
    def make(cls) -> OneTimeAccount:
        # Letters and digits only: both are typed at the wizard's prompts.
        return cls(
            f"devpack{secrets.token_hex(4)}",
            secrets.token_urlsafe(24).replace("-", "x").replace("_", "y"),
        )


class Share:
    """One account of the server: the files it sees and where its downloads go."""

    def __init__(self, account: OneTimeAccount, files: dict[str, Path]) -> None:
        self.account = account
        self.files = files
        self.downloads: list[Download] = []
        self.on_download: Callable[[Download], None] | None = None
        self._recording = threading.Event()
        self._recording.set()
        self._lock = threading.Lock()
        # the logging context of the run that serves it (its run id), for download lines
        self.log_context: dict[str, object] = {}

    @contextlib.contextmanager
    def not_recording(self) -> Iterator[None]:
        """devpack's own precheck reads a file back: that is not a node's download."""
        self._recording.clear()
        try:
            yield
        finally:
            self._recording.set()

    def downloaded(self, download: Download) -> None:
        if download.bytes == 0 or not self._recording.is_set():
            return
        with self._lock:
            self.downloads.append(download)
        with structlog.contextvars.bound_contextvars(**self.log_context):
            log.info(
                "sftp.download",
                node_address=download.address,
                file=download.file,
                bytes=download.bytes,
                seconds=download.seconds,
                complete=download.complete,
            )
            if self.on_download is not None:
                try:
                    self.on_download(download)
                except Exception as exc:  # the download happened; a failed record must not
                    log.warning("sftp.download.not_recorded", error=str(exc))  # stop the node


# compared when the user name is unknown, so a wrong name costs the time a wrong password does
_NOBODY = OneTimeAccount("", secrets.token_urlsafe(24))


class _Auth(paramiko.ServerInterface):
    """One SSH connection's login: which share (if any) it authenticated as."""

    def __init__(self, owner: CopServer) -> None:
        self._owner = owner
        self.share: Share | None = None

    def get_allowed_auths(self, username: str) -> str:
        return "password"

    def check_auth_password(self, username: str, password: str) -> int:
        share = self._owner.share_of(username)
        account = share.account if share is not None else _NOBODY
        ok = secrets.compare_digest(username, account.username) and secrets.compare_digest(
            password, account.password
        )
        if not ok or share is None:
            return paramiko.AUTH_FAILED
        self.share = share
        return paramiko.AUTH_SUCCESSFUL

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED


class _ReadHandle(paramiko.SFTPHandle):
    def __init__(self, path: Path, flags: int, done: Callable[[int, float, bool], None]) -> None:
        super().__init__(flags)
        self.readfile = path.open("rb")
        self._path = path
        self._size = path.stat().st_size
        self._started = time.monotonic()
        self._read = 0
        self._done = done

    def read(self, offset: int, length: int) -> bytes | int:
        data = super().read(offset, length)
        if isinstance(data, bytes) and data:
            # how far into the file the node got: a client's prefetch may read a block
            # twice, so a sum of reads would overstate the download
            self._read = max(self._read, offset + len(data))
        return data

    def stat(self) -> paramiko.SFTPAttributes | int:
        return paramiko.SFTPAttributes.from_stat(self._path.stat())

    def close(self) -> None:
        super().close()
        self._done(self._read, time.monotonic() - self._started, self._read >= self._size)


class _ServedFiles(paramiko.SFTPServerInterface):
    """``directory`` holds exactly the logged-in share's files; nothing else exists,
    nothing is writable."""

    def __init__(
        self,
        server: paramiko.ServerInterface,
        *args: object,
        owner: CopServer,
        peer: str,
        **kwargs: object,
    ) -> None:
        super().__init__(server)
        assert isinstance(server, _Auth) and server.share is not None  # after a login
        self._owner = owner
        self._share = server.share
        self._peer = peer  # the node's address, for the download log

    def session_started(self) -> None:
        return None

    def _norm(self, path: str) -> str:
        # lstrip first: POSIX normpath keeps exactly two leading slashes ("//devpack")
        return os.path.normpath("/" + path.lstrip("/"))

    def _file(self, path: str) -> Path | None:
        clean = self._norm(path)
        folder, _, name = clean.rpartition("/")
        if (folder or "/") != self._owner.directory:
            return None
        return self._share.files.get(name)

    def _dir_attrs(self) -> paramiko.SFTPAttributes:
        attrs = paramiko.SFTPAttributes()
        attrs.st_mode = 0o040555
        attrs.st_size = 0
        return attrs

    def list_folder(self, path: str) -> list[paramiko.SFTPAttributes] | int:
        clean = self._norm(path)
        if clean == self._owner.directory:
            return [
                paramiko.SFTPAttributes.from_stat(p.stat(), name)
                for name, p in sorted(self._share.files.items())
            ]
        if clean == "/":
            attrs = self._dir_attrs()
            attrs.filename = self._owner.directory.strip("/")
            return [attrs]
        return SFTP_NO_SUCH_FILE

    def stat(self, path: str) -> paramiko.SFTPAttributes | int:
        clean = self._norm(path)
        if clean in ("/", self._owner.directory):
            return self._dir_attrs()
        local = self._file(path)
        if local is None:
            return SFTP_NO_SUCH_FILE
        return paramiko.SFTPAttributes.from_stat(local.stat(), local.name)

    lstat = stat

    def open(self, path: str, flags: int, attr: paramiko.SFTPAttributes) -> _ReadHandle | int:
        if flags & _WRITE_FLAGS:
            return SFTP_PERMISSION_DENIED
        local = self._file(path)
        if local is None:
            return SFTP_NO_SUCH_FILE
        peer = self._peer
        try:
            return _ReadHandle(
                local,
                flags,
                lambda n, s, whole: self._share.downloaded(
                    Download(peer, local.name, n, round(s, 3), whole)
                ),
            )
        except OSError as exc:
            return paramiko.SFTPServer.convert_errno(exc.errno or errno.EIO)

    def canonicalize(self, path: str) -> str:
        return self._norm(path)

    def chattr(self, path: str, attr: paramiko.SFTPAttributes) -> int:
        return SFTP_PERMISSION_DENIED

    def session_ended(self) -> None:
        return None


class CopServer:
    """Serves each share's files (name -> local path) as ``directory`` on
    ``address:port``, to that share's account only."""

    def __init__(self, address: str, port: int, directory: str) -> None:
        self.address = address
        self.port = port
        self.directory = directory
        self.host_key: paramiko.PKey = paramiko.ECDSAKey.generate(bits=256)
        self._shares: dict[str, Share] = {}  # by user name
        self._sock: socket.socket | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._accept_thread: threading.Thread | None = None
        self._transports: dict[paramiko.Transport, _Auth] = {}  # -> its login

    # ----- accounts --------------------------------------------------------------------

    def add(self, share: Share) -> None:
        """From now on ``share``'s account logs in and sees its files."""
        share.log_context = structlog.contextvars.get_contextvars()
        with self._lock:
            if share.account.username in self._shares:
                raise ValueError(f"account {share.account.username} is served already")
            self._shares[share.account.username] = share
        log.info(
            "sftp.serve.account_added",
            address=self.address,
            port=self.port,
            files=sorted(share.files),
        )

    def remove(self, share: Share) -> None:
        """The account ends: no new login, and its sessions are closed."""
        with self._lock:
            self._shares.pop(share.account.username, None)
            ended = [t for t, auth in self._transports.items() if auth.share is share]
        _close(ended)
        log.info(
            "sftp.serve.account_removed",
            address=self.address,
            port=self.port,
            files=sorted(share.files),
            downloads=len(share.downloads),
        )

    def share_of(self, username: str) -> Share | None:
        with self._lock:
            return self._shares.get(username)

    @property
    def accounts(self) -> int:
        with self._lock:
            return len(self._shares)

    # ----- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        sock = socket.socket(socket.AF_INET6 if ":" in self.address else socket.AF_INET)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.address, self.port))
        except OSError as exc:
            sock.close()
            raise self._bind_error(exc) from None
        sock.listen(16)
        sock.settimeout(0.1)  # lets stop() end the accept loop
        self._sock = sock
        self.port = sock.getsockname()[1]
        self._accept_thread = threading.Thread(
            target=self._accept_loop, name=f"devpack-sftp-{self.port}", daemon=True
        )
        self._accept_thread.start()
        log.info(
            "sftp.serve.started", address=self.address, port=self.port, directory=self.directory
        )

    def _bind_error(self, exc: OSError) -> ServeError:
        where = f"{self.address} port {self.port}"
        if exc.errno == errno.EADDRINUSE:
            return ServeError(
                f"cannot serve the COP over SFTP: {where} is taken (another SSH/SFTP "
                "server listens there)",
                "stop that server on this address, or set sftp.serve.address to another "
                "address of this host the nodes reach",
            )
        if exc.errno == errno.EADDRNOTAVAIL:
            return ServeError(
                f"cannot serve the COP over SFTP: {self.address} is not an address of this host",
                "set sftp.serve.address to an address of this host's interfaces that the "
                "nodes can reach (ip -brief address)",
            )
        if exc.errno == errno.EACCES:
            return ServeError(
                f"cannot serve the COP over SFTP: binding {where} needs privileges",
                "run devpack as root or give its Python CAP_NET_BIND_SERVICE (the nodes' "
                "install wizard always connects to port 22)",
            )
        return ServeError(
            f"cannot serve the COP over SFTP on {where}: {exc.strerror}",
            "check sftp.serve.address and port",
        )

    def stop(self) -> None:
        self._stopping.set()
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        if self._accept_thread is not None:
            self._accept_thread.join(timeout=5)
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        with self._lock:
            transports = list(self._transports)
        _close(transports)
        log.info("sftp.serve.stopped", address=self.address, port=self.port)

    def __enter__(self) -> CopServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- serving ---------------------------------------------------------------------

    def _accept_loop(self) -> None:
        assert self._sock is not None
        while not self._stopping.is_set():
            try:
                conn, peer = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            self._serve(conn, str(peer[0]))

    def _serve(self, conn: socket.socket, peer: str) -> None:
        transport = paramiko.Transport(conn)
        transport.add_server_key(self.host_key)
        transport.set_subsystem_handler(
            "sftp", paramiko.SFTPServer, _ServedFiles, owner=self, peer=peer
        )
        auth = _Auth(self)
        with self._lock:
            self._transports = {t: a for t, a in self._transports.items() if t.is_alive()}
            self._transports[transport] = auth
        try:
            transport.start_server(event=threading.Event(), server=auth)
        except (paramiko.SSHException, OSError, EOFError):
            log.info("sftp.serve.negotiation_failed", peer=peer)
            with contextlib.suppress(Exception):
                transport.close()


def _close(transports: list[paramiko.Transport]) -> None:
    for transport in transports:
        transport.close()
    for transport in transports:
        transport.join(timeout=5)


def serve_conflict(
    address: str, first: tuple[int, str], then: tuple[int, str]
) -> ServeError | None:
    """Two runs (``(port, who)`` each) asking devpack to serve on one address: they share
    its one server, so they must ask for the same port."""
    (first_port, first_who), (port, who) = first, then
    if port == first_port:
        return None
    return ServeError(
        f"cannot serve the COP over SFTP: {first_who} and {who} both name {address} in "
        f"sftp.serve, with ports {first_port} and {port}",
        f"one SFTP server per address: give every cluster that names {address} the same "
        "sftp.serve.port (a node's wizard always connects to 22), or another address",
    )


class SharedServers:
    """One ``CopServer`` per address for every run of this process (a fleet's clusters
    that name the same serve address): started when the first run adds its share,
    stopped when the last one's is removed."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._servers: dict[str, CopServer] = {}
        self._asked: dict[str, tuple[int, str]] = {}  # address -> (port asked, by whom)

    def add(self, address: str, port: int, directory: str, share: Share, who: str) -> CopServer:
        """The server at ``address`` (started now if none runs) serves ``share``;
        ``who`` (a cluster) names the asker in a conflict."""
        with self._lock:
            server = self._servers.get(address)
            if server is None:
                server = CopServer(address, port, directory)
                server.start()  # ServeError: taken, not this host's, privileges
                self._servers[address] = server
                self._asked[address] = (port, who)
            elif conflict := serve_conflict(address, self._asked[address], (port, who)):
                raise conflict
            server.add(share)
            return server

    def remove(self, server: CopServer, share: Share) -> None:
        """``share``'s account ends; the server stops with its last account."""
        server.remove(share)
        with self._lock:
            if server.accounts == 0 and self._servers.get(server.address) is server:
                del self._servers[server.address]
                del self._asked[server.address]
                server.stop()
