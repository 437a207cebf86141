"""`devpack lab up` as a user runs it: a separate process, ready line, clean SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestrator.config.loader import load_inventory

DEVPACK = [sys.executable, "-c", "from orchestrator.cli import main; main()"]


def _wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_lab_up_runs_until_sigterm_and_switches_faults(tmp_path: Path):
    inventory = tmp_path / "out" / "lab.yml"
    events = tmp_path / "events.jsonl"
    faults = tmp_path / "faults.yml"
    proc = subprocess.Popen(
        [
            *DEVPACK,
            "lab",
            "up",
            "--profile",
            "fast",
            "--workdir",
            str(tmp_path / "w"),
            "--inventory-out",
            str(inventory),
            "--playbook-out",
            str(tmp_path / "out" / "pb.yml"),
            "--events",
            str(events),
            "--faults-file",
            str(faults),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        ready = proc.stdout.readline()
        assert ready.startswith("lab ready: cluster demo"), ready + proc.stderr.read()
        parsed = load_inventory(inventory)  # the written inventory validates
        assert parsed.publisher.name == "cucmpub" and len(parsed.nodes) == 4
        # the demo cluster runs 9.1: OpenSSH 5.3 era, RSA host keys only (reference 9.1);
        # the lab's SFTP server is listed too (devpack's source precheck logs in)
        known = (inventory.parent / "lab.known_hosts").read_text()
        assert known.count(" ssh-rsa ") == 4 and known.count(" ecdsa-sha2-nistp256 ") == 1
        faults.write_text("- {kind: replication_stuck, node: cucmsub2, state: 4}\n")
        assert _wait_for(lambda: "replication_state" in events.read_text())
        changes = [json.loads(line) for line in events.read_text().splitlines()]
        assert {"node": "cucmsub2", "event": "replication_state", "state": 4}.items() <= next(
            c for c in changes if c["event"] == "replication_state"
        ).items()
        faults.write_text("[]\n")  # cleared: replication settles back to 2

        def sub2_states() -> list[int]:
            lines = [json.loads(line) for line in events.read_text().splitlines()]
            return [
                c["state"]
                for c in lines
                if c["event"] == "replication_state" and c["node"] == "cucmsub2"
            ]

        assert _wait_for(lambda: sub2_states() == [4, 2]), sub2_states()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "lab stopped" in out
    assert "Traceback" not in err
