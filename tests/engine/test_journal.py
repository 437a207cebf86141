import os
import signal
import subprocess
import sys
import textwrap

import pytest

from orchestrator.engine.journal import Journal
from orchestrator.engine.lock import ClusterLock, ClusterLocked


def test_steps_fold_from_entries(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
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


def test_entry_survives_sigkill(tmp_path):
    path = tmp_path / "j.sqlite"
    script = textwrap.dedent(
        f"""
        import os, signal
        from orchestrator.engine.journal import Journal
        j = Journal(__import__('pathlib').Path({str(path)!r}))
        j.create_run("r", "c", "{{}}", "i", "p")
        j.write("r", "requested", step="reboot:n1", node="n1")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], check=False)
    assert proc.returncode == -signal.SIGKILL
    assert Journal(path).steps("r")["reboot:n1"].state == "requested"


def test_lock_excludes_second_run_and_frees_on_death(tmp_path):
    lock = ClusterLock(tmp_path, "c1")
    lock.acquire("run-a")
    with pytest.raises(ClusterLocked, match="run-a") as info:
        ClusterLock(tmp_path, "c1").acquire("run-b")
    assert info.value.holder["pid"] == os.getpid()
    lock.release()
    script = textwrap.dedent(
        f"""
        import os, signal, pathlib
        from orchestrator.engine.lock import ClusterLock
        ClusterLock(pathlib.Path({str(tmp_path)!r}), "c1").acquire("dying")
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    subprocess.run([sys.executable, "-c", script], check=False)
    again = ClusterLock(tmp_path, "c1")
    again.acquire("run-c")  # the OS released the dead holder's lock
    again.release()
