"""Errors a user can cause, and the exit codes the CLI maps them to."""

from __future__ import annotations

EXIT_OK = 0
EXIT_FAILED = 1  # a step failed; the run stopped safely and can be resumed
EXIT_INPUT = 2  # bad inventory, playbook or arguments
EXIT_PRECHECK = 3  # prechecks failed, or the cluster does not match the plan
EXIT_PAUSED = 4  # stopped at the end of the maintenance window; resumable
EXIT_LOCKED = 5  # another run holds this cluster
EXIT_UNREACHABLE = 6  # could not reach or log in to the cluster
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
