"""The rollout: the plan's stages in order, each stage's steps in parallel, gates between.

States of a run (journal entries without a step): running -> completed | failed |
paused_window. Stages and gates are journaled as steps named ``stage/<name>`` and
``gate/<name>`` so a resumed run skips what is done and redoes nothing.
"""

from __future__ import annotations

import shlex
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import structlog

from orchestrator import parallel
from orchestrator.engine.gates import await_fresh_replication, wait_replication
from orchestrator.engine.gateway import ClusterGateway, InstallRequest
from orchestrator.engine.installs import run_install
from orchestrator.engine.journal import JournalStore, JournalWriteFailed, StepRecord
from orchestrator.engine.prechecks import (
    PrecheckPolicy,
    check_cluster,
    check_node,
    check_replication,
    replication_problems,
)
from orchestrator.engine.restarts import run_reboot, run_service_restarts
from orchestrator.engine.states import (
    FINISHED,
    TERMINAL,
    PrecheckDetail,
    RunState,
    StepState,
    VerifyDetail,
)
from orchestrator.engine.steps import StepContext, StepFailed, StepTimeouts
from orchestrator.engine.waits import PollPolicy
from orchestrator.errors import failure_remedy, failure_text
from orchestrator.next_step import NextStep, next_step
from orchestrator.planning.plan import Action, Plan, Stage, StageKind, Step

log = structlog.get_logger(__name__)

RESTART_STAGES = {StageKind.RESTART_PUBLISHER, StageKind.RESTART_WAVE}
INSTALL_STAGES = {
    StageKind.INSTALL_PUBLISHER,
    StageKind.INSTALL_TFTP,
    StageKind.INSTALL_SUBSCRIBERS,
}


@dataclass(frozen=True)
class MaintenanceWindow:
    start: datetime
    end: datetime


@dataclass
class RolloutSettings:
    install: InstallRequest
    timeouts: StepTimeouts = field(default_factory=StepTimeouts)
    prechecks: PrecheckPolicy = field(default_factory=PrecheckPolicy)
    poll: PollPolicy = field(default_factory=PollPolicy)
    window: MaintenanceWindow | None = None
    # exceptions that mean "not reachable right now" (a node rebooting)
    transient: tuple[type[BaseException], ...] = ()
    # set from another thread (fleet mode) to stop like Ctrl-C: at the next stage boundary,
    # steps under way finish, queued steps never start
    stop: threading.Event | None = None
    # stages the run pauses before (RunState.PAUSED) until a resume approves them, with
    # why: "after the installs (--stop-after install)", "for approval (playbook approvals)"
    hold_before: dict[str, str] = field(default_factory=dict)
    # where each node's install dialog is kept (the run folder's transcripts/)
    transcripts: Path | None = None
    # start a service back Commanded Out of Service after a restart that ran before it
    # (playbook restart.start_services_out_of_service); off: the gate fails at once
    start_out_of_service: bool = False


def resume_command(run_id: str, *options: str) -> str:
    """``devpack resume RUN_ID [OPTIONS]``, built from its words and quoted word by word
    (never by editing a command string), so it pastes into a shell as it is printed."""
    return shlex.join(["devpack", "resume", run_id, *options])


@dataclass
class RunOutcome:
    run_id: str
    status: RunState  # completed | failed | paused_window | interrupted
    message: str = ""
    remedy: str = ""  # what to do before resuming
    failed_node: str | None = None
    precheck: bool = False  # failed in prechecks: nothing was changed
    paused_before: str | None = None  # RunState.PAUSED: the stage a resume starts with
    resume_options: tuple[str, ...] = ()  # e.g. ("--window", "START/END")
    state_dir_options: tuple[str, ...] = ()  # ("--state-dir", DIR), set by the caller

    @property
    def resume_command(self) -> str:
        """The command to continue, quoted word by word so it can be pasted."""
        return resume_command(self.run_id, *self.state_dir_options, *self.resume_options)

    def next_step(self, audit_errors: int = 0) -> NextStep:
        """What the operator does next (``orchestrator.next_step``: the one table)."""
        return next_step(
            self.status,
            self.resume_command,
            remedy=self.remedy,
            paused_before=self.paused_before,
            audit_errors=audit_errors,
        )

    @property
    def hint(self) -> str:
        if self.status == RunState.COMPLETED:
            return self.remedy
        return self.next_step().text


class StopRequested(Exception):
    """The run was asked to stop (``RolloutSettings.stop``, set from another thread in
    fleet mode): it ends like Ctrl-C, at the next stage boundary, steps under way
    finished, journaled as interrupted."""


class ProgressView:
    """Console hooks; the CLI supplies a live view or plain lines."""

    def stage(self, name: str, reason: str) -> None: ...

    def node(self, node: str, text: str) -> None: ...

    def message(self, text: str) -> None: ...


class Rollout:
    """Executes a plan on a cluster, journaling every transition before it acts.

    ``execute`` walks the plan's stages in order (prechecks, installs, verify, restart
    waves, postchecks); a stage already ``done`` in the journal is skipped, so the same
    call runs a new plan or resumes a stopped one. Before an install stage the rest of
    the rollout must fit the maintenance window, before a restart stage that stage must
    (else the run pauses, resumable). Within a stage, ``_run_stage`` runs the steps in
    parallel, bounded by the stage's ``max_parallel`` (the planner's redundancy-safe
    waves), each step through its executor (``engine/installs.py``, ``restarts.py``,
    ``gates.py``); a failed step lets
    the steps under way finish and stops the run before any further node is touched.
    A gate (replication 2 everywhere, a settle time) closes the stage. Ctrl-C, SIGTERM
    or a stop request end the run at a stage boundary as ``interrupted``.
    """

    def __init__(
        self,
        run_id: str,
        plan: Plan,
        gateway: ClusterGateway,
        journal: JournalStore,
        settings: RolloutSettings,
        progress: ProgressView | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.run_id = run_id
        self.plan = plan
        self.gateway = gateway
        self.journal = journal
        self.settings = settings
        self.progress = progress or ProgressView()
        self.clock = clock
        self.expected: dict[str, set[str]] = {}

    # ----- the run -------------------------------------------------------------------

    def execute(self) -> RunOutcome:
        previous = self.journal.steps(self.run_id)
        ctx = StepContext(
            run_id=self.run_id,
            journal=self.journal,
            gateway=self.gateway,
            timeouts=self.settings.timeouts,
            poll=self.settings.poll,
            estimates=self.plan.estimates,
            transient=self.settings.transient,
            progress=self.progress.node,
            previous=previous,
            transcripts=self.settings.transcripts,
            start_out_of_service=self.settings.start_out_of_service,
        )
        self._approve_held_stage(previous)
        self.journal.write(self.run_id, RunState.RUNNING)
        try:
            return self._execute(ctx, previous)
        except (KeyboardInterrupt, StopRequested):
            # Ctrl-C, SIGTERM or a stop request (fleet): the steps already under way were
            # let finish (the stage's executor waits for them), so every node is in a
            # journaled, resumable state.
            self.journal.write(self.run_id, RunState.INTERRUPTED)
            return RunOutcome(
                self.run_id,
                RunState.INTERRUPTED,
                "stopped by the operator; steps under way were finished first",
            )

    def _execute(self, ctx: StepContext, previous: dict[str, StepRecord]) -> RunOutcome:
        for step_id, record in previous.items():
            detail = cast(PrecheckDetail, record.detail)
            if "expected_services" in detail:
                self.expected[record.node or step_id] = set(detail["expected_services"])
        paused = self._wait_for_window_start()
        if paused:
            return paused
        stages = self.plan.stages
        for index, stage in enumerate(stages):
            self._check_stop()
            stage_key = f"stage/{stage.name}"
            if previous.get(stage_key) and previous[stage_key].state == StepState.DONE:
                continue
            held = self._hold(stage, previous)
            if held:
                return held
            if stage.kind in INSTALL_STAGES:
                # Installing commits us to the restarts: a node with the pack and without
                # its restart rejects the new phones. Start only if the rest can finish.
                paused = self._window_refuses(stages[index:], "installing now")
            elif stage.kind in RESTART_STAGES:
                paused = self._window_refuses([stage], stage.name)
            else:
                paused = None
            if paused:
                return paused
            self.progress.stage(stage.name, stage.reason)
            self.journal.write(self.run_id, StepState.STARTED, step=stage_key)
            try:
                self._run_stage(ctx, stage)
                self._run_gate(ctx, stage)
            except StepFailed as failure:
                return self._failed(failure)
            self.journal.write(self.run_id, StepState.DONE, step=stage_key)
        self.journal.write(self.run_id, RunState.COMPLETED)
        return RunOutcome(self.run_id, RunState.COMPLETED, "every stage completed")

    def _run_stage(self, ctx: StepContext, stage: Stage) -> None:
        """Run the stage's steps not yet done or skipped in the journal, in parallel up
        to the stage's bound; raise StepFailed (the others finished first) on a failure,
        StopRequested / KeyboardInterrupt if asked to stop (queued steps never start)."""
        pending = [
            step
            for step in stage.steps
            if not (ctx.previous.get(step.id) and ctx.previous[step.id].state in FINISHED)
        ]
        if not pending:
            if stage.kind is StageKind.POSTCHECKS:
                self._postcheck_cluster(ctx, stage)
            return
        if stage.kind is StageKind.PRECHECKS:
            self._prechecks(ctx, pending)
            return
        # Every started step runs to its end; a failure lets the others finish (a reboot
        # already under way must come back before we stop) and then stops the run. In a
        # bounded stage, steps still queued behind a failure never start: no further
        # node is touched.
        failed = threading.Event()

        def guarded(step: Step) -> None:
            if failed.is_set() or self._stop_requested():
                return
            try:
                self._run_step(ctx, step)
            except BaseException:
                failed.set()
                raise

        settled = parallel.settle(
            guarded, pending, limit=stage.max_parallel, name="step", on_interrupt=failed.set
        )
        failures = [s.error for s in settled if s.error is not None]
        for failure in failures:
            # a journal that cannot be written stops the run as it stands: nothing can be
            # journaled, so nothing more may be done
            if isinstance(
                failure, StepFailed | KeyboardInterrupt | StopRequested | JournalWriteFailed
            ):
                raise failure
        self._check_stop()  # queued steps were not started: the stage is not done
        if failures:
            error = failures[0]
            raise StepFailed(None, stage.name, failure_text(error), failure_remedy(error, None))
        if stage.kind is StageKind.POSTCHECKS:
            self._postcheck_cluster(ctx, stage)

    def _postcheck_cluster(self, ctx: StepContext, stage: Stage) -> None:
        """After every node's postcheck: replication must be 2 on every node, as promised."""
        key = f"{stage.name}/cluster"
        ctx.mark(key, None, StepState.CHECKING)
        # a publisher-only cluster has no replication to check (Plan.replication_checks)
        problems: list[str] = []
        evidence: dict[str, object] = {}
        restarted = _rebooted(self.plan.stages)
        if self.plan.replication_checks and restarted:
            # judged on a status check from after the run's last reboot (cucm.replication)
            timeout = float(self.settings.timeouts.replication)
            check, detail = await_fresh_replication(ctx, key, timeout, restarted)
            problems, evidence = replication_problems(check.states), dict(detail)
        elif self.plan.replication_checks:
            problems = check_replication(self.gateway)
        if problems:
            ctx.mark(key, None, StepState.FAILED, problems=problems, **evidence)
            raise StepFailed(
                None,
                key,
                "postchecks: " + "; ".join(problems),
                "every node has the pack and was restarted; wait for replication to settle "
                "(utils dbreplication runtimestate) or repair it, then resume to re-check",
            )
        ctx.mark(key, None, StepState.DONE, **evidence)

    def _stop_requested(self) -> bool:
        return self.settings.stop is not None and self.settings.stop.is_set()

    def _check_stop(self) -> None:
        if self._stop_requested():
            raise StopRequested

    def _executors(self) -> dict[Action, Callable[[StepContext, Step], object]]:
        """Which executor runs a step of each action (``installs``, ``restarts``)."""
        install = self.settings.install
        return {
            Action.INSTALL: lambda ctx, step: run_install(ctx, step.id, step.nodes[0], install),
            Action.VERIFY: self._verify,
            Action.REBOOT: lambda ctx, step: run_reboot(
                ctx, step.id, step.nodes[0], self._expected(step.nodes[0]), install.file
            ),
            Action.RESTART_SERVICES: lambda ctx, step: run_service_restarts(
                ctx,
                step.id,
                step.nodes[0],
                step.services,
                self._expected(step.nodes[0]),
                install.file,
            ),
            Action.POSTCHECK: self._postcheck,
        }

    def _run_step(self, ctx: StepContext, step: Step) -> None:
        node = step.nodes[0]
        executor = self._executors().get(step.action)
        try:
            if executor is None:
                raise StepFailed(node, step.id, f"unknown action {step.action}")
            executor(ctx, step)
        except (StepFailed, JournalWriteFailed):
            raise
        except ctx.transient as exc:
            ctx.mark(step.id, node, StepState.FAILED, message=str(exc))
            raise StepFailed(
                node,
                step.id,
                f"{node} is not reachable: {exc}",
                "check the node; resume when it answers",
            ) from exc
        except Exception as exc:
            log.exception("step crashed", step=step.id)
            text = failure_text(exc)  # the class name only for unexpected exceptions
            # a dialog stopped at a question keeps what it saw (passwords masked)
            transcript = getattr(exc, "transcript", None)
            extra = {"transcript": transcript} if isinstance(transcript, str) else {}
            ctx.mark(step.id, node, StepState.FAILED, message=text, **extra)
            raise StepFailed(node, step.id, text, failure_remedy(exc, node)) from exc

    def _expected(self, node: str) -> set[str]:
        return self.expected.get(node, set())

    # ----- stage kinds ---------------------------------------------------------------

    def _prechecks(self, ctx: StepContext, steps: list[Step]) -> None:
        nodes = [step.nodes[0] for step in steps]
        for step in steps:
            ctx.mark(step.id, step.nodes[0], StepState.CHECKING)
        # Cluster-wide checks come before any node is marked done: a node whose check
        # passed is still not ready while replication or AXL is broken, and a resumed
        # run must run every check again.
        report = check_cluster(
            self.gateway,
            nodes,
            self.settings.prechecks,
            replication=self.plan.replication_checks,
            backup=self.plan.installs,
            now=self.clock(),
        )
        results, cluster = report.nodes, report.cluster
        for warning in report.warnings:  # shown now, journaled with the first node's check
            log.warning("precheck.cluster_warning", warning=warning)
            self.progress.message(f"warning: {warning}")
            results[0].warnings.append(warning)
        problems: list[str] = []
        for step, result in zip(steps, results, strict=True):
            self.expected[result.node] = set(result.expected_services)
            if result.ok and not cluster:
                ctx.mark(
                    step.id,
                    result.node,
                    StepState.DONE,
                    expected_services=result.expected_services,
                    warnings=result.warnings,
                )
            else:
                ctx.mark(step.id, result.node, StepState.FAILED, problems=result.problems + cluster)
                problems += [f"{result.node}: {p}" for p in result.problems]
        problems += cluster
        if problems:
            raise StepFailed(
                None,
                "prechecks",
                "prechecks failed: " + "; ".join(problems),
                "fix these before the rollout; nothing was changed",
                precheck=True,
            )

    def _verify(self, ctx: StepContext, step: Step) -> None:
        ctx.mark(step.id, step.nodes[0], StepState.CHECKING, **VerifyDetail(models=step.models))
        missing = self.gateway.missing_models(step.models)
        if missing:
            ctx.mark(step.id, step.nodes[0], StepState.FAILED, missing=missing)
            raise StepFailed(
                step.nodes[0],
                step.id,
                f"models missing from typemodel after install: {', '.join(missing)}",
                "check the playbook's models list matches this device pack",
            )
        ctx.mark(step.id, step.nodes[0], StepState.DONE, verified=step.models)

    def _postcheck(self, ctx: StepContext, step: Step) -> None:
        node = step.nodes[0]
        ctx.mark(step.id, node, StepState.CHECKING)
        result = check_node(self.gateway, node)
        missing = sorted(self._expected(node) - set(result.expected_services))
        problems = result.problems + [f"service {m} not STARTED" for m in missing]
        if problems:
            ctx.mark(step.id, node, StepState.FAILED, problems=problems)
            raise StepFailed(
                node,
                step.id,
                "; ".join(problems),
                f"{node} has the pack and was restarted: start what is down (utils service "
                "start NAME) or wait for it, and check replication, then resume to re-check",
            )
        ctx.mark(step.id, node, StepState.DONE)

    def _run_gate(self, ctx: StepContext, stage: Stage) -> None:
        gate = stage.gate
        if gate is None:
            return
        key = f"gate/{stage.name}"
        if gate.replication:
            timeout = gate.timeout_seconds or self.settings.timeouts.replication
            wait_replication(ctx, key, float(timeout), _rebooted([stage]))
        if gate.settle_seconds:
            self.journal.write(
                self.run_id, StepState.SETTLING, step=key, seconds=gate.settle_seconds
            )
            time.sleep(gate.settle_seconds)
        self.journal.write(self.run_id, StepState.DONE, step=key)

    # ----- holds: --stop-after and approvals ------------------------------------------

    def _approve_held_stage(self, previous: dict[str, StepRecord]) -> None:
        """Executing a run that was paused before a stage (a resume) approves that stage:
        journaled as ``approval/<stage>`` done, so no later session holds there again."""
        before = self.journal.paused_before(self.run_id)
        if before is None:
            return
        key = f"approval/{before}"
        entry = self.journal.write(self.run_id, StepState.DONE, step=key)
        record = previous.setdefault(key, StepRecord(key, None))
        record.state, record.history = StepState.DONE, [*record.history, entry]
        log.info("run.approved", stage=before)

    def _hold(self, stage: Stage, previous: dict[str, StepRecord]) -> RunOutcome | None:
        why = self.settings.hold_before.get(stage.name)
        approval = previous.get(f"approval/{stage.name}")
        if why is None or (approval is not None and approval.state == StepState.DONE):
            return None
        message = f"paused {why} before {stage.name}"
        self.journal.write(self.run_id, RunState.PAUSED, before=stage.name, message=message)
        return RunOutcome(
            self.run_id,
            RunState.PAUSED,
            f"{message}; nothing is under way, every node is journaled",
            paused_before=stage.name,
        )

    # ----- window and failure --------------------------------------------------------

    def _wait_for_window_start(self) -> RunOutcome | None:
        window = self.settings.window
        if window is None:
            return None
        now = self.clock()
        if now >= window.end.timestamp():
            return self._pause(f"the maintenance window ended at {window.end.isoformat()}")
        if now < window.start.timestamp():
            delay = window.start.timestamp() - now
            self.journal.write(
                self.run_id, RunState.WAITING_FOR_WINDOW, start=window.start.isoformat()
            )
            self.progress.message(
                f"waiting {delay:.0f} s for the window to open at {window.start.isoformat()}"
            )
            time.sleep(delay)
        return None

    def _window_refuses(self, stages: list[Stage], what: str) -> RunOutcome | None:
        window = self.settings.window
        if window is None:
            return None
        needed = sum(stage.estimated_seconds for stage in stages)
        finish = self.clock() + needed
        if finish <= window.end.timestamp():
            return None
        at = datetime.fromtimestamp(finish, UTC).isoformat(timespec="seconds")
        scope = "the rest of the rollout" if len(stages) > 1 else stages[0].name
        return self._pause(
            f"{what}: {scope} is estimated to take {needed} s and would end at {at}, "
            f"after the window closes at {window.end.isoformat()}"
        )

    def _pause(self, why: str) -> RunOutcome:
        self.journal.write(self.run_id, RunState.PAUSED_WINDOW, reason=why)
        return RunOutcome(
            self.run_id,
            RunState.PAUSED_WINDOW,
            why,
            "wait for the next maintenance window",
            resume_options=("--window", "START/END"),
        )

    def _failed(self, failure: StepFailed) -> RunOutcome:
        hint = failure.hint or "check what the message names (the run's log.jsonl has detail)"
        # the remedy too: the report's banner says what the console says (next_step)
        self.journal.write(
            self.run_id,
            RunState.FAILED,
            message=failure.message,
            node=failure.node,
            at_step=failure.step,
            remedy=hint,
        )
        message = failure.message
        if failure.node and not message.startswith(failure.node):
            message = f"{failure.node} ({failure.step}): {message}"
        return RunOutcome(
            self.run_id,
            RunState.FAILED,
            message,
            hint,
            failure.node,
            precheck=failure.precheck,
        )


def _rebooted(stages: list[Stage]) -> list[str]:
    """The nodes the stages reboot: a replication check must have started after them."""
    return [s.nodes[0] for stage in stages for s in stage.steps if s.action is Action.REBOOT]


def node_states(journal: JournalStore, run_id: str, plan: Plan) -> dict[str, list[tuple[str, str]]]:
    """Per node, each planned step and its journaled state (for failure reports)."""
    steps = journal.steps(run_id)
    result: dict[str, list[tuple[str, str]]] = {}
    for step in plan.steps:
        record = steps.get(step.id)
        state = record.state if record else StepState.PENDING
        if state not in TERMINAL and record is not None:
            state = f"interrupted while {state}"
        result.setdefault(step.nodes[0], []).append((step.id, state))
    return result
