"""Errors a user can cause, and the exit codes the CLI maps them to."""

from __future__ import annotations

import errno

EXIT_OK = 0
EXIT_FAILED = 1  # a step failed; the run stopped safely and can be resumed
EXIT_INPUT = 2  # bad inventory, playbook or arguments
EXIT_PRECHECK = 3  # prechecks failed, or the cluster does not match the plan
EXIT_PAUSED = 4  # stopped at the end of the maintenance window; resumable
EXIT_LOCKED = 5  # another run holds this cluster
EXIT_UNREACHABLE = 6  # could not reach or log in to the cluster
EXIT_HELD = 7  # paused as asked (--stop-after install, an approval); resume to continue
EXIT_INTERRUPTED = 130  # Ctrl-C / SIGTERM; the run is journaled and resumable


class UserError(Exception):
    def __init__(self, message: str, hint: str = "", exit_code: int = EXIT_INPUT) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.exit_code = exit_code


def failure_text(exc: BaseException) -> str:
    """What an operator reads about a failure. The drivers' own errors and UserError say
    what went wrong and where in their message; only an exception nobody anticipated
    keeps its class name, as a clue for a bug report."""
    # imported here: the driver packages pull in paramiko and zeep
    from orchestrator.drivers.soap.errors import SoapError
    from orchestrator.drivers.ssh.errors import DriverError

    if isinstance(exc, DriverError | SoapError | UserError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def failure_remedy(exc: BaseException, node: str | None) -> str:
    """What to do about a failure in the middle of a run, by its kind: the run stopped
    with every node journaled, so each remedy ends in resuming."""
    from orchestrator.drivers.soap.errors import SoapAuthError, TlsVerificationError
    from orchestrator.drivers.ssh.errors import (
        AuthenticationFailed,
        HostKeyMismatch,
        UnknownHostKey,
    )

    where = f"node {node}" if node else "the node"
    if isinstance(exc, HostKeyMismatch):
        return (
            f"{where} presented a different SSH host key than before; a CUCM node keeps its "
            "key across restarts, so find out why: compare the new fingerprint with the one "
            f"the node's console shows (show myself / the platform's host key), and only then "
            f"replace its line in {exc.known_hosts}; if nobody changed it, stop: the "
            "connection may be intercepted"
        )
    if isinstance(exc, UnknownHostKey):
        return (
            f"add the SSH host key of {where} to {exc.known_hosts} after checking its "
            "fingerprint on the node's console"
        )
    if isinstance(exc, SoapAuthError):
        return (
            "AXL refused the application user in the middle of the run: check "
            "credentials.application in the inventory (username, the password its reference "
            "points to, the Standard AXL API Access and Serviceability roles) and that the "
            "account was not locked or its password changed meanwhile"
        )
    if isinstance(exc, AuthenticationFailed):
        return (
            f"{where} refused the platform login in the middle of the run: check "
            "credentials.platform in the inventory and that the OS administrator account "
            "was not locked or its password changed meanwhile"
        )
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return (
            f"a file system is full ({exc.filename or 'the state dir, for the run log'}): "
            "free space there"
        )
    if isinstance(exc, TlsVerificationError):
        return (
            f"the HTTPS certificate of {where} no longer verifies (regenerated at its "
            "restart?): check it on the node (`show cert own tomcat`), then pin it with "
            "`devpack trust -i INVENTORY` (or put the CA that signs it into ca_bundle)"
        )
    return (
        "devpack did not expect this (a bug, or an answer it does not know); every node's "
        f"state is journaled: check {where} over SSH (show version active, utils service "
        "list) and keep the run's log.jsonl for a bug report"
    )
