"""Typed failures of the SSH CLI driver.

The engine decides on retries from the type alone (``retryable``), so every paramiko or
socket failure is mapped to exactly one of these before it leaves the driver.
"""

from __future__ import annotations


class DriverError(Exception):
    """Base of every failure raised by the SSH CLI driver."""

    retryable: bool = False

    def __init__(self, message: str, *, host: str | None = None) -> None:
        super().__init__(message)
        self.host = host


class HostKeyMismatch(DriverError):
    """The node presented a key different from the pinned one: possible MITM, never retry."""

    def __init__(
        self,
        host: str,
        known_hosts: str,
        *,
        expected_fingerprint: str = "",
        got_fingerprint: str = "",
    ) -> None:
        super().__init__(
            f"host key for {host} does not match the one in {known_hosts} "
            f"(expected {expected_fingerprint or '?'}, got {got_fingerprint or '?'}); "
            "if the node was reinstalled, verify the new key out of band and update "
            f"{known_hosts}",
            host=host,
        )
        self.known_hosts = known_hosts
        self.expected_fingerprint = expected_fingerprint
        self.got_fingerprint = got_fingerprint


class UnknownHostKey(DriverError):
    """The node is not in the known_hosts file; we never trust on first use silently."""

    def __init__(self, host: str, known_hosts: str, *, fingerprint: str = "") -> None:
        detail = f" (it offered {fingerprint})" if fingerprint else ""
        super().__init__(
            f"no host key for {host} in {known_hosts}{detail}; add it after checking the "
            "fingerprint on the node console (e.g. ssh-keyscan, then compare)",
            host=host,
        )
        self.known_hosts = known_hosts
        self.fingerprint = fingerprint


class NoCommonAlgorithm(DriverError):
    """The node's sshd and devpack share no host-key, key-exchange, cipher or MAC
    algorithm: retrying cannot help."""

    def __init__(self, message: str, *, host: str | None = None) -> None:
        super().__init__(
            f"{message} -- enable a supported algorithm in the node's SSH configuration "
            "(or upgrade the node), then run again",
            host=host,
        )


class AuthenticationFailed(DriverError):
    """Wrong user or password (retrying would only lock the account)."""


class NodeUnreachable(DriverError):
    """No SSH service right now: the node may be rebooting, so the caller may retry."""

    retryable = True


class ConnectionRefused(NodeUnreachable):
    """TCP port closed: typical while a node is booting."""


class SessionClosed(DriverError):
    """The peer closed the channel (reboot, idle timeout, sshd restart);
    ``output`` holds what was read before the close."""

    retryable = True

    def __init__(self, message: str, *, output: str = "", host: str | None = None) -> None:
        super().__init__(message, host=host)
        self.output = output


class CommandTimeout(DriverError):
    """The expected text did not arrive in time; ``output`` holds what did arrive."""

    retryable = True

    def __init__(self, message: str, *, output: str = "", host: str | None = None) -> None:
        super().__init__(message, host=host)
        self.output = output


class ReplicationCheckRunning(CommandTimeout):
    """`utils dbreplication runtimestate` still said IN PROGRESS when our wait ran out:
    its table is not final and was not judged."""

    def __init__(self, host: str, waited: float, checked: int | None, total: int | None) -> None:
        count = f" ({checked} of {total} tables checked)" if total is not None else ""
        super().__init__(
            f"{host}: the replication status check was still IN PROGRESS{count} after "
            f"{waited:g} s; its states are not final, so they were not judged",
            host=host,
        )


class UnexpectedPrompt(DriverError):
    """The CLI asked a question no dialog expects (reference 9.5: stop at once). Nothing
    was answered; ``transcript`` is the dialog so far, passwords masked."""

    def __init__(
        self,
        command: str,
        prompt: str,
        transcript: str,
        *,
        host: str | None = None,
        left: bool = True,
    ) -> None:
        where = "left it with Ctrl-C" if left else "could not leave it: the session was closed"
        super().__init__(
            f"{command!r} asked {prompt!r}, a question devpack does not expect; answered "
            f"nothing and {where}",
            host=host,
        )
        self.command = command
        self.prompt = prompt
        self.transcript = transcript


class CommandFailed(DriverError):
    """The CLI said the command failed (``Executed command unsuccessfully`` and similar)."""

    def __init__(
        self, command: str, output: str, *, reason: str = "", host: str | None = None
    ) -> None:
        why = f": {reason}" if reason else ""
        super().__init__(f"command {command!r} failed{why}", host=host)
        self.command = command
        self.output = output
        self.reason = reason


class UnsafeText(DriverError):
    """A value to type holds a character the CLI would act on (a control character
    ends a wizard, a CR submits a line): refused before anything is sent."""

    def __init__(self, what: str, characters: list[str], *, host: str | None = None) -> None:
        shown = ", ".join(f"U+{ord(c):04X}" for c in characters)
        super().__init__(
            f"refused to type {what}: it contains control character(s) {shown} that the "
            "node's CLI would act on; nothing was sent -- remove them from the playbook "
            "or inventory",
            host=host,
        )
        self.what = what
        self.characters = characters


class ParseError(DriverError):
    """A CLI output did not have the shape a parser needs."""

    def __init__(self, what: str, text: str) -> None:
        super().__init__(f"cannot parse {what}: {text[:200]!r}")
        self.what = what
        self.text = text
