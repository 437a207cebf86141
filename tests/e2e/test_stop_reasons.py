"""Stop reasons after a reboot (issue 10 item 1), over real SSH/HTTPS against the lab.

A service that ran before a reboot and comes back ``Component is not running`` or
``Commanded Out of Service`` is a failure of the services gate, not a pass."""

from __future__ import annotations

import json
import time

import pytest
from devpack_runs import devpack, edit_playbook, run_args, run_ids

from orchestrator.cucm import texts
from orchestrator.engine.journal import Journal
from orchestrator.lab.config import FaultKind, FaultSpec, demo_config

REBOOT_RELEASE = "9.1.2.10000-28"


@pytest.mark.parametrize(
    "reason", [texts.REASON_COMPONENT_NOT_RUNNING, texts.REASON_OUT_OF_SERVICE]
)
def test_service_down_after_reboot_stops_the_run_and_the_audit_says_so(
    lab_cluster, tmp_path, reason
):
    fault = FaultSpec(
        kind=FaultKind.SERVICE_DOWN_AFTER_REBOOT,
        node="cucmsub2",
        service=texts.SVC_TOMCAT,
        reason=reason,
        count=1,
    )
    config = demo_config(release=REBOOT_RELEASE, profile="fast")
    cluster = lab_cluster(config.model_copy(update={"faults": [fault]}))
    out_of_service = reason == texts.REASON_OUT_OF_SERVICE
    # a service back out of service fails at once: a long timeout must not be waited out
    edit_playbook(cluster.playbook, timeouts={"services": 600 if out_of_service else 2})
    state = tmp_path / "state"
    began = time.monotonic()
    code, output = devpack(*run_args(cluster, state))
    assert code == 1, output
    flat = " ".join(output.split())
    assert f"not STARTED: {texts.SVC_TOMCAT} STOPPED ({reason})" in flat, output
    if out_of_service:  # deliberate wording, judged by the state before
        assert "STARTED before the restart" in flat, output
        assert f"utils service start {texts.SVC_TOMCAT}" in flat, output
        assert time.monotonic() - began < 120
    # the lab held it down on that node only; the next wave never started
    [held] = cluster.lab.events.select("service_held_down")
    assert held.node == "cucmsub2"
    tomcat = cluster.world.nodes["cucmsub2"].services[texts.SVC_TOMCAT]
    assert (tomcat.state, tomcat.reason) == ("STOPPED", reason)
    # the post-run audit judges against the state before the restart, too
    [run_id] = run_ids(state)
    report = json.loads((state / "runs" / run_id / "report" / "report.json").read_text())
    findings = [
        f
        for f in report["audit"]["findings"]
        if f["code"] == "service-down" and f["node"] == "cucmsub2"
    ]
    assert findings, report["audit"]["findings"]
    assert texts.SVC_TOMCAT in findings[0]["evidence"]["services"]
    assert f"utils service start {texts.SVC_TOMCAT}" in findings[0]["remedy"]


def test_with_the_option_devpack_starts_a_service_back_out_of_service(lab_cluster, tmp_path):
    fault = FaultSpec(
        kind=FaultKind.SERVICE_DOWN_AFTER_REBOOT,
        node="cucmsub2",
        service=texts.SVC_TOMCAT,
        reason=texts.REASON_OUT_OF_SERVICE,
        count=1,
    )
    config = demo_config(release=REBOOT_RELEASE, profile="fast")
    cluster = lab_cluster(config.model_copy(update={"faults": [fault]}))
    edit_playbook(cluster.playbook, restart={"start_services_out_of_service": True})
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    assert code == 0, output
    events = cluster.lab.events
    [held] = events.select("service_held_down")
    [started] = events.select("service_start_requested")
    assert (started.node, started.data["service"]) == ("cucmsub2", texts.SVC_TOMCAT)
    assert started.time > held.time
    tomcat = cluster.world.nodes["cucmsub2"].services[texts.SVC_TOMCAT]
    assert tomcat.state == "STARTED"
    # journaled before the command, on the node's restart step
    [run_id] = run_ids(state)
    with Journal(state / "journal.sqlite") as journal:
        entries = [
            e
            for e in journal.entries(run_id)
            if e.node == "cucmsub2" and e.state == "service_start_requested"
        ]
    assert len(entries) == 1 and entries[0].detail["service"] == texts.SVC_TOMCAT
    assert entries[0].time < started.time
