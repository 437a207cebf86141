"""Where the nodes fetch the COPs from: your own SFTP server, or devpack's (sftp.serve).

Served: a one-time account (random user and password, made when the inputs are loaded,
given to the log redactor at once) on a read-only server that lives only while the
process runs a rollout, resume or dry run. Either way ``problems()`` is the source
precheck the precheck stage (and ``--dry-run``) runs before the window.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from orchestrator import logs
from orchestrator.config.playbook import SERVED_DIRECTORY, Playbook
from orchestrator.config.secrets import Prompter, Secret
from orchestrator.drivers.sftp.probe import Expected, Source, check_source
from orchestrator.drivers.sftp.server import CopServer, OneTimeAccount, ServeError
from orchestrator.errors import EXIT_PRECHECK, UserError

log = structlog.get_logger(__name__)


@dataclass
class CopSource:
    host: str
    port: int
    directory: str
    username: str
    password: Secret
    known_hosts: Path
    expected: list[Expected] = field(default_factory=list)
    server: CopServer | None = None  # devpack's own (sftp.serve), not started yet

    @property
    def served(self) -> bool:
        return self.server is not None

    def describe(self) -> str:
        who = "devpack's own SFTP server" if self.served else "SFTP server"
        return f"{who} sftp://{self.host}:{self.port}{self.directory}"

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """devpack's server runs for the block (a no-op for your own server)."""
        if self.server is None:
            yield
            return
        try:
            self.server.start()
        except ServeError as exc:
            raise UserError(exc.message, exc.hint, EXIT_PRECHECK) from None
        try:
            yield
        finally:
            self.server.stop()

    def problems(self) -> list[str]:
        """The source precheck: login, directory, each file, its size (and MD5 when
        devpack has the file). Reading a served file back is not a node's download."""
        probe = Source(
            self.host,
            self.port,
            self.directory,
            self.username,
            self.password,
            known_hosts=str(self.known_hosts),
            host_key=self.server.host_key if self.server else None,
        )
        if self.server is None:
            return check_source(probe, self.expected)
        with self.server.not_recording():
            return check_source(probe, self.expected)


def cop_source(playbook: Playbook, known_hosts: Path, prompt: Prompter | None) -> CopSource:
    sftp = playbook.sftp
    if sftp.serve is None:
        assert sftp.host and sftp.directory and sftp.username and sftp.password
        password = sftp.password.resolve(prompt)
        logs.REDACTOR.add(password.reveal())
        return CopSource(
            sftp.host,
            sftp.port,
            sftp.directory,
            sftp.username,
            password,
            known_hosts,
            [Expected(c.file_name) for c in playbook.all_cops],
        )
    account = OneTimeAccount.make()
    logs.REDACTOR.add(account.password)  # before anything could log it
    files: dict[str, Path] = {}
    expected = []
    for cop in playbook.all_cops:
        assert cop.source is not None  # the playbook's rule with sftp.serve
        files[cop.file_name] = cop.source
        expected.append(Expected(cop.file_name, cop.source.stat().st_size, cop.md5))
    server = CopServer(files, sftp.serve.address, sftp.serve.port, SERVED_DIRECTORY, account)
    return CopSource(
        sftp.serve.address,
        sftp.serve.port,
        SERVED_DIRECTORY,
        account.username,
        Secret(account.password),
        known_hosts,
        expected,
        server,
    )
