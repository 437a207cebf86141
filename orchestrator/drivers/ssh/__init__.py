"""CUCM platform admin CLI over SSH, layered like scrapli:

- ``transport``: paramiko connection, host key pinning, auth, PTY shell;
- ``channel``: read-until-pattern, output normalisation, pager answers;
- ``platform``: ``CucmCli``, the CUCM driver (prompt, commands, restarts, installs);
- ``dialogs``: prompt/answer dialogs as data and their runner; ``upgrade`` and
  ``system`` hold the CUCM dialogs;
- ``parsers``: pure functions from CLI output to dataclasses.
"""

from orchestrator.drivers.ssh.errors import (
    AuthenticationFailed,
    CommandFailed,
    CommandTimeout,
    ConnectionRefused,
    DriverError,
    HostKeyMismatch,
    NodeUnreachable,
    ParseError,
    SessionClosed,
    UnknownHostKey,
    UnsafeText,
)
from orchestrator.drivers.ssh.platform import CUCM, CucmCli, CucmPlatform
from orchestrator.drivers.ssh.transport import SshTarget, SshTransport
from orchestrator.drivers.ssh.upgrade import (
    CancelOutcome,
    CopInstallRequest,
    InstallOutcome,
    InstallResult,
    WizardProbe,
)

__all__ = [
    "CUCM",
    "AuthenticationFailed",
    "CancelOutcome",
    "CommandFailed",
    "CommandTimeout",
    "ConnectionRefused",
    "CopInstallRequest",
    "CucmCli",
    "CucmPlatform",
    "DriverError",
    "HostKeyMismatch",
    "InstallOutcome",
    "InstallResult",
    "NodeUnreachable",
    "ParseError",
    "SessionClosed",
    "SshTarget",
    "SshTransport",
    "UnknownHostKey",
    "UnsafeText",
    "WizardProbe",
]
