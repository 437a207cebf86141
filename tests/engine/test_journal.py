"""The journal and the cluster lock, run against both backends: the embedded SQLite
journal (state dir) and the shared PostgreSQL journal (a real server, tests/pg_server.py)."""

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orchestrator.engine import journals
from orchestrator.engine.journal import JournalUnusable
from orchestrator.engine.lock import ClusterLocked
from orchestrator.engine.migrations import Migration, SchemaTooNew, pending
from orchestrator.errors import UserError


def _lock(states: Path, cluster: str) -> journals.RunLock:
    """The run's cluster lock (the first one ``run_locks`` takes)."""
    return journals.run_locks(states, cluster, "10.0.0.1", 22)[0]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request, monkeypatch, tmp_path) -> str:
    """Selects the journal backend through DEVPACK_JOURNAL, as an operator would (child
    processes inherit it); the value is the backend's name."""
    if request.param == "postgresql":
        monkeypatch.setenv(journals.JOURNAL_ENV, request.getfixturevalue("pg_journal_url"))
    return request.param


def test_steps_fold_from_entries(backend, tmp_path):
    journal = journals.open_journal(tmp_path)
    journal.create_run("r1", "c1", "{}", "inv.yml", "pb.yml")
    journal.write("r1", "running")
    journal.write("r1", "requested", step="install:sub1", node="sub1", file="x.cop.sgn")
    journal.write("r1", "done", step="install:sub1", node="sub1", outcome="installed")
    journal.write("r1", "requested", step="reboot:sub1", node="sub1")
    steps = journal.steps("r1")
    assert steps["install:sub1"].state == "done"
    assert steps["install:sub1"].detail == {"file": "x.cop.sgn", "outcome": "installed"}
    assert steps["install:sub1"].finished is not None
    assert steps["reboot:sub1"].state == "requested"
    assert steps["reboot:sub1"].finished is None
    assert journal.run_state("r1") == "running"
    assert [r.run_id for r in journal.runs("c1")] == ["r1"]
    assert journal.runs("other") == []
    journal.record_inputs("r1", {"cop": "x.cop.sgn"})
    assert journal.inputs("r1") == {"cop": "x.cop.sgn"}
    assert journal.inputs("r2") is None
    journal.close()
    # a second connection (another worker, for PostgreSQL) reads the same journal
    again = journals.open_journal(tmp_path)
    assert [e.state for e in again.entries("r1")] == ["running", "requested", "done", "requested"]
    again.close()


def test_entry_survives_sigkill(backend, tmp_path):
    script = textwrap.dedent(
        f"""
        import os, signal, pathlib
        from orchestrator.engine.journals import open_journal
        j = open_journal(pathlib.Path({str(tmp_path)!r}))
        j.create_run("r", "c", "{{}}", "i", "p")
        j.write("r", "requested", step="reboot:n1", node="n1")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], check=False)
    assert proc.returncode == -signal.SIGKILL
    assert journals.open_journal(tmp_path).steps("r")["reboot:n1"].state == "requested"


def test_lock_excludes_second_run_and_frees_on_death(backend, tmp_path):
    lock = _lock(tmp_path, "c1")
    lock.acquire("run-a")
    # another run of the same journal (for PostgreSQL: another worker, its own state dir)
    same_journal = tmp_path if backend == "sqlite" else tmp_path / "other-worker"
    with pytest.raises(ClusterLocked, match="run-a") as info:
        _lock(same_journal, "c1").acquire("run-b")
    assert info.value.holder["pid"] == os.getpid()
    assert journals.cluster_lock_holder(tmp_path, "c1")["run_id"] == "run-a"
    _lock(tmp_path, "c2").acquire("run-other-cluster")  # other clusters are not held up
    lock.release()
    assert journals.cluster_lock_holder(tmp_path, "c1") is None
    script = textwrap.dedent(
        f"""
        import os, signal, pathlib, sys
        from orchestrator.engine.journals import run_locks
        held = run_locks(pathlib.Path({str(tmp_path)!r}), "c1", "10.0.0.1", 22)[0]
        held.acquire("dying")
        print("held", flush=True)
        sys.stdin.readline()
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    child = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "held"
    assert journals.cluster_lock_holder(tmp_path, "c1")["run_id"] == "dying"
    child.communicate("go\n", timeout=30)
    assert child.returncode == -signal.SIGKILL
    # the OS (flock) or the server (the session ended) released the dead holder's lock;
    # the server notices the closed connection at once, but allow it a moment
    again = _lock(tmp_path, "c1")
    for attempt in range(50):
        try:
            again.acquire("run-c")
            break
        except ClusterLocked:
            if attempt == 49:
                raise
            __import__("time").sleep(0.1)
    again.release()


def test_schema_is_versioned_and_a_newer_one_refused(backend, tmp_path):
    journal = journals.open_journal(tmp_path)
    assert journal.schema_version() == 1
    journal.close()
    journals.open_journal(tmp_path).close()  # opening again migrates nothing
    journal = journals.open_journal(tmp_path)
    db = journal._db  # a later devpack's migration, as this one would see it
    db.execute("insert into schema_version values (99)")
    journal.close()
    with pytest.raises(JournalUnusable, match="schema is version 99, written by a newer"):
        journals.open_journal(tmp_path)


def test_migrations_run_in_order_once():
    steps = [Migration(1, ("a",)), Migration(2, ("b",)), Migration(3, ("c",))]
    assert [m.version for m in pending(0, steps)] == [1, 2, 3]
    assert [m.version for m in pending(2, steps)] == [3]
    assert pending(3, steps) == []
    with pytest.raises(SchemaTooNew):
        pending(4, steps)
    with pytest.raises(ValueError, match="in order"):
        pending(0, [Migration(2, ("b",)), Migration(1, ("a",))])


# ----- the PostgreSQL journal's address: credentials by reference -----------------------


def test_password_in_the_url_is_refused(monkeypatch):
    for url in (
        "postgresql://devpack:hunter2@db.example/devpack",
        "postgresql://devpack@db.example/devpack?password=hunter2",
    ):
        journals.select(url)
        with pytest.raises(UserError) as info:
            journals.open_journal(Path("unused"))
        assert info.value.exit_code == 2
        assert "hunter2" not in info.value.message + info.value.hint
        assert "by reference" in info.value.message + info.value.hint


def test_unknown_scheme_is_refused(tmp_path):
    journals.select("mysql://db.example/devpack")
    with pytest.raises(UserError, match="only postgresql://") as info:
        journals.open_journal(tmp_path)
    assert info.value.exit_code == 2


def test_password_by_reference_logs_in(postgres_server, pg_journal_url, monkeypatch, tmp_path):
    from pg_server import PASSWORD, PASSWORD_USER

    database = pg_journal_url.rsplit("/", 1)[1]
    url = postgres_server.url(database, user=PASSWORD_USER)
    journals.select(url)  # no password: the server asks for one
    with pytest.raises(JournalUnusable, match="password") as info:
        journals.open_journal(tmp_path)
    assert info.value.exit_code == 2
    monkeypatch.setenv("DEVPACK_TEST_DB_PASSWORD", PASSWORD)
    journals.select(url + "?password=env:DEVPACK_TEST_DB_PASSWORD")
    journal = journals.open_journal(tmp_path)
    journal.create_run("r1", "c1", "{}", "i", "p")
    assert journal.run("r1") is not None
    journal.close()
    secret = tmp_path / "db-password"
    secret.write_text(PASSWORD + "\n")
    journals.select(f"{url}?password=file:{secret}")
    assert [r.run_id for r in journals.open_journal(tmp_path).runs()] == ["r1"]
    journals.select(url + "?password=env:DEVPACK_TEST_UNSET")
    with pytest.raises(UserError, match="DEVPACK_TEST_UNSET: environment variable is not set"):
        journals.open_journal(tmp_path)


def test_unreachable_database_is_a_clear_error(tmp_path):
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    journals.select(f"postgresql://devpack@127.0.0.1:{port}/devpack?connect_timeout=2")
    with pytest.raises(JournalUnusable, match=f"cannot use the journal: .*port {port}") as info:
        journals.open_journal(tmp_path)
    assert info.value.exit_code == 2
    assert "DEVPACK_JOURNAL" in info.value.hint


def test_cli_refuses_a_password_in_the_journal_url(tmp_path):
    from typer.testing import CliRunner

    from orchestrator.cli import cli

    url = "postgresql://devpack:hunter2@127.0.0.1:5/devpack"
    result = CliRunner().invoke(cli, ["--journal", url, "status", "--state-dir", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "holds a password" in result.output and "by reference" in result.output
    assert "hunter2" not in result.output and "Traceback" not in result.output


def test_tls_to_the_database_is_verified(postgres_server, pg_journal_url, tmp_path):
    from orchestrator.lab.certs import LabCA

    verified = f"{pg_journal_url}?sslmode=verify-full&sslrootcert={postgres_server.ca_bundle}"
    journals.select(verified)
    with journals.open_journal(tmp_path) as journal:
        row = journal._db.execute(
            "select ssl from pg_stat_ssl where pid = pg_backend_pid()"
        ).fetchone()
    assert row == (True,)
    stranger = LabCA.create(tmp_path / "other-ca", "not the database's CA")
    journals.select(f"{pg_journal_url}?sslmode=verify-full&sslrootcert={stranger.bundle_path}")
    with pytest.raises(JournalUnusable, match="certificate verify failed") as info:
        journals.open_journal(tmp_path)
    assert info.value.exit_code == 2
