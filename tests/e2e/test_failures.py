"""Failure paths of ``devpack run`` against the lab, judged by the lab's ground truth:
the run stops safely, says why, exits non-zero and leaves redundancy intact."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from devpack_runs import devpack, edit_playbook, run_args, run_ids
from lab_truth import (
    CM,
    assert_groups_never_fully_down,
    assert_one_tftp_always_up,
)

from orchestrator.lab.config import FaultKind, FaultSpec, LabConfig, Rules, demo_config
from orchestrator.lab.testing import LabCluster

REBOOT_RELEASE = "9.1.2.10000-28"
SERVICE_RELEASE = "12.5.1.14900-63"
CHANGES = ("install_started", "install_finished", "reboot_started", "service_restart_requested")


def config(release: str, *faults: FaultSpec) -> LabConfig:
    return demo_config(release=release, profile="fast").model_copy(update={"faults": list(faults)})


def changes(cluster: LabCluster) -> list[str]:
    return [f"{e.node} {e.event}" for e in cluster.lab.events.all() if e.event in CHANGES]


def assert_resume_hint(output: str, state: Path) -> str:
    [run_id] = run_ids(state)
    # the exact command, naming the state dir the run was started with
    command = f"devpack resume {run_id} --state-dir {state}"
    assert command in " ".join(output.split()), output
    return run_id


def assert_no_traceback(output: str) -> None:
    assert "Traceback" not in output, output


# ----- install failures: nothing installed, nothing restarted ------------------------


def test_checksum_mismatch_answers_no(lab_cluster, tmp_path):
    cluster = lab_cluster(config(REBOOT_RELEASE))
    edit_playbook(cluster.playbook, cop={"md5": "0123456789abcdef0123456789abcdef"})
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    assert code == 1, output
    flat = " ".join(output.split())
    assert "checksum_mismatch" in flat and "0123456789abcdef0123456789abcdef" in flat, output
    events = cluster.lab.events
    # the publisher downloaded and checksummed the file, then we declined: no install
    assert events.select("cop_downloaded", cluster.world.publisher.name)
    assert changes(cluster) == []
    assert not cluster.world.publisher.options.get("cmterm-devicepack12.5.1.17123-1.cop")
    assert cluster.world.publisher.upgrade.status != "Running"
    assert_resume_hint(output, state)
    assert_no_traceback(output)


def test_bad_sftp_password(lab_cluster, tmp_path):
    cluster = lab_cluster(config(REBOOT_RELEASE))
    secret = cluster.playbook.parent / "lab.secrets" / "sftp"
    secret.write_text("not-the-password\n")
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    # the SFTP source precheck catches it before the window (it used to fail mid-install)
    assert code == 3, output
    assert "The user name or password is not valid" in output, output
    assert "sftp.username and the password reference" in " ".join(output.split())
    assert "not-the-password" not in output  # secrets never printed
    assert not cluster.lab.events.select("cop_downloaded")
    assert changes(cluster) == []
    assert_resume_hint(output, state)
    assert_no_traceback(output)


# ----- a node that never returns -----------------------------------------------------


def test_node_that_never_returns_halts_with_redundancy_intact(lab_cluster, tmp_path):
    cluster = lab_cluster(
        config(REBOOT_RELEASE, FaultSpec(kind=FaultKind.NEVER_RETURNS, node="cucmsub2"))
    )
    edit_playbook(cluster.playbook, timeouts={"reboot": 2})
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    finished = time.time()
    assert code == 1, output
    events = cluster.lab.events
    [gone] = events.select("node_never_returns")
    assert gone.node == "cucmsub2"
    # halted within the reboot timeout (plus the end of the run's bookkeeping)
    assert finished - events.select("reboot_started", "cucmsub2")[0].time < 2 + 3
    flat = " ".join(output.split())
    assert "cucmsub2 (restart-wave-1/cucmsub2): timed out after 2 s waiting for the node" in flat
    run_id = assert_resume_hint(output, state)
    assert re.search(r"cucmsub2: .*restart-wave-1/cucmsub2 \((failed|interrupted)", output), output
    # no other node was taken down after it; its groups kept a running CallManager
    rebooted = [e.node for e in events.select("reboot_started")]
    assert rebooted == ["cucmpub", "cucmsub2"]
    log = events.all()
    assert_groups_never_fully_down(cluster.world, log)
    assert_one_tftp_always_up(cluster.world, log)
    for group, members in cluster.world.config.groups.items():
        others = [m for m in members if m != "cucmsub2"]
        assert any(cluster.world.nodes[m].services[CM].state == "STARTED" for m in others), (
            f"group {group} has no running CallManager"
        )
    code, output = devpack("status", run_id, "--state-dir", str(state))
    assert "failed" in output, output
    assert_no_traceback(output)


# ----- services, sessions, AXL, host keys --------------------------------------------


@pytest.mark.parametrize(
    ("release", "service", "restart"),
    [
        (REBOOT_RELEASE, CM, "reboot_started"),  # stuck after the reboot
        (SERVICE_RELEASE, "Cisco Tomcat", "service_restart_requested"),  # after a restart
    ],
    ids=["after-reboot", "after-service-restart"],
)
def test_stuck_service_times_out_clearly(lab_cluster, tmp_path, release, service, restart):
    cluster = lab_cluster(
        config(
            release,
            FaultSpec(kind=FaultKind.SERVICE_STUCK_STARTING, node="cucmsub2", service=service),
        )
    )
    edit_playbook(cluster.playbook, timeouts={"services": 2})
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    assert code == 1, output
    flat = " ".join(output.split())
    assert "cucmsub2 (restart-wave-1/cucmsub2): timed out after 2 s" in flat, output
    assert f"not STARTED: {service} STARTING" in flat, output
    touched = {e.node for e in cluster.lab.events.select(restart)}
    assert touched == {"cucmpub", "cucmsub2"}  # stopped before the next wave
    assert_groups_never_fully_down(cluster.world, cluster.lab.events.all())
    assert_resume_hint(output, state)
    assert_no_traceback(output)


def test_ssh_drop_during_install_reconnects_and_waits(lab_cluster, tmp_path):
    # the optimistic case: the install goes on without its session
    drop = FaultSpec(kind=FaultKind.SSH_DROP_DURING_INSTALL, node="cucmsub2", count=1)
    cluster = lab_cluster(
        config(SERVICE_RELEASE, drop).model_copy(
            update={"rules": Rules(install_survives_disconnect=True)}
        )
    )
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    assert code == 0, output
    events = cluster.lab.events
    assert events.select("ssh_dropped_during_install", "cucmsub2")
    for node in cluster.world.nodes:
        assert len(events.select("install_started", node)) == 1, node
        assert len(events.select("install_finished", node)) == 1, node
    drop = events.select("ssh_dropped_during_install", "cucmsub2")[0].time
    restarts = [e.time for e in events.select("service_restart_requested", "cucmsub2")]
    assert restarts and min(restarts) > events.select("install_finished", "cucmsub2")[0].time
    assert min(restarts) > drop


def test_ssh_drop_during_install_leaving_the_framework_stuck_is_said_not_retried(
    lab_cluster, tmp_path
):
    # the cautious case (the lab's default): the install dies with its session and the
    # node's upgrade framework stays stuck until a reboot (reference 9.5)
    drop = FaultSpec(kind=FaultKind.SSH_DROP_DURING_INSTALL, node="cucmsub2", count=1)
    cluster = lab_cluster(config(SERVICE_RELEASE, drop))
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    flat = " ".join(output.split())
    assert code == 1, output
    assert "cucmsub2" in flat and "upgrade framework is stuck" in flat, output
    assert "utils system upgrade cancel" in flat and "reboot" in flat
    events = cluster.lab.events
    assert events.select("upgrade_framework_stuck", "cucmsub2")
    assert len(events.select("install_started", "cucmsub2")) == 1  # never retried
    assert not events.select("reboot_started") and not events.select("service_restart_requested")
    assert_resume_hint(output, state)
    assert_no_traceback(output)


def test_axl_503_is_retried(lab_cluster, tmp_path):
    cluster = lab_cluster(
        config(SERVICE_RELEASE, FaultSpec(kind=FaultKind.AXL_503, node="cucmpub", count=2))
    )
    code, output = devpack(*run_args(cluster, tmp_path / "state"))
    assert code == 0, output
    # the lab answered 503 both times (the fault is used up), the client retried (AXL
    # discovery did not give up) and the run completed
    assert not [f for f in cluster.world.faults.list() if f.kind is FaultKind.AXL_503]
    assert "AXL unavailable" not in output
    assert "completed" in output


def test_host_key_changed_after_reboot_fails_without_retrying(lab_cluster, tmp_path):
    cluster = lab_cluster(
        config(REBOOT_RELEASE, FaultSpec(kind=FaultKind.HOST_KEY_CHANGED, node="cucmsub2"))
    )
    state = tmp_path / "state"
    started = time.time()
    code, output = devpack(*run_args(cluster, state))
    assert code == 1, output
    events = cluster.lab.events
    assert events.select("host_key_changed", "cucmsub2")
    assert "host key" in output.lower() and "cucmsub2" in output
    assert "HostKeyMismatch" not in output  # the driver's message, no class name
    # not retried for the whole reboot timeout (14 s in the lab playbook)
    assert time.time() - started < 12
    assert [e.node for e in events.select("reboot_started")] == ["cucmpub", "cucmsub2"]
    assert_resume_hint(output, state)
    assert_no_traceback(output)


# ----- bad input: exit 2, file and line, no traceback --------------------------------


def _replace(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text().splitlines(), 1) if needle in line)


@pytest.mark.parametrize("case", ["unknown-field", "plain-password", "missing-file", "bad-md5"])
def test_bad_input_is_reported_with_file_and_line(lab_cluster, tmp_path, case):
    cluster = lab_cluster(config(SERVICE_RELEASE))
    inventory, playbook = cluster.inventory, cluster.playbook
    if case == "unknown-field":
        _replace(inventory, "tftp: true", "tftpp: true")
        where, needle = inventory, "tftpp"
    elif case == "plain-password":
        _replace(inventory, "password: file:lab.secrets/platform", "password: hunter2")
        where, needle = inventory, "hunter2"
    elif case == "bad-md5":
        edit_playbook(playbook, cop={"md5": "not-an-md5"})
        where, needle = playbook, "not-an-md5"
    else:
        playbook = playbook.with_name("missing.yml")
        where, needle = playbook, ""
    code, output = devpack(
        "run", "-i", str(inventory), "-p", str(playbook), "--state-dir", str(tmp_path / "s")
    )
    assert code == 2, output
    assert_no_traceback(output)
    flat = " ".join(output.split())
    assert where.name in flat, output
    if needle:
        line = _line_of(where, needle)
        assert re.search(rf"\b{line}\b", flat), f"line {line} not named: {output}"
    if case == "plain-password":
        assert "hunter2" not in output
    assert changes(cluster) == []


def test_a_model_the_pack_does_not_add_stops_after_the_publisher(lab_cluster, tmp_path):
    cluster = lab_cluster(config(SERVICE_RELEASE))
    edit_playbook(cluster.playbook, models=["Cisco 8851", "Cisco 9999"])
    state = tmp_path / "state"
    code, output = devpack(*run_args(cluster, state))
    assert code == 1, output
    flat = " ".join(output.split())
    assert "Cisco 9999" in flat and "verify-publisher" in flat, output
    publisher = cluster.world.publisher.name
    installs = {e.node for e in cluster.lab.events.select("install_started")}
    assert installs == {publisher}  # ground truth: no subscriber install began
    assert not [e for e in cluster.lab.events.all() if e.event.endswith("_requested")]
    assert not cluster.lab.events.select("reboot_started")
    assert_resume_hint(output, state)
    assert_no_traceback(output)
