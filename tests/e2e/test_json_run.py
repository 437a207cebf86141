"""``--json`` and ``--run-id`` against the lab: one document on stdout, valid against the
schema; a retry of a completed run id reports it again without touching the cluster."""

from __future__ import annotations

from pathlib import Path

from devpack_runs import run_args
from json_documents import devpack_json

from orchestrator.lab.config import demo_config

SERVICE_RELEASE = "12.5.1.14900-63"
CHANGES = ("install_started", "reboot_started", "service_restart_requested")


def test_plan_run_retry_status_audit_as_json(lab_cluster, tmp_path: Path):
    cluster = lab_cluster(demo_config(release=SERVICE_RELEASE, profile="fast"))
    state = tmp_path / "state"
    inputs = ("-i", str(cluster.inventory), "-p", str(cluster.playbook))

    code, plan, _ = devpack_json("plan", *inputs)
    assert code == 0 and plan["plan"]["cluster"] == cluster.world.config.cluster
    assert plan["plan"]["stages"][0]["name"] == "prechecks"

    code, document, stderr = devpack_json(*run_args(cluster, state, "--run-id", "nightly-42"))
    assert code == 0, stderr
    run = document["run"]
    assert (run["run_id"], run["state"], run["resume_command"]) == ("nightly-42", "completed", None)
    assert Path(run["report"]["html"]).is_file()
    assert set(run["nodes"]) == set(cluster.world.nodes)
    assert "== prechecks" in stderr  # progress went to stderr
    changes = [e for e in cluster.lab.events.all() if e.event in CHANGES]
    assert changes

    # a scheduler's retry: the same result, and nothing new happens on the cluster
    code, again, _ = devpack_json(*run_args(cluster, state, "--run-id", "nightly-42"))
    assert code == 0 and again["run"]["already_complete"] is True
    assert again["run"]["report"]["html"] == run["report"]["html"]
    assert [e for e in cluster.lab.events.all() if e.event in CHANGES] == changes

    # the same run id with another playbook is refused by name (exit 3), not run
    other = tmp_path / "other-playbook.yml"
    other.write_text(cluster.playbook.read_text())
    args = run_args(cluster, state, "--run-id", "nightly-42")
    args[args.index("-p") + 1] = str(other)
    code, refused, stderr = devpack_json(*args)
    assert code == 3 and refused["exit_code"] == 3, refused
    said = refused["error"]["message"]
    assert "run nightly-42 exists" in said and str(other) in said, said
    assert "Traceback" not in stderr
    assert [e for e in cluster.lab.events.all() if e.event in CHANGES] == changes

    code, status, _ = devpack_json("status", "--state-dir", str(state))
    assert code == 0
    assert [(r["run_id"], r["state"]) for r in status["runs"]] == [("nightly-42", "completed")]
    code, one, _ = devpack_json("status", "nightly-42", "--state-dir", str(state))
    assert set(one["runs"][0]["nodes"]) == set(cluster.world.nodes)

    code, audit, _ = devpack_json("audit", *inputs)
    assert code == 0 and audit["audit"]["cluster"] == cluster.world.config.cluster
