"""A real PostgreSQL server for the shared-journal tests, one per test session.

CI runs as root and PostgreSQL refuses to run as root: the server runs as ``nobody``
(through runuser) in a temporary folder given to it, listening on a free loopback port
with its unix socket in that folder; the session's end stops it and deletes the folder.
Each test gets a database of its own. Without the server binaries the tests that need
it skip, naming what is missing (``.ci/run`` installs them)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

BINDIR_ENV = "DEVPACK_TEST_PG_BINDIR"
USER = "devpack"
# a role that must give a password (scram), for the credentials-by-reference tests
PASSWORD_USER, PASSWORD = "devpack_pw", "s3cret-for-tests"


def find_bindir() -> Path | None:
    given = os.environ.get(BINDIR_ENV)
    if given:
        return Path(given)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0,
    )
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PgServer:
    root: Path
    port: int
    bindir: Path
    as_user: list[str]
    # the CA that issued the server's certificate (for 127.0.0.1), for sslrootcert
    ca_bundle: Path | None = None

    def url(self, database: str, user: str = USER) -> str:
        return f"postgresql://{user}@127.0.0.1:{self.port}/{database}"

    def create_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as db:
            # owned by the password role: it may create the journal's tables
            db.execute(f'create database "{name}" owner {PASSWORD_USER}')  # type: ignore[arg-type]
        return name

    def stop(self) -> None:
        subprocess.run(
            [
                *self.as_user,
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.root / "data"),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_server() -> PgServer:
    bindir = find_bindir()
    if bindir is None or not (bindir / "pg_ctl").exists():
        pytest.skip(
            "PostgreSQL server binaries not found (initdb, pg_ctl under "
            f"/usr/lib/postgresql/*/bin; or set {BINDIR_ENV}): apt-get install postgresql"
        )
    root = Path(tempfile.mkdtemp(prefix="devpack-pg-"))
    as_user: list[str] = []
    if os.getuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
        as_user = ["runuser", "-u", "nobody", "--"]
    server = PgServer(root, _free_port(), bindir, as_user)

    def run(*args: str) -> None:
        done = subprocess.run(
            [*as_user, *args], capture_output=True, text=True, check=False, cwd=root
        )
        if done.returncode != 0:
            server.stop()
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")

    data = root / "data"
    run(
        str(bindir / "initdb"),
        "-D",
        str(data),
        "-U",
        USER,
        "--auth=trust",
        "-E",
        "UTF8",
        "--no-sync",
    )
    # TLS as in production: a certificate for 127.0.0.1 from a CA of the test's own
    from orchestrator.lab.certs import LabCA

    ca = LabCA.create(root / "tls", "devpack test database CA")
    cert, key = ca.issue("devpack-db", "127.0.0.1")
    server.ca_bundle = ca.bundle_path
    if as_user:
        for path in (root / "tls", cert, key):
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
    hba = data / "pg_hba.conf"
    hba.write_text(f"host all {PASSWORD_USER} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    # fsync off: the tests kill clients, never the server; it keeps the suite fast
    options = (
        f"-p {server.port} -k {root} -h 127.0.0.1 -c fsync=off -c max_connections=200 "
        f"-c ssl=on -c ssl_cert_file={cert} -c ssl_key_file={key}"
    )
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-l",
        str(root / "server.log"),
        "-w",
        "-t",
        "60",
        "-o",
        options,
        "start",
    )
    import psycopg

    with psycopg.connect(server.url("postgres"), autocommit=True) as db:
        db.execute(
            f"create role {PASSWORD_USER} login password '{PASSWORD}'"  # type: ignore[arg-type]
        )
    return server


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PgServer]:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install -e '.[dev]')")
    server = start_server()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_journal_url(postgres_server: PgServer) -> str:
    """A fresh, empty database of the session's server, as a journal URL."""
    return postgres_server.url(postgres_server.create_database())
