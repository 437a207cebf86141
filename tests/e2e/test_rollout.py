"""End-to-end rollouts against the lab over real SSH and HTTPS; judged by lab events."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from devpack_runs import devpack, run_args, run_ids
from lab_truth import (
    CM,
    TFTP,
    assert_all_know,
    assert_groups_never_fully_down,
    assert_one_tftp_always_up,
    assert_phones_home,
    first,
)

from orchestrator.engine.journal import Journal
from orchestrator.lab.config import OLD_REPLICATION_CHECK_MINUTES, demo_config

PACK = "cmterm-devicepack12.5.1.17123-1.cop.sgn"
MODELS = ["Cisco 8851", "Cisco 8865"]


def report_of(state: Path) -> tuple[dict, str]:
    folder = state / "runs" / run_ids(state)[-1] / "report"
    return json.loads((folder / "report.json").read_text()), (folder / "report.md").read_text()


def test_legacy_ssh_release_rollout_names_the_legacy_nodes(lab_cluster, tmp_path):
    # 11.5: every node's sshd is OpenSSH 5.3 (ssh-rsa SHA-1 host keys only, reference 9.1)
    cluster = lab_cluster(demo_config(release="11.5.1.10000-6", profile="fast"))
    world, events = cluster.world, cluster.lab.events
    assert {n.ssh_offer.host_key_algorithms for n in world.nodes.values()} == {("ssh-rsa",)}
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    assert code == 0, output
    for node in world.nodes:
        assert len(events.select("install_finished", node)) == 1
        assert len(events.select("reboot_started", node)) == 1
    assert_groups_never_fully_down(world, events.all())
    assert_all_know(world, MODELS)
    assert_phones_home(world)
    # the plan's note names every node once
    flat = " ".join(output.split())
    names = ", ".join(sorted(world.nodes))
    assert f"{names}: SSH uses host key ssh-rsa (SHA-1 signature) (OpenSSH_5.3)" in flat
    report, markdown = report_of(tmp_path / "state")
    for node in report["nodes"]:
        assert node["ssh"]["server_version"] == "SSH-2.0-OpenSSH_5.3"
        assert node["ssh"]["legacy"] == ["host key ssh-rsa (SHA-1 signature)"], node["name"]
        assert "pinned in known_hosts" in node["ssh"]["why"]
    assert f"Legacy SSH on {', '.join(n['name'] for n in report['nodes'])}" in markdown


@pytest.mark.parametrize("check_survives", [True, False], ids=["check-survives", "check-forgot"])
def test_reboot_release_rollout(lab_cluster, tmp_path, check_survives):
    """Both ways of the lab's inferred rule: a finished replication status check is still
    shown after a reboot (the default, the hard case) or forgotten."""
    config = demo_config(release="9.1.2.10000-28", profile="fast")
    config.rules.replication_check_survives_reboot = check_survives
    config.replication_check_minutes_ago = OLD_REPLICATION_CHECK_MINUTES  # all 2s, months old
    cluster = lab_cluster(config)
    world, events = cluster.world, cluster.lab.events
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    assert code == 0, output
    assert "reboot" in output and "older than 11.5(1)" in output
    log = events.all()
    pub = world.publisher.name
    subscribers = [n for n in world.nodes if n != pub]
    # every node installed before its restart; exactly one install and one reboot each
    for node in world.nodes:
        assert len(events.select("install_finished", node)) == 1
        assert len(events.select("reboot_started", node)) == 1
        assert first(log, node, "install_finished").time < first(log, node, "reboot_started").time
    # the publisher is back (services STARTED, replication 2) before any subscriber restarts
    first_sub_reboot = min(first(log, n, "reboot_started").time for n in subscribers)
    pub_back = max(
        first(log, pub, "service_state", service=s, state="STARTED").time
        for s in (CM, TFTP, "Cisco Tomcat")
    )
    pub_replicated = first(log, pub, "replication_state", state=2).time
    assert pub_back < first_sub_reboot and pub_replicated < first_sub_reboot
    # installs: publisher first, before any subscriber install starts
    pub_installed = first(log, pub, "install_finished").time
    assert all(first(log, n, "install_started").time > pub_installed for n in subscribers)
    _assert_waves_follow_replication(state, log)
    _assert_precheck_renewed_the_old_check(state, log)
    assert_groups_never_fully_down(world, log)
    assert_one_tftp_always_up(world, log)
    assert_all_know(world, MODELS)
    assert_phones_home(world)


def _assert_precheck_renewed_the_old_check(state: Path, log: list) -> None:
    """The lab starts showing a months-old check of all 2s: the precheck does not trust
    it, starts a fresh one before any install (lab truth) and journals the one it judged."""
    renewals = [
        e.time
        for e in log
        if e.event == "cli_command" and e.data["command"] == "utils dbreplication status"
    ]
    assert renewals and renewals[0] < min(e.time for e in log if e.event == "install_started")
    with Journal(state / "journal.sqlite") as journal:
        (run_id,) = [r.run_id for r in journal.runs()]
        record = journal.steps(run_id)["prechecks/replication"]
    accepted = [e.detail for e in record.history if e.state == "replicated"]
    assert accepted and "old (the publisher's clock)" in accepted[-1]["check_age"]
    assert "days" not in accepted[-1]["check_age"] and accepted[-1]["check_started"]


def _assert_waves_follow_replication(state: Path, log: list) -> None:
    """Cisco: a wave starts only once every node an earlier wave rebooted is back at
    replication 2 (lab truth), and each gate journaled the status check it judged."""
    with Journal(state / "journal.sqlite") as journal:
        (run_id,) = [r.run_id for r in journal.runs()]
        steps = journal.steps(run_id)
    waves: dict[str, list[str]] = {}
    for step_id, record in steps.items():
        stage = step_id.split("/")[0]
        if stage.startswith("restart-") and record.node:
            waves.setdefault(stage, []).append(record.node)
    order = sorted(
        waves, key=lambda stage: min(first(log, n, "reboot_started").time for n in waves[stage])
    )
    assert len(order) >= 2, waves
    for index, stage in enumerate(order[1:], start=1):
        started = min(first(log, n, "reboot_started").time for n in waves[stage])
        for earlier in order[:index]:
            for node in waves[earlier]:
                down = first(log, node, "node_down").time
                back = [
                    e.time
                    for e in log
                    if e.node == node
                    and e.event == "replication_state"
                    and e.data["state"] == 2
                    and e.time > down
                ]
                assert back and back[0] < started, f"{stage} began before {node} replicated"
        gate = steps[f"gate/{order[index - 1]}"]
        accepted = [e.detail for e in gate.history if e.state == "replicated"]
        assert accepted and accepted[-1]["check_started"] and accepted[-1]["after_restart"]


@pytest.mark.parametrize("subscribers_learn", [True, False], ids=["learn", "do-not-learn"])
def test_service_restart_release_rollout(lab_cluster, tmp_path, subscribers_learn):
    """Both ways of the lab's inferred rule (11.5(1)SU5+/12.0(1)SU2+ subscribers learn new
    models without a CallManager restart): the same rollout, judged by the lab's truth."""
    config = demo_config(release="12.5.1.14900-63", profile="fast")
    config.rules.subscriber_learns_models_without_restart = subscribers_learn
    cluster = lab_cluster(config)
    world, events = cluster.world, cluster.lab.events
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    if not subscribers_learn:
        _assert_audit_names_the_callmanager_restart(cluster, state, code, output)
        return
    assert code == 0, output
    assert not events.select("reboot_started"), "a 12.5 cluster must not be rebooted"
    log = events.all()
    pub = world.publisher.name
    restarted = {(e.node, e.data["service"]) for e in events.select("service_restart_requested")}
    for name, node in world.nodes.items():
        assert (name, "Cisco Tomcat") in restarted
        assert ((name, TFTP) in restarted) == node.spec.tftp
        assert ((name, CM) in restarted) == (name == pub)
        installed = first(log, name, "install_finished").time
        assert all(e.time > installed for e in events.select("service_restart_requested", name))
    assert_one_tftp_always_up(world, log)
    assert_all_know(world, MODELS)
    assert_phones_home(world)
    assert PACK.removesuffix(".sgn") in world.publisher.options
    # 12.5 nodes (OpenSSH 7.4) also offer ssh-rsa and sha1 kex: devpack must not use them
    report, markdown = report_of(tmp_path / "state")
    assert [n["ssh"]["host_key"] for n in report["nodes"]] == ["rsa-sha2-512"] * len(world.nodes)
    assert all(n["ssh"]["legacy"] == [] for n in report["nodes"])
    assert "Legacy SSH" not in markdown and "SSH uses" not in output


def _assert_audit_names_the_callmanager_restart(cluster, state, code, output) -> None:
    """The rollout follows Cisco's rule, the subscribers' CallManagers still reject the
    new models: the post-run audit says so, naming the restart to do on each."""
    world = cluster.world
    assert code == 1, output  # completed, but the audit found errors
    assert not cluster.lab.events.select("reboot_started")
    rejecting = {p.node for p in world.phones.values() if p.status == "Rejected"}
    assert rejecting and world.publisher.name not in rejecting
    [run_id] = run_ids(state)
    report = json.loads((state / "runs" / run_id / "report" / "report.json").read_text())
    rejected = {f["node"]: f for f in report["audit"]["findings"] if f["code"] == "phone-rejected"}
    assert set(rejected) == rejecting, report["audit"]["findings"]
    for node, finding in rejected.items():
        assert finding["remedy"].startswith(f"on {node}: utils service restart {CM}")


def test_second_run_changes_nothing(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release="12.5.1.14900-63", profile="fast"))
    args = run_args(cluster, tmp_path / "state")
    assert devpack(*args)[0] == 0
    events = cluster.lab.events
    before = len(events.all())
    code, output = devpack(*args)
    assert code == 0, output
    changes = [
        e
        for e in events.all()[before:]
        if e.event in ("install_started", "service_restart_requested", "reboot_started")
    ]
    assert changes == [], "a second run of the same pack must change nothing"
