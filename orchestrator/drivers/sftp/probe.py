"""The SFTP source precheck: before the window, log in where the nodes will fetch the
COPs and check the directory, each file and its size (and checksum when devpack has the
file). Read-only; the host key is verified (known_hosts, or the key of devpack's own
server)."""

from __future__ import annotations

import hashlib
import stat
from dataclasses import dataclass

import paramiko

from orchestrator.drivers.ssh.transport import known_hosts_name


@dataclass(frozen=True)
class Expected:
    file: str
    size: int | None = None  # bytes, when devpack has the file
    md5: str | None = None  # checked by reading the file back, when devpack has it


@dataclass(frozen=True)
class Source:
    host: str
    port: int
    directory: str
    username: str
    password: object  # a Secret (.reveal()) or text
    known_hosts: str | None = None  # a file; or:
    host_key: paramiko.PKey | None = None  # the key of devpack's own server


def _reveal(password: object) -> str:
    reveal = getattr(password, "reveal", None)
    return reveal() if callable(reveal) else str(password)


def check_source(source: Source, files: list[Expected], timeout: float = 15.0) -> list[str]:
    """Problems found, each saying what to fix; empty when the nodes can fetch every file."""
    where = f"sftp://{source.host}:{source.port}{source.directory}"
    client = paramiko.SSHClient()
    if source.host_key is not None:
        name = known_hosts_name(source.host, source.port)
        client.get_host_keys().add(name, source.host_key.get_name(), source.host_key)
    elif source.known_hosts:
        try:
            client.load_host_keys(source.known_hosts)
        except OSError as exc:
            return [
                f"SFTP source {where}: cannot read known_hosts {source.known_hosts}: {exc.strerror}"
            ]
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    try:
        client.connect(
            source.host,
            source.port,
            username=source.username,
            password=_reveal(source.password),
            timeout=timeout,
            banner_timeout=timeout,
            auth_timeout=timeout,
            look_for_keys=False,
            allow_agent=False,
        )
    except paramiko.AuthenticationException:
        client.close()
        return [
            f"SFTP source {where}: the server refused user {source.username!r} "
            "(the nodes would fail with 'The user name or password is not valid'): "
            "check sftp.username and the password reference"
        ]
    except paramiko.SSHException as exc:
        client.close()
        if "not found in known_hosts" in str(exc) or "Server " in str(exc):
            return [
                f"SFTP source {where}: its host key is not in the inventory's "
                f"known_hosts ({source.known_hosts}): check the key with the SFTP "
                "server's administrator, then add it (ssh-keyscan -p "
                f"{source.port} {source.host} >> {source.known_hosts})"
            ]
        return [f"SFTP source {where}: SSH failed: {exc}"]
    except OSError as exc:
        client.close()
        return [
            f"SFTP source {where}: cannot connect ({exc.strerror or exc}): check "
            "sftp.host and sftp.port, and that this host and the nodes can reach it"
        ]
    try:
        return _check_files(client.open_sftp(), where, source.directory, files)
    except (paramiko.SSHException, OSError) as exc:
        return [f"SFTP source {where}: {exc}"]
    finally:
        client.close()


def _check_files(
    sftp: paramiko.SFTPClient, where: str, directory: str, files: list[Expected]
) -> list[str]:
    try:
        listing = {entry.filename: entry for entry in sftp.listdir_attr(directory)}
    except OSError:
        return [
            f"SFTP source {where}: the directory {directory} does not exist or cannot "
            "be listed (the nodes would fail with 'The directory could not be "
            "located'): check sftp.directory"
        ]
    problems = []
    for expected in files:
        entry = listing.get(expected.file)
        if entry is None or not stat.S_ISREG(entry.st_mode or 0):
            problems.append(
                f"SFTP source {where}: {expected.file} is not in {directory}: "
                "put it there, or fix cop.file / sftp.directory"
            )
            continue
        if expected.size is not None and entry.st_size != expected.size:
            problems.append(
                f"SFTP source {where}: {expected.file} is {entry.st_size} bytes, "
                f"expected {expected.size}: copy the file again"
            )
            continue
        if entry.st_size == 0:
            problems.append(f"SFTP source {where}: {expected.file} is empty")
            continue
        if expected.md5 is not None:
            digest = hashlib.md5(usedforsecurity=False)
            with sftp.open(f"{directory.rstrip('/')}/{expected.file}", "rb") as remote:
                remote.prefetch()
                while chunk := remote.read(1 << 16):
                    digest.update(chunk)
            if digest.hexdigest() != expected.md5:
                problems.append(
                    f"SFTP source {where}: {expected.file} does not have the "
                    "playbook's MD5: the file on the server is not the one "
                    "devpack checked"
                )
    return problems
