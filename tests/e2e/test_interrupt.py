"""SIGTERM (as systemd or an operator's kill sends it) stops a run cleanly: the step under
way finishes, nothing new starts, the journal says interrupted, resume completes it."""

from __future__ import annotations

import json
import os
import signal
import threading

from devpack_runs import Spawned, devpack, is_event, run_args, run_ids, run_state
from lab_truth import assert_cluster_right, assert_once_each

from orchestrator.lab.config import demo_config


def test_sigterm_mid_install_stops_cleanly_and_resumes(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release="9.1.2.10000-28", profile="fast"))
    state = tmp_path / "state"
    spawned = Spawned(run_args(cluster, state), tmp_path / "out")
    sent = threading.Event()

    def terminate(event) -> None:
        if is_event("install_started", "cucmpub")(event) and not sent.is_set():
            sent.set()
            os.kill(spawned.proc.pid, signal.SIGTERM)

    cluster.lab.events.subscribe(terminate)
    code = spawned.wait()
    assert sent.is_set()
    assert code == 130, spawned.output
    [run_id] = run_ids(state)
    assert run_state(state, run_id) == "interrupted"
    assert f"devpack resume {run_id}" in spawned.output and "Traceback" not in spawned.output
    events = cluster.lab.events
    # the install under way was let finish; no other node was touched
    assert len(events.select("install_finished", "cucmpub")) == 1
    assert [e.node for e in events.select("install_started")] == ["cucmpub"]

    # the run's report tells the truth: interrupted, when, and how to continue as typed
    report = json.loads((state / "runs" / run_id / "report" / "report.json").read_text())
    assert report["run"]["status"] == "interrupted"
    assert report["run"]["finished"] is not None
    assert report["run"]["resume_command"] == f"devpack resume {run_id} --state-dir {state}"
    markdown = (state / "runs" / run_id / "report" / "report.md").read_text()
    assert f"`devpack resume {run_id} --state-dir {state}`" in markdown

    code, output = devpack("resume", run_id, "--state-dir", str(state))
    assert code == 0, output
    assert_once_each(cluster, "reboot")
    assert_cluster_right(cluster)
