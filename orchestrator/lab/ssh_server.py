"""One simulated node's SSH server: the platform admin CLI on the node's own address.

It follows the node's life in the world: when the node goes down every session is cut
and the listening socket closed (clients get "connection refused", as from a rebooting
VM); when it comes back the server listens again on the same address and port with
the node's current host key (which the host-key-changed fault replaces at boot).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time

import paramiko
import structlog

from orchestrator.lab.nodes import Node
from orchestrator.lab.shell import Shell
from orchestrator.lab.ssh_algorithms import configure_server
from orchestrator.lab.world import World

log = structlog.get_logger(__name__)

_CHANNEL_WAIT = 30.0  # how long a connected client may take to open its shell
_LOGOUT_GRACE = 2.0  # how long the client may take to disconnect after its shell ended


class _Session:
    """One SSH connection: its transport, and the shell channel once requested."""

    def __init__(self, transport: paramiko.Transport) -> None:
        self.transport = transport
        self.connected_at = time.monotonic()
        self.pty_channels: set[int] = set()
        self.shell_ready = threading.Event()
        self.username = ""

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.transport.close()


class _NodeInterface(paramiko.ServerInterface):
    def __init__(self, server: NodeSshServer, session: _Session) -> None:
        self._server = server
        self._session = session

    def _methods(self) -> list[str]:
        return self._server.node.auth_methods

    def _valid(self, username: str, password: str) -> bool:
        admin = self._server.world.config.admin
        return username == admin.username and password == admin.password

    def get_allowed_auths(self, username: str) -> str:
        return ",".join(self._methods())

    def check_auth_password(self, username: str, password: str) -> int:
        if "password" in self._methods() and self._valid(username, password):
            self._session.username = username
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_auth_interactive(
        self, username: str, submethods: str
    ) -> int | paramiko.InteractiveQuery:
        if "keyboard-interactive" not in self._methods():
            return paramiko.AUTH_FAILED
        self._session.username = username
        # A single prompt, so paramiko's auth_password fallback can answer it.
        return paramiko.InteractiveQuery("", "", ("Password: ", False))

    def check_auth_interactive_response(self, responses: list[str]) -> int:
        if len(responses) == 1 and self._valid(self._session.username, responses[0]):
            return paramiko.AUTH_SUCCESSFUL
        return paramiko.AUTH_FAILED

    def check_channel_request(self, kind: str, chanid: int) -> int:
        if kind == "session":
            return paramiko.OPEN_SUCCEEDED
        return paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED

    def check_channel_pty_request(self, channel: paramiko.Channel, *args: object) -> bool:
        self._session.pty_channels.add(channel.get_id())
        return True

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        # The platform CLI is an interactive terminal application: no PTY, no shell.
        if channel.get_id() not in self._session.pty_channels:
            return False
        self._session.shell_ready.set()
        return True

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        return False

    def check_channel_window_change_request(self, channel: paramiko.Channel, *args: object) -> bool:
        return True


class NodeSshServer:
    """SSH for one node at ``node.address:port`` (port 0 picks a free port once)."""

    def __init__(self, world: World, node_name: str, port: int = 0) -> None:
        self.world = world
        self.node_name = node_name
        self.port = port
        self._lock = threading.Lock()  # listener state
        self._reg_lock = threading.Lock()  # sessions and threads; the accept thread takes it
        self._stopped = False
        self._registered = False
        self._sock: socket.socket | None = None
        self._accept_stop: threading.Event | None = None
        self._accept_thread: threading.Thread | None = None
        self._sessions: set[_Session] = set()
        self._threads: set[threading.Thread] = set()

    @property
    def node(self) -> Node:
        return self.world.nodes[self.node_name]

    @property
    def address(self) -> str:
        return self.node.address

    def start(self) -> int:
        with self._lock:
            if not self._registered:
                self.world.on_node_down(self._on_down)
                self.world.on_node_up(self._on_up)
                self._registered = True
            if self.node.ssh_up:
                self._listen()
        return self.port

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._close_listener()
        with self._reg_lock:
            sessions = list(self._sessions)
            threads = list(self._threads)
        for session in sessions:
            session.close()
        for thread in threads:
            thread.join(timeout=5)
        for session in sessions:
            session.transport.join(timeout=5)

    # ----- node life -------------------------------------------------------------------

    def _on_down(self, node: Node) -> None:
        if node.name != self.node_name:
            return
        with self._lock:
            if self._stopped:
                return
            self._close_listener()
        with self._reg_lock:
            sessions = list(self._sessions)
        for session in sessions:
            session.close()
        log.info("lab ssh: node down, listener closed", node=self.node_name)

    def _on_up(self, node: Node) -> None:
        if node.name != self.node_name:
            return
        # Runs on the world's scheduler thread: never raise into the boot sequence, and
        # retry briefly in case the port is still held by a closing socket.
        error: OSError | None = None
        for _ in range(20):
            with self._lock:
                if self._stopped or self._sock is not None:
                    return
                try:
                    self._listen()
                except OSError as exc:
                    error = exc
                else:
                    log.info("lab ssh: node up, listening again", node=self.node_name)
                    return
            time.sleep(0.05)
        log.error("lab ssh: cannot listen again", node=self.node_name, error=str(error))

    # ----- listening -------------------------------------------------------------------

    def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.node.address, self.port))
            sock.listen(16)
        except OSError:
            sock.close()
            raise
        # Polling accept: close() from another thread does not reliably wake accept().
        sock.settimeout(0.1)
        self.port = sock.getsockname()[1]
        self._sock = sock
        self._accept_stop = threading.Event()
        self._accept_thread = threading.Thread(
            target=self._accept_loop,
            args=(sock, self._accept_stop),
            name=f"lab-ssh-{self.node_name}",
            daemon=True,
        )
        self._accept_thread.start()

    def _close_listener(self) -> None:
        """Stop accepting and close the socket, so new connections are refused."""
        if self._sock is None:
            return
        assert self._accept_stop is not None and self._accept_thread is not None
        self._accept_stop.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked accept() on Linux
        if self._accept_thread is not threading.current_thread():
            self._accept_thread.join(timeout=5)
        self._sock.close()
        self._sock = None

    def _accept_loop(self, sock: socket.socket, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                conn, _ = sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            thread = threading.Thread(
                target=self._serve, args=(conn,), name=f"lab-ssh-{self.node_name}-session"
            )
            with self._reg_lock:
                self._threads = {t for t in self._threads if t.is_alive()}
                self._threads.add(thread)
            thread.start()

    # ----- one connection --------------------------------------------------------------

    def _serve(self, conn: socket.socket) -> None:
        # CUCM's sshd (OpenSSH) sets TCP_NODELAY on interactive sessions; without it Nagle
        # holds every prompt until the client's delayed ACK (~40 ms per round trip).
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(conn)
        session = _Session(transport)
        with self.world.lock:
            configure_server(transport, self.node.ssh_offer)
            transport.add_server_key(self.node.host_key)
        with self._reg_lock:
            if self._stopped:
                transport.close()
                return
            self._sessions.add(session)
        try:
            self._run_session(session)
        except Exception:  # one broken session must not take the node's server down
            log.exception("lab ssh: session failed", node=self.node_name)
        finally:
            session.close()
            with self._reg_lock:
                self._sessions.discard(session)

    def _run_session(self, session: _Session) -> None:
        transport = session.transport
        try:
            transport.start_server(event=threading.Event(), server=_NodeInterface(self, session))
        except (paramiko.SSHException, OSError, EOFError):
            return
        # Short waits: accept() is not woken when the client goes away or stop() closes it.
        deadline = time.monotonic() + _CHANNEL_WAIT
        channel = None
        while channel is None:
            if not transport.is_active() or time.monotonic() > deadline:
                return
            channel = transport.accept(timeout=0.1)
        while not session.shell_ready.wait(0.1):
            if not transport.is_active() or time.monotonic() > deadline:
                return
        Shell(
            self.world,
            self.node_name,
            channel,
            username=session.username,
            disconnect=session.close,
            connected_at=session.connected_at,
        ).run()
        # After `exit` the client disconnects itself; cutting the TCP connection first
        # makes OpenSSH report "Connection reset by peer" and exit 255.
        deadline = time.monotonic() + _LOGOUT_GRACE
        while transport.is_active() and time.monotonic() < deadline:
            time.sleep(0.02)
