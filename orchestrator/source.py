"""Where the nodes fetch the COPs from: your own SFTP server, or devpack's (sftp.serve).

Served: a one-time account (random user and password, made when the inputs are loaded,
given to the log redactor at once) on a read-only server that lives only while the
process runs a rollout, resume or dry run. The runs of one process (a fleet's clusters)
that name the same serve address share its one server (``SERVERS``), each with its own
account. Either way ``problems()`` is the source precheck the precheck stage (and
``--dry-run``) runs before the window.
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
from orchestrator.drivers.sftp.server import (
    CopServer,
    OneTimeAccount,
    ServeError,
    Share,
    SharedServers,
)
from orchestrator.errors import EXIT_PRECHECK, UserError

log = structlog.get_logger(__name__)

# devpack's own SFTP servers of this process, one per serve address
SERVERS = SharedServers()


@dataclass
class CopSource:
    host: str
    port: int
    directory: str
    username: str
    password: Secret
    known_hosts: Path
    expected: list[Expected] = field(default_factory=list)
    share: Share | None = None  # the run's account on devpack's own server (sftp.serve)
    who: str = ""  # the cluster, named if another asks for this serve address differently
    server: CopServer | None = None  # the server serving ``share``, while it does

    @property
    def served(self) -> bool:
        return self.share is not None

    def describe(self) -> str:
        who = "devpack's own SFTP server" if self.served else "SFTP server"
        return f"{who} sftp://{self.host}:{self.port}{self.directory}"

    @contextlib.contextmanager
    def serving(self) -> Iterator[None]:
        """devpack's server serves this run's account for the block (a no-op for your
        own server)."""
        if self.share is None:
            yield
            return
        try:
            server = SERVERS.add(self.host, self.port, self.directory, self.share, self.who)
        except ServeError as exc:
            raise UserError(exc.message, exc.hint, EXIT_PRECHECK) from None
        self.server = server
        try:
            yield
        finally:
            self.server = None
            SERVERS.remove(server, self.share)

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
        if self.share is None:
            return check_source(probe, self.expected)
        assert self.server is not None, "prechecked while serving"
        with self.share.not_recording():
            return check_source(probe, self.expected)


def cop_source(
    playbook: Playbook, known_hosts: Path, prompt: Prompter | None, cluster: str = ""
) -> CopSource:
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
    return CopSource(
        sftp.serve.address,
        sftp.serve.port,
        SERVED_DIRECTORY,
        account.username,
        Secret(account.password),
        known_hosts,
        expected,
        Share(account, files),
        f"cluster {cluster}" if cluster else "another run",
    )
