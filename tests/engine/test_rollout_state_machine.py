"""The rollout and step state machines over an in-memory gateway: a fresh run, resume
from each journaled state a kill can leave behind, and failures stopping the rollout."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fake_cluster import Down, FakeCluster

from orchestrator.config.estimates import Estimates
from orchestrator.cucm.release import RestartScope
from orchestrator.engine.gateway import CopFile, InstallRequest, ServiceState
from orchestrator.engine.journal import Journal
from orchestrator.engine.prechecks import PrecheckPolicy
from orchestrator.engine.rollout import MaintenanceWindow, Rollout, RolloutSettings
from orchestrator.engine.steps import StepTimeouts
from orchestrator.engine.waits import PollPolicy
from orchestrator.planning.plan import Action, Gate, Plan, Stage, StageKind, Step
from orchestrator.planning.space import ASSUMED_COP_SIZE_MB

FILE = "cmterm-devicepack12.5.1.17123-1.cop.sgn"
PUB, SUB1, SUB2 = "pub", "sub1", "sub2"
RUN = "run-1"


def step(stage: str, action: Action, node: str, services: list[str] | None = None) -> Step:
    return Step(
        id=f"{stage}/{node}",
        stage=stage,
        action=action,
        nodes=[node],
        services=services or [],
        models=["Cisco 8851"] if action is Action.VERIFY else [],
        estimated_seconds=10,
        reason="test",
    )


def stage(
    name: str,
    kind: StageKind,
    action: Action,
    nodes: list[str],
    *,
    services: list[str] | None = None,
    gate: bool = False,
    max_parallel: int | None = None,
) -> Stage:
    return Stage(
        name=name,
        kind=kind,
        steps=[step(name, action, n, services) for n in nodes],
        gate=Gate(replication=True, estimated_seconds=5, reason="test") if gate else None,
        max_parallel=max_parallel,
        reason="test",
    )


def plan(restart: Action = Action.REBOOT, install_parallel: int | None = None) -> Plan:
    services = ["Cisco Tomcat"] if restart is Action.RESTART_SERVICES else None
    return Plan(
        cluster="c1",
        cop_file=FILE,
        restart_scope=RestartScope.REBOOT if restart is Action.REBOOT else RestartScope.SERVICES,
        restart_reason="test",
        stages=[
            stage("prechecks", StageKind.PRECHECKS, Action.PRECHECK, [PUB, SUB1, SUB2]),
            stage("install-publisher", StageKind.INSTALL_PUBLISHER, Action.INSTALL, [PUB]),
            stage(
                "install-subscribers",
                StageKind.INSTALL_SUBSCRIBERS,
                Action.INSTALL,
                [SUB1, SUB2],
                max_parallel=install_parallel,
            ),
            stage("verify", StageKind.VERIFY, Action.VERIFY, [PUB]),
            stage(
                "restart-publisher",
                StageKind.RESTART_PUBLISHER,
                restart,
                [PUB],
                services=services,
                gate=True,
            ),
            stage("restart-wave-1", StageKind.RESTART_WAVE, restart, [SUB1], services=services),
            stage("restart-wave-2", StageKind.RESTART_WAVE, restart, [SUB2], services=services),
            stage("postchecks", StageKind.POSTCHECKS, Action.POSTCHECK, [PUB, SUB1, SUB2]),
        ],
        estimates=Estimates(),
        fingerprint="f",
    )


def settings(window: MaintenanceWindow | None = None) -> RolloutSettings:
    return RolloutSettings(
        install=InstallRequest(FILE, "0" * 32, "10.0.0.1", 22, "/cop", "u", "p", 5.0),
        timeouts=StepTimeouts(install=2, reboot=0.5, services=0.5, replication=0.5),
        poll=PollPolicy(first=0.001, ceiling=0.01),
        window=window,
        transient=(Down,),
    )


@pytest.fixture
def journal(tmp_path: Path) -> Journal:
    journal = Journal(tmp_path / "journal.sqlite")
    journal.create_run(RUN, "c1", "{}", "inv.yml", "pb.yml")
    yield journal
    journal.close()


def rollout(
    cluster: FakeCluster, journal: Journal, the_plan: Plan | None = None, **kw: object
) -> Rollout:
    return Rollout(RUN, the_plan or plan(), cluster, journal, settings(**kw))  # type: ignore[arg-type]


def killed_after(journal: Journal, *stages_done: str) -> None:
    """Journal what a run that got through ``stages_done`` wrote before it was killed."""
    journal.write(RUN, "running")
    for name in stages_done:
        journal.write(RUN, "started", step=f"stage/{name}")
        journal.write(RUN, "done", step=f"stage/{name}")


def cluster() -> FakeCluster:
    return FakeCluster([PUB, SUB1, SUB2], FILE)


# ----- a fresh run ---------------------------------------------------------------------


def test_fresh_run_installs_and_reboots_each_node_once_publisher_first(journal):
    fake = cluster()
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "completed", outcome.message
    assert next(c for c in fake.calls if c[0] == "install") == ("install", PUB)
    assert [n for c, n in fake.calls if c == "reboot"] == [PUB, SUB1, SUB2]
    for node in (PUB, SUB1, SUB2):
        assert fake.count("install", node) == 1
    assert journal.run_state(RUN) == "completed"


def test_install_parallel_limit_is_respected(journal):
    fake = cluster()
    fake.on_install = lambda node: time.sleep(0.05)  # long enough to overlap if unbounded
    outcome = rollout(fake, journal, plan(install_parallel=1)).execute()
    assert outcome.status == "completed", outcome.message
    assert fake.max_active_installs == 1


def test_rerun_of_a_completed_run_does_nothing(journal):
    fake = cluster()
    assert rollout(fake, journal).execute().status == "completed"
    calls = list(fake.calls)
    assert rollout(fake, journal).execute().status == "completed"
    assert fake.calls == calls


# ----- resume: install ---------------------------------------------------------------


def _install_requested(journal: Journal, node: str) -> None:
    killed_after(journal, "prechecks", "install-publisher")
    journal.write(RUN, "started", step="stage/install-subscribers")
    journal.write(RUN, "checking", step=f"install-subscribers/{node}", node=node)
    journal.write(RUN, "requested", step=f"install-subscribers/{node}", node=node, requested_at=1.0)


def _installed_before_kill(fake: FakeCluster, *nodes: str) -> None:
    for node in nodes:
        fake.nodes[node].options.append(fake.file)


def test_resume_install_requested_and_still_running_waits_instead_of_reinstalling(journal):
    fake = cluster()
    _installed_before_kill(fake, PUB)
    fake.nodes[SUB1].upgrade = "Running"
    fake.nodes[SUB1].running_polls = 3
    _install_requested(journal, SUB1)
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "completed", outcome.message
    assert fake.count("install", SUB1) == 0
    assert fake.count("install", PUB) == 0
    assert fake.count("install", SUB2) == 1
    record = journal.steps(RUN)[f"install-subscribers/{SUB1}"]
    assert record.state == "done" and record.detail["outcome"] == "installed"
    assert "waiting_for_running_install" in [e.state for e in record.history]


def test_resume_install_requested_and_finished_is_not_repeated(journal):
    fake = cluster()
    _installed_before_kill(fake, PUB, SUB1)
    _install_requested(journal, SUB1)
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "completed", outcome.message
    assert fake.count("install", SUB1) == 0
    assert journal.steps(RUN)[f"install-subscribers/{SUB1}"].detail["outcome"] == "installed"


def test_resume_install_requested_but_never_reached_the_node_installs_once(journal):
    fake = cluster()
    _installed_before_kill(fake, PUB)
    _install_requested(journal, SUB1)  # killed before the dialog got anywhere
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "completed", outcome.message
    assert fake.count("install", SUB1) == 1


# ----- resume: reboot ----------------------------------------------------------------

INSTALLS = ("prechecks", "install-publisher", "install-subscribers", "verify")


def _reboot_journaled(journal: Journal, node: str, *states: str, **detail: object) -> None:
    killed_after(journal, *INSTALLS)
    journal.write(RUN, "started", step="stage/restart-publisher")
    for state in states:
        journal.write(RUN, state, step=f"restart-publisher/{node}", node=node, **detail)


def _all_installed(fake: FakeCluster) -> None:
    _installed_before_kill(fake, PUB, SUB1, SUB2)


def test_resume_reboot_requested_but_not_taken_asks_again_once(journal):
    fake = cluster()
    _all_installed(fake)
    boot = fake.nodes[PUB].boot
    _reboot_journaled(journal, PUB, "checking", "requested", boot_before=boot, requested_at=1.0)
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "completed", outcome.message
    assert fake.count("reboot", PUB) == 1
    assert fake.nodes[PUB].boot > boot


def test_resume_reboot_requested_and_under_way_is_not_asked_again(journal):
    fake = cluster()
    _all_installed(fake)
    boot = fake.nodes[PUB].boot
    _reboot_journaled(journal, PUB, "checking", "requested", boot_before=boot, requested_at=1.0)
    fake.nodes[PUB].down = True  # the node took the request and is rebooting
    fake.nodes[PUB].boot = boot + 100

    def comes_back() -> None:
        fake.nodes[PUB].down = False

    threading.Timer(0.05, comes_back).start()
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "completed", outcome.message
    assert fake.count("reboot", PUB) == 0
    assert [n for c, n in fake.calls if c == "reboot"] == [SUB1, SUB2]


def test_resume_reboot_already_back_is_not_repeated(journal):
    fake = cluster()
    _all_installed(fake)
    boot = fake.nodes[PUB].boot
    _reboot_journaled(
        journal, PUB, "checking", "requested", "down", boot_before=boot, requested_at=1.0
    )
    fake.nodes[PUB].boot = boot + 100
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "completed", outcome.message
    assert fake.count("reboot", PUB) == 0


def test_resume_reboot_that_failed_before_the_request_does_reboot(journal):
    """A reboot step that failed while checking (node unreachable) never asked for the
    reboot: a resume must ask, not take the node's old boot for the new one."""
    fake = cluster()
    _all_installed(fake)
    _reboot_journaled(journal, PUB, "checking", "failed", message="connection refused")
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "completed", outcome.message
    assert fake.count("reboot", PUB) == 1


def test_resume_after_a_node_that_never_returned_waits_for_it(journal):
    fake = cluster()
    _all_installed(fake)
    fake.nodes[SUB1].never_returns = True
    first = rollout(fake, journal).execute()
    assert first.status == "failed" and first.failed_node == SUB1
    assert SUB1 in first.message and f"devpack resume {RUN}" in first.hint
    assert fake.count("reboot", SUB2) == 0  # stopped before the next wave
    # the operator fixes the node; the resume waits for it, does not reboot it again
    fake.nodes[SUB1].down = False
    fake.nodes[SUB1].boot += 100
    second = rollout(fake, journal).execute()
    assert second.status == "completed", second.message
    assert fake.count("reboot", SUB1) == 1
    assert fake.count("reboot", SUB2) == 1


# ----- resume: service restarts ------------------------------------------------------


def _restart_requested(journal: Journal, start_before: float) -> None:
    killed_after(journal, *INSTALLS)
    journal.write(RUN, "started", step="stage/restart-publisher")
    journal.write(
        RUN,
        "service_restart_requested",
        step=f"restart-publisher/{PUB}",
        node=PUB,
        requested_service="Cisco Tomcat",
        start_before=start_before,
    )


def test_resume_service_restart_that_happened_is_not_repeated(journal):
    fake = cluster()
    _all_installed(fake)
    _restart_requested(journal, start_before=100.0)
    fake.restart_service(PUB, "Cisco Tomcat")  # it went through before the kill
    fake.calls.clear()
    outcome = rollout(fake, journal, plan(Action.RESTART_SERVICES)).execute()
    assert outcome.status == "completed", outcome.message
    assert fake.count("restart Cisco Tomcat", PUB) == 0
    assert fake.count("restart Cisco Tomcat", SUB1) == 1


def test_resume_service_restart_that_did_not_happen_is_sent_once(journal):
    fake = cluster()
    _all_installed(fake)
    _restart_requested(journal, start_before=100.0)
    outcome = rollout(fake, journal, plan(Action.RESTART_SERVICES)).execute()
    assert outcome.status == "completed", outcome.message
    assert fake.count("restart Cisco Tomcat", PUB) == 1


# ----- failures stop the rollout -----------------------------------------------------


def test_install_failure_stops_before_further_stages(journal):
    fake = cluster()
    fake.nodes[SUB2].install_outcome = "checksum_mismatch"
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "failed"
    assert outcome.failed_node == SUB2 and "checksum_mismatch" in outcome.message
    assert fake.count("reboot") == 0
    assert journal.run_state(RUN) == "failed"
    assert "stage/verify" not in journal.steps(RUN)


@pytest.mark.parametrize("reason", ["Commanded Out of Service", "Component is not running"])
def test_a_service_back_stopped_after_its_reboot_fails_the_gate(journal, reason):
    """STARTED before the reboot, back STOPPED with a reason: not a pass, whatever the
    reason says (Cisco TAC: Commanded Out of Service after reboots)."""
    fake = cluster()
    reboot = fake.request_reboot

    def reboot_and_leave_tomcat_down(node: str) -> None:
        reboot(node)
        if node == SUB1:
            fake.nodes[node].services["Cisco Tomcat"] = ServiceState(
                "Cisco Tomcat", "STOPPED", reason
            )

    fake.request_reboot = reboot_and_leave_tomcat_down  # type: ignore[method-assign]
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "failed" and outcome.failed_node == SUB1, outcome
    assert f"Cisco Tomcat STOPPED ({reason})" in outcome.message
    assert fake.count("reboot", SUB2) == 0  # stopped before the next node


def test_unreachable_node_in_prechecks_changes_nothing(journal):
    fake = cluster()
    fake.nodes[SUB1].down = True
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "failed" and "prechecks failed" in outcome.message
    assert fake.calls == []


# ----- window --------------------------------------------------------------------------


def test_window_too_short_for_the_whole_rollout_pauses_before_installing(journal):
    """A node with the pack but without its restart rejects the new phones: the installs
    start only when the installs and the restarts after them fit in the window."""
    fake = cluster()
    now = datetime.now(UTC)
    window = MaintenanceWindow(now - timedelta(hours=1), now + timedelta(seconds=12))
    outcome = rollout(fake, journal, window=window).execute()
    assert outcome.status == "paused_window"
    assert "installing now: the rest of the rollout is estimated" in outcome.message
    assert f"devpack resume {RUN} --window" in outcome.hint
    assert fake.count("install") == 0 and fake.count("reboot") == 0
    later = MaintenanceWindow(now - timedelta(hours=1), now + timedelta(hours=1))
    assert rollout(fake, journal, window=later).execute().status == "completed"
    assert fake.count("install") == 3 and fake.count("reboot") == 3


def test_restart_stage_that_no_longer_fits_pauses_between_stages(journal):
    """Installs fit by the estimate but took longer: a restart stage that cannot finish
    before the window closes is not begun."""
    fake = cluster()
    the_plan = plan()
    base = datetime.now(UTC).timestamp()

    def clock() -> float:  # the installs took far longer than estimated
        return base + (the_plan.estimated_seconds if fake.count("install") == 3 else 0)

    window = MaintenanceWindow(
        datetime.fromtimestamp(base - 3600, UTC),
        datetime.fromtimestamp(base + the_plan.estimated_seconds + 1, UTC),
    )
    run = Rollout(RUN, the_plan, fake, journal, settings(window), clock=clock)  # type: ignore[arg-type]
    outcome = run.execute()
    assert outcome.status == "paused_window"
    assert outcome.message.startswith("restart-publisher: restart-publisher is estimated")
    assert fake.count("install") == 3 and fake.count("reboot") == 0


# ----- interruption (Ctrl-C / SIGTERM) --------------------------------------------------


def test_interrupt_finishes_the_step_under_way_then_stops_resumably(journal):
    fake = cluster()

    def interrupt_on_first_subscriber(node: str) -> None:
        if node == SUB1:
            raise KeyboardInterrupt

    fake.on_install = interrupt_on_first_subscriber
    outcome = rollout(fake, journal, plan(install_parallel=1)).execute()
    assert outcome.status == "interrupted"
    assert outcome.hint == f"devpack resume {RUN}"
    assert journal.run_state(RUN) == "interrupted"
    # the queued install of sub2 never started, nothing was restarted
    assert fake.count("install", SUB2) == 0 and fake.count("reboot") == 0

    fake.on_install = lambda node: None
    resumed = rollout(fake, journal, plan(install_parallel=1)).execute()
    assert resumed.status == "completed", resumed.message
    assert fake.count("install", PUB) == 1 and fake.count("install", SUB2) == 1
    assert all(fake.count("reboot", n) == 1 for n in (PUB, SUB1, SUB2))


# ----- prechecks and postchecks that fail cluster-wide -----------------------------------


def test_replication_problem_fails_every_precheck_and_resume_checks_again(journal):
    fake = cluster()
    fake.replication_states[SUB2] = 4
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "failed" and outcome.precheck
    assert "replication state on sub2 is 4" in outcome.message
    steps = journal.steps(RUN)
    # no node is shown as checked while the cluster was not ready
    assert {steps[f"prechecks/{n}"].state for n in (PUB, SUB1, SUB2)} == {"failed"}
    assert fake.count("install") == 0 and fake.count("reboot") == 0

    # still broken: a resume must check again and change nothing
    again = rollout(fake, journal).execute()
    assert again.precheck and fake.count("install") == 0

    fake.replication_states.clear()
    done = rollout(fake, journal).execute()
    assert done.status == "completed", done.message
    assert all(fake.count("reboot", n) == 1 for n in (PUB, SUB1, SUB2))


def test_postchecks_fail_when_replication_does_not_settle(journal):
    fake = cluster()
    the_plan = plan()
    the_plan.stages.append(
        stage("postchecks", StageKind.POSTCHECKS, Action.POSTCHECK, [PUB, SUB1, SUB2])
    )
    run = rollout(fake, journal, the_plan)
    real_postcheck = run._postcheck_cluster

    def replication_breaks_before_postchecks(ctx, stage_) -> None:  # type: ignore[no-untyped-def]
        fake.replication_states[SUB1] = 3  # the waves' gates passed; now it broke
        real_postcheck(ctx, stage_)

    run._postcheck_cluster = replication_breaks_before_postchecks  # type: ignore[method-assign]
    outcome = run.execute()
    assert outcome.status == "failed" and not outcome.precheck
    assert "replication state on sub1 is 3" in outcome.message
    assert journal.steps(RUN)["postchecks/cluster"].state == "failed"

    fake.replication_states.clear()  # settled: a resume re-checks and completes
    done = rollout(fake, journal, the_plan).execute()
    assert done.status == "completed", done.message
    assert all(fake.count("reboot", n) == 1 for n in (PUB, SUB1, SUB2))


def test_resume_of_a_stale_run_does_not_restart_nodes_that_picked_the_pack_up(journal):
    """Another run (or an admin) installed and rebooted everything after this run was
    planned: resuming it must not reboot the cluster again for nothing."""
    fake = cluster()
    other = rollout(fake, journal).execute()  # "another run" does the work
    assert other.status == "completed"
    reboots = fake.count("reboot")
    stale = Journal(journal.path)
    stale.create_run("stale", "c1", "{}", "inv.yml", "pb.yml")
    try:
        outcome = Rollout("stale", plan(), fake, stale, settings()).execute()  # type: ignore[arg-type]
        assert outcome.status == "completed", outcome.message
        assert fake.count("reboot") == reboots, "nodes were rebooted again"
        states = {k: v.state for k, v in stale.steps("stale").items() if k.startswith("restart-")}
        assert set(states.values()) == {"skipped"}
    finally:
        stale.close()


# ----- prechecks: held wizard, free space ---------------------------------------------


def test_a_held_wizard_stops_the_run_at_prechecks(journal):
    fake = cluster()
    fake.nodes[SUB2].wizard = "held"
    outcome = rollout(fake, journal).execute()
    assert outcome.status == "failed" and outcome.precheck
    assert f"{SUB2}: another session holds the install wizard" in outcome.message
    assert "utils system upgrade cancel" in outcome.message
    assert "install.take_over_held_wizard" in outcome.message
    assert fake.calls == []  # nothing installed or restarted anywhere


def test_taking_over_a_held_wizard_is_opt_in_and_journaled(journal):
    fake = cluster()
    fake.nodes[SUB2].wizard = "held"
    r = rollout(fake, journal)
    r.settings.install = InstallRequest(
        FILE, "0" * 32, "10.0.0.1", 22, "/cop", "u", "p", 5.0, take_over_held_wizard=True
    )
    r.settings.prechecks = PrecheckPolicy(take_over_held_wizard=True)
    outcome = r.execute()
    assert outcome.status == "completed", outcome.message
    step_id = f"install-subscribers/{SUB2}"
    record = journal.steps(RUN)[step_id]
    assert [e.state for e in record.history].count("took_over_wizard") == 1
    assert "Assume control" in record.detail["took_over_wizard"]
    assert "took_over_wizard" not in journal.steps(RUN)[f"install-subscribers/{SUB1}"].detail
    assert journal.steps(RUN)[f"prechecks/{SUB2}"].detail["warnings"]


def test_short_common_partition_stops_the_run_at_prechecks(journal):
    fake = cluster()
    fake.nodes[SUB1].common_free_mb = 10
    r = rollout(fake, journal)
    r.settings.prechecks = PrecheckPolicy(cop_size_mb=300)
    outcome = r.execute()
    assert outcome.status == "failed" and outcome.precheck
    assert f"{SUB1}: only 10 MB free in the common partition" in outcome.message
    assert "600 MB" in outcome.message
    assert fake.calls == []


def test_free_space_needed_is_assumed_without_a_size():
    assert PrecheckPolicy().required_free_mb == 2 * ASSUMED_COP_SIZE_MB
    assert "cop.size_mb" in PrecheckPolicy().describe_free_space()
    assert PrecheckPolicy(cop_size_mb=52).required_free_mb == 104


# ----- several COPs in one install step ---------------------------------------------------

LOCALE = "cm-locale-de_DE-12.5.1.1000-1.cop.sgn"


def _two_cops(r: Rollout) -> None:
    r.settings.install = InstallRequest(
        FILE,
        "0" * 32,
        "10.0.0.1",
        22,
        "/cop",
        "u",
        "p",
        5.0,
        cops=(CopFile(FILE, "0" * 32), CopFile(LOCALE, "1" * 32)),
    )


def test_each_node_installs_every_cop_in_order_in_one_step(journal):
    fake = cluster()
    r = rollout(fake, journal)
    _two_cops(r)
    outcome = r.execute()
    assert outcome.status == "completed", outcome.message
    for node in (PUB, SUB1, SUB2):
        assert [f for n, f in fake.installed_files if n == node] == [FILE, LOCALE]
        assert fake.count("reboot", node) == 1  # one restart cycle for both
    step = "install-publisher/" + PUB
    history = journal.steps(RUN)[step].history
    assert [e.state for e in history if e.state in ("cop_installed", "done")] == [
        "cop_installed",
        "done",
    ]
    assert [e.detail.get("file") for e in history if e.state == "requested"] == [FILE, LOCALE]


def test_a_resume_installs_only_the_cops_still_missing(journal):
    fake = cluster()
    fake.nodes[SUB1].failing_files = {LOCALE}
    r = rollout(fake, journal)
    _two_cops(r)
    assert r.execute().status == "failed"
    # the step is not "done" after its first COP: a resume must go on with the second
    assert journal.steps(RUN)[f"install-subscribers/{SUB1}"].state == "failed"
    fake.nodes[SUB1].failing_files = set()
    r = rollout(fake, journal)
    _two_cops(r)
    outcome = r.execute()
    assert outcome.status == "completed", outcome.message
    assert [f for n, f in fake.installed_files if n == SUB1] == [FILE, LOCALE]
    assert fake.count("install", SUB1) == 3  # pack once, locale failed once then once
