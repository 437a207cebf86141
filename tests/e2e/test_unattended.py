"""The unattended change: install now (``--stop-after install``), restart later through
an approval pause, to completion; a notification at every event reaches a real webhook
receiver on loopback, and every ``--json`` document is valid against its schema."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path

from devpack_runs import edit_playbook, journal_states, run_args
from json_documents import devpack_json
from lab_truth import assert_groups_never_fully_down, assert_phones_home
from webhook import webhook_receiver

from orchestrator.cucm.release import cop_base_name
from orchestrator.lab.config import demo_config

REBOOT_RELEASE = "9.1.2.10000-28"
RESTARTS = ("reboot_started", "service_restart_requested")


def registered(world) -> dict[str, dict[str, int]]:
    """The lab's own truth: phones registered per node and model, as RisPort70 lists them."""
    counts: dict[str, dict[str, int]] = {}
    for phone in world.phones.values():
        if phone.status == "Registered":
            per_model = counts.setdefault(phone.node, {})
            per_model[phone.model] = per_model.get(phone.model, 0) + 1
    return counts


def test_install_now_then_restart_through_an_approval(lab_cluster, tmp_path: Path):
    cluster = lab_cluster(demo_config(release=REBOOT_RELEASE, profile="fast"))
    state = tmp_path / "state"
    events = cluster.lab.events
    with webhook_receiver() as hook:
        edit_playbook(cluster.playbook, approvals=["restart-wave-1"], notify=[hook.url])

        # 1. install and verify only; journaled as paused, exit 7
        before = registered(cluster.world)
        code, document, stderr = devpack_json(
            *run_args(
                cluster,
                state,
                "--stop-after",
                "install",
                "--run-id",
                "chg-7",
                "--change-id",
                "CHG0042",
                "--operator",
                "alice",
            )
        )
        run = document["run"]
        assert code == 7, stderr
        ticket = run["ticket"]
        assert (ticket["change_id"], ticket["operator"]) == ("CHG0042", "alice")
        assert ticket["host"] == socket.gethostname() and ticket["recorded_at"].endswith("Z")
        assert set(ticket["inputs"]) >= {
            f"inventory {cluster.inventory.name}",
            f"playbook {cluster.playbook.name}",
        }
        assert run["next_step"]["action"] == "approve"
        # the before snapshot, in the run folder the moment it was taken: what RisPort70
        # listed before the first change, per node and model
        snapshot = json.loads((state / "runs" / "chg-7" / "snapshot-before.json").read_text())
        assert snapshot["phones_error"] is None
        assert {n["name"]: n["registered"] for n in snapshot["nodes"] if n["registered"]} == before
        assert (run["state"], run["paused_before"]) == ("paused", "restart-publisher")
        assert run["resume_command"] == f"devpack resume chg-7 --state-dir {state}"
        assert "devpack resume chg-7" in stderr  # what the operator reads says how to go on
        installed = Counter(e.node for e in events.select("install_finished"))
        assert installed == dict.fromkeys(cluster.world.nodes, 1)
        assert not [e for e in events.all() if e.event in RESTARTS]
        assert run["report"]["folder"], run["report"]["failure"]
        report = Path(run["report"]["folder"])
        html = (report / "report.html").read_text()
        assert "Paused as planned, not a failure" in html and "Failed" not in html
        assert html.index("CHG0042") < html.index("Before and after")
        # the paused run's restart findings say what its banner says: devpack resume
        findings = json.loads((report / "report.json").read_text())["audit"]["findings"]
        pending = [f for f in findings if f["code"] in ("restart-pending", "reboot-pending")]
        assert pending, findings
        for finding in pending:
            assert run["next_step"]["text"] in finding["remedy"], finding
            assert "utils system restart" not in finding["remedy"]
        assert hook.events() == ["start", "pause"]
        secrets = [
            cluster.lab.config.admin.password,
            cluster.lab.config.sftp.password,
            cluster.lab.config.application.password,
        ]
        # each node's install dialog is kept for Cisco TAC, passwords masked, and linked
        for node in cluster.world.nodes:
            kept = state / "runs" / "chg-7" / "transcripts" / f"{node}-install.txt"
            text = kept.read_text()
            assert cluster.lab.config.sftp.directory in text and "install dialog" in text
            assert not any(secret in text for secret in secrets)
            assert f'href="../transcripts/{node}-install.txt"' in html
        assert "continue with: devpack resume chg-7" in hook.posts[1]["message"]
        assert f"report: {report / 'report.html'}" in hook.posts[1]["message"]

        # 2. later, another operator: resume approves the publisher restart, stops at the
        #    approval; the ticket keeps the change id and notes who took over
        code, document, stderr = devpack_json(
            "resume", "chg-7", "--state-dir", str(state), "--operator", "bob"
        )
        run = document["run"]
        assert code == 7, stderr
        assert (run["ticket"]["change_id"], run["ticket"]["operator"]) == ("CHG0042", "bob")
        assert run["ticket"]["notes"][-1].endswith("operator alice -> bob")
        assert (run["state"], run["paused_before"]) == ("paused", "restart-wave-1")
        publisher = cluster.world.publisher.name
        assert [e.node for e in events.select("reboot_started")] == [publisher]
        assert journal_states(state, "chg-7", "approval/restart-publisher") == ["done"]

        # 3. the change board said yes: the rest, to completion
        #    (in a window given on the command line, which the ticket lists)
        code, document, stderr = devpack_json(
            "resume", "chg-7", "--state-dir", str(state), "--window", "now/PT4H"
        )
        assert code == 0, stderr
        assert document["run"]["state"] == "completed"
        [window] = document["run"]["ticket"]["windows"]
        assert window.endswith("(--window)") and " / " in window
        assert document["run"]["resume_command"] is None
        assert document["run"]["next_step"] == {
            "action": "nothing",
            "command": None,
            "text": "nothing: the rollout completed",
        }
        # before/after: the snapshot taken before the first change survived two resumes;
        # after = what the post-run audit read; every node gained the pack, no model lost
        # a registration (phones of the pack's models may register only after it)
        final = json.loads((report / "report.json").read_text())
        changes = final["changes"]
        assert changes["before"] == snapshot
        assert changes["after"]["source"] == "post-run audit"
        assert {
            n["name"]: n["registered"] for n in changes["after"]["nodes"] if n["registered"]
        } == (registered(cluster.world))
        pack = cop_base_name(cluster.lab.config.device_packs[0].file)
        assert [(n["node"], n["options_added"]) for n in changes["nodes"]] == [
            (node, [pack]) for node in cluster.world.nodes
        ]
        assert changes["lost_registrations"] == 0
        reboots = Counter(e.node for e in events.select("reboot_started"))
        assert reboots == dict.fromkeys(cluster.world.nodes, 1)  # nothing twice
        assert Counter(e.node for e in events.select("install_started")) == installed

        assert hook.events() == ["start", "pause", "start", "pause", "start", "completion"]
        assert hook.posts[2]["message"].count("restart-publisher approved") == 1
        secrets = [
            cluster.lab.config.admin.password,
            cluster.lab.config.sftp.password,
            cluster.lab.config.application.password,
        ]
        for post in hook.posts:
            assert "cluster: " in post["message"] and "run: chg-7" in post["message"]
            assert not any(secret in post["message"] for secret in secrets)
    assert_groups_never_fully_down(cluster.world, events.all())
    assert_phones_home(cluster.world)
