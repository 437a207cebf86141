"""SSH transport: TCP + host key pinning + password/keyboard-interactive auth + PTY shell.

Only this module touches paramiko's connection API, so the rest of the driver can be
tested against in-memory channels.
"""

from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from typing import Any

import paramiko
import structlog

from orchestrator.drivers.secrets import PasswordLike, reveal
from orchestrator.drivers.ssh.algorithms import (
    Negotiated,
    NegotiatingTransport,
    negotiated,
    no_common_algorithm,
)
from orchestrator.drivers.ssh.errors import (
    AuthenticationFailed,
    ConnectionRefused,
    DriverError,
    HostKeyMismatch,
    NoCommonAlgorithm,
    NodeUnreachable,
    UnknownHostKey,
)

log = structlog.get_logger(__name__)


def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH-style ``SHA256:...`` fingerprint, what an operator compares by eye."""
    return key.fingerprint


def known_hosts_name(host: str, port: int) -> str:
    """The key under which OpenSSH (and paramiko) file a host in known_hosts."""
    return host if port == 22 else f"[{host}]:{port}"


class _Reject(paramiko.RejectPolicy):
    """RejectPolicy that raises our typed error, carrying the offered fingerprint."""

    def __init__(self, known_hosts: str) -> None:
        self.known_hosts = known_hosts

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: Any) -> None:
        raise UnknownHostKey(hostname, self.known_hosts, fingerprint=fingerprint(key))


class _PasswordThenKeyboardInteractive:
    """paramiko ``auth_strategy``: password, else keyboard-interactive (CUCM 15 only offers
    the latter). paramiko's own fallback gives up when a server sends several prompts."""

    def __init__(self, username: str, password: PasswordLike) -> None:
        self.username = username
        self._password = password

    def _answer(self, title: str, instructions: str, prompts: list[tuple[str, bool]]) -> list[str]:
        # Answer only what asks for the password; anything else (e.g. a banner-like
        # prompt) gets an empty line rather than leaking the secret into it.
        return [reveal(self._password) if "password" in p.lower() else "" for p, _echo in prompts]

    def authenticate(self, transport: paramiko.Transport) -> list[str]:
        try:
            return transport.auth_password(self.username, reveal(self._password), fallback=False)
        except paramiko.BadAuthenticationType as exc:
            if "keyboard-interactive" not in exc.allowed_types:
                raise
            log.debug("ssh.auth.keyboard_interactive", allowed=exc.allowed_types)
            return transport.auth_interactive(self.username, self._answer)


@dataclass
class SshTarget:
    """Where and how to connect; ``password`` is never logged or put in ``repr``."""

    host: str
    username: str
    password: PasswordLike
    known_hosts: str
    port: int = 22
    connect_timeout: float = 10.0
    # CUCM can take a while to send its SSH banner when loaded or booting.
    banner_timeout: float = 30.0
    # The key exchange, timed apart from the TCP connect: on an OpenSSH 5.3 node it is a
    # finite-field DH that paramiko computes in Python (~30 ms of CPU a side, under the
    # GIL), so many logins at once (a fleet's discovery) queue behind each other.
    kex_timeout: float = 30.0
    auth_timeout: float = 30.0
    keepalive: int = 30

    def __repr__(self) -> str:
        return (
            f"SshTarget(host={self.host!r}, port={self.port}, username={self.username!r}, "
            f"known_hosts={self.known_hosts!r})"
        )


class SshTransport:
    """One SSH connection to one node, with one interactive shell channel."""

    def __init__(self, target: SshTarget) -> None:
        self.target = target
        self._client: paramiko.SSHClient | None = None
        self._attempt: NegotiatingTransport | None = None
        # what the last successful connect agreed on with the node
        self.negotiated: Negotiated | None = None

    @property
    def where(self) -> str:
        return f"{self.target.host}:{self.target.port}"

    def connect(self) -> None:
        t = self.target
        if not os.path.isfile(t.known_hosts):
            raise UnknownHostKey(
                known_hosts_name(t.host, t.port), f"{t.known_hosts} (file does not exist)"
            )
        client = paramiko.SSHClient()
        client.load_host_keys(t.known_hosts)
        client.set_missing_host_key_policy(_Reject(t.known_hosts))
        log.debug("ssh.connect", host=t.host, port=t.port, user=t.username)
        try:
            sock = socket.create_connection((t.host, t.port), timeout=t.connect_timeout)
        except OSError as exc:
            client.close()
            raise self._map_error(exc) from exc
        try:
            client.connect(
                t.host,
                port=t.port,
                sock=sock,
                username=t.username,
                timeout=t.kex_timeout,  # with ``sock`` given, paramiko's kex wait only
                banner_timeout=t.banner_timeout,
                auth_timeout=t.auth_timeout,
                look_for_keys=False,
                allow_agent=False,
                auth_strategy=_PasswordThenKeyboardInteractive(t.username, t.password),
                transport_factory=self._new_transport,
            )
        except BaseException as exc:
            client.close()
            sock.close()
            raise self._map_error(exc) from exc
        transport = client.get_transport()
        if transport is not None:
            self.negotiated = negotiated(transport)
            if self.negotiated.legacy:
                log.info(
                    "ssh.legacy_algorithms",
                    host=t.host,
                    port=t.port,
                    server=self.negotiated.server_version,
                    legacy=self.negotiated.legacy,
                )
            if t.keepalive:
                transport.set_keepalive(t.keepalive)
        self._client = client

    def _new_transport(self, sock: Any, **kwargs: Any) -> NegotiatingTransport:
        self._attempt = NegotiatingTransport(sock, **kwargs)
        return self._attempt

    def _map_error(self, exc: BaseException) -> BaseException:
        t = self.target
        name = known_hosts_name(t.host, t.port)
        if isinstance(exc, DriverError):
            return exc
        if isinstance(exc, paramiko.BadHostKeyException):
            return HostKeyMismatch(
                name,
                t.known_hosts,
                expected_fingerprint=fingerprint(exc.expected_key),
                got_fingerprint=fingerprint(exc.key),
            )
        if isinstance(exc, paramiko.IncompatiblePeer):
            why = no_common_algorithm(self._attempt, str(exc)) if self._attempt else str(exc)
            return NoCommonAlgorithm(f"{self.where}: {why}", host=t.host)
        if isinstance(exc, paramiko.BadAuthenticationType):
            return AuthenticationFailed(
                f"{self.where} offers no usable auth method (allowed: {exc.allowed_types})",
                host=t.host,
            )
        if isinstance(exc, paramiko.AuthenticationException) and "timeout" in str(exc).lower():
            # no answer to the credentials in time (a loaded node): not a wrong password
            return NodeUnreachable(
                f"{self.where} did not answer the login within {t.auth_timeout:g} s",
                host=t.host,
            )
        if isinstance(exc, paramiko.AuthenticationException):
            return AuthenticationFailed(
                f"authentication as {t.username!r} on {self.where} failed", host=t.host
            )
        if isinstance(exc, paramiko.ssh_exception.NoValidConnectionsError):
            codes = {getattr(e, "errno", None) for e in exc.errors.values()}
            if codes == {errno.ECONNREFUSED}:
                return ConnectionRefused(f"{self.where} refused the connection", host=t.host)
            return NodeUnreachable(f"{self.where} unreachable: {exc}", host=t.host)
        if isinstance(exc, ConnectionRefusedError):
            return ConnectionRefused(f"{self.where} refused the connection", host=t.host)
        if isinstance(exc, socket.timeout | TimeoutError):
            return NodeUnreachable(
                f"{self.where} did not answer within {t.connect_timeout:g} s", host=t.host
            )
        if isinstance(exc, paramiko.SSHException) and str(exc) == "No existing session":
            # paramiko's words when the key exchange is still running at the timeout
            return NodeUnreachable(
                f"{self.where}: the SSH key exchange did not finish within {t.kex_timeout:g} s",
                host=t.host,
            )
        if isinstance(exc, OSError | EOFError | paramiko.SSHException):
            # Banner/kex failures and resets: sshd half up while the node boots.
            return NodeUnreachable(f"{self.where}: {type(exc).__name__}: {exc}", host=t.host)
        return exc

    def open_shell(self, *, width: int = 511, height: int = 1000) -> paramiko.Channel:
        """A PTY shell; wide and tall so the CLI neither wraps nor pages if it can help it."""
        if self._client is None:
            self.connect()
        assert self._client is not None
        try:
            return self._client.invoke_shell(term="vt100", width=width, height=height)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise NodeUnreachable(
                f"{self.where}: cannot open a shell: {exc}", host=self.target.host
            ) from exc

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def is_active(self) -> bool:
        transport = self._client.get_transport() if self._client else None
        return bool(transport and transport.is_active())
