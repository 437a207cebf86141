"""The rollout: the plan's stages in order, each stage's steps in parallel, gates between.

States of a run (journal entries without a step): running -> completed | failed |
paused_window. Stages and gates are journaled as steps named ``stage/<name>`` and
``gate/<name>`` so a resumed run skips what is done and redoes nothing.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from orchestrator.engine.gateway import ClusterGateway, InstallRequest
from orchestrator.engine.journal import TERMINAL, Journal, StepRecord
from orchestrator.engine.prechecks import PrecheckPolicy, check_node, check_replication
from orchestrator.engine.steps import (
    StepContext,
    StepFailed,
    Timeouts,
    run_install,
    run_reboot,
    run_service_restarts,
    wait_replication,
)
from orchestrator.engine.waits import PollPolicy
from orchestrator.errors import failure_text
from orchestrator.planning.plan import Action, Plan, Stage, StageKind, Step

log = structlog.get_logger(__name__)

RESTART_STAGES = {StageKind.RESTART_PUBLISHER, StageKind.RESTART_WAVE}
INSTALL_STAGES = {
    StageKind.INSTALL_PUBLISHER,
    StageKind.INSTALL_TFTP,
    StageKind.INSTALL_SUBSCRIBERS,
}


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


@dataclass
class RolloutSettings:
    install: InstallRequest
    timeouts: Timeouts = field(default_factory=Timeouts)
    prechecks: PrecheckPolicy = field(default_factory=PrecheckPolicy)
    poll: PollPolicy = field(default_factory=PollPolicy)
    window: Window | None = None
    # exceptions that mean "not reachable right now" (a node rebooting)
    transient: tuple[type[BaseException], ...] = ()
    # set from another thread (fleet mode) to stop like Ctrl-C: at the next stage boundary,
    # steps under way finish, queued steps never start
    stop: threading.Event | None = None


@dataclass
class RunOutcome:
    run_id: str
    status: str  # completed | failed | paused_window | interrupted
    message: str = ""
    hint: str = ""
    failed_node: str | None = None
    precheck: bool = False  # failed in prechecks: nothing was changed


class Progress:
    """Console hooks; the CLI supplies a live view or plain lines."""

    def stage(self, name: str, reason: str) -> None: ...

    def node(self, node: str, text: str) -> None: ...

    def message(self, text: str) -> None: ...


class Rollout:
    def __init__(
        self,
        run_id: str,
        plan: Plan,
        gateway: ClusterGateway,
        journal: Journal,
        settings: RolloutSettings,
        progress: Progress | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.run_id = run_id
        self.plan = plan
        self.gateway = gateway
        self.journal = journal
        self.settings = settings
        self.progress = progress or Progress()
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
            transient=self.settings.transient,
            progress=self.progress.node,
            previous=previous,
        )
        self.journal.write(self.run_id, "running")
        try:
            return self._execute(ctx, previous)
        except KeyboardInterrupt:
            # Ctrl-C or SIGTERM: the steps already under way were let finish (the stage's
            # executor waits for them), so every node is in a journaled, resumable state.
            self.journal.write(self.run_id, "interrupted")
            return RunOutcome(
                self.run_id,
                "interrupted",
                "stopped by the operator; steps under way were finished first",
                f"devpack resume {self.run_id}",
            )

    def _execute(self, ctx: StepContext, previous: dict[str, StepRecord]) -> RunOutcome:
        for step_id, record in previous.items():
            if "expected_services" in record.detail:
                self.expected[record.node or step_id] = set(record.detail["expected_services"])
        paused = self._wait_for_window_start()
        if paused:
            return paused
        stages = self.plan.stages
        for index, stage in enumerate(stages):
            self._check_stop()
            stage_key = f"stage/{stage.name}"
            if previous.get(stage_key) and previous[stage_key].state == "done":
                continue
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
            self.journal.write(self.run_id, "started", step=stage_key)
            try:
                self._run_stage(ctx, stage)
                self._run_gate(ctx, stage)
            except StepFailed as failure:
                return self._failed(failure)
            self.journal.write(self.run_id, "done", step=stage_key)
        self.journal.write(self.run_id, "completed")
        return RunOutcome(self.run_id, "completed", "every stage completed")

    def _run_stage(self, ctx: StepContext, stage: Stage) -> None:
        pending = [
            step
            for step in stage.steps
            if not (
                ctx.previous.get(step.id) and ctx.previous[step.id].state in ("done", "skipped")
            )
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

        workers = min(len(pending), stage.max_parallel or len(pending))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="step") as pool:
            # Each step thread starts from a copy of the caller's context, so log lines
            # keep the bound run id (fleet mode routes them to the run's log by it).
            futures = [
                pool.submit(contextvars.copy_context().run, guarded, step) for step in pending
            ]
            try:
                failures = [f.exception() for f in futures if f.exception() is not None]
            except BaseException:
                # Ctrl-C / SIGTERM while waiting: queued steps must not start; the pool's
                # exit still waits for the ones under way.
                failed.set()
                raise
        for failure in failures:
            if isinstance(failure, StepFailed | KeyboardInterrupt):
                raise failure
        self._check_stop()  # queued steps were not started: the stage is not done
        if failures:
            error = failures[0]
            raise StepFailed(None, stage.name, failure_text(error))
        if stage.kind is StageKind.POSTCHECKS:
            self._postcheck_cluster(ctx, stage)

    def _postcheck_cluster(self, ctx: StepContext, stage: Stage) -> None:
        """After every node's postcheck: replication must be 2 on every node, as promised."""
        key = f"{stage.name}/cluster"
        ctx.mark(key, None, "checking")
        problems = check_replication(self.gateway)
        if problems:
            ctx.mark(key, None, "failed", problems=problems)
            raise StepFailed(
                None,
                key,
                "postchecks: " + "; ".join(problems),
                "every node has the pack and was restarted; wait for replication to settle "
                "(utils dbreplication runtimestate) or repair it, then resume to re-check",
            )
        ctx.mark(key, None, "done")

    def _stop_requested(self) -> bool:
        return self.settings.stop is not None and self.settings.stop.is_set()

    def _check_stop(self) -> None:
        if self._stop_requested():
            raise KeyboardInterrupt

    def _run_step(self, ctx: StepContext, step: Step) -> None:
        node = step.nodes[0]
        try:
            if step.action is Action.INSTALL:
                run_install(ctx, step.id, node, self.settings.install)
            elif step.action is Action.VERIFY:
                self._verify(ctx, step)
            elif step.action is Action.REBOOT:
                run_reboot(ctx, step.id, node, self._expected(node), self.settings.install.file)
            elif step.action is Action.RESTART_SERVICES:
                run_service_restarts(
                    ctx,
                    step.id,
                    node,
                    step.services,
                    self._expected(node),
                    self.settings.install.file,
                )
            elif step.action is Action.POSTCHECK:
                self._postcheck(ctx, step)
            else:
                raise StepFailed(node, step.id, f"unknown action {step.action}")
        except StepFailed:
            raise
        except ctx.transient as exc:
            ctx.mark(step.id, node, "failed", message=str(exc))
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
            ctx.mark(step.id, node, "failed", message=text, **extra)
            raise StepFailed(node, step.id, text) from exc

    def _expected(self, node: str) -> set[str]:
        return self.expected.get(node, set())

    # ----- stage kinds ---------------------------------------------------------------

    def _prechecks(self, ctx: StepContext, steps: list[Step]) -> None:
        nodes = [step.nodes[0] for step in steps]
        for step in steps:
            ctx.mark(step.id, step.nodes[0], "checking")
        with ThreadPoolExecutor(max_workers=len(nodes), thread_name_prefix="precheck") as pool:
            checks = [
                pool.submit(
                    contextvars.copy_context().run,
                    check_node,
                    self.gateway,
                    n,
                    self.settings.prechecks,
                )
                for n in nodes
            ]
            results = [check.result() for check in checks]
        # Cluster-wide checks come before any node is marked done: a node whose check
        # passed is still not ready while replication or AXL is broken, and a resumed
        # run must run every check again.
        cluster: list[str] = []
        if all(result.reachable for result in results):
            cluster += check_replication(self.gateway)
            axl = self.gateway.axl_problem()
            if axl:
                cluster.append(axl)
        problems: list[str] = []
        for step, result in zip(steps, results, strict=True):
            self.expected[result.node] = set(result.expected_services)
            if result.ok and not cluster:
                ctx.mark(
                    step.id,
                    result.node,
                    "done",
                    expected_services=result.expected_services,
                    warnings=result.warnings,
                )
            else:
                ctx.mark(step.id, result.node, "failed", problems=result.problems + cluster)
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
        ctx.mark(step.id, step.nodes[0], "checking", models=step.models)
        missing = self.gateway.missing_models(step.models)
        if missing:
            ctx.mark(step.id, step.nodes[0], "failed", missing=missing)
            raise StepFailed(
                step.nodes[0],
                step.id,
                f"models missing from typemodel after install: {', '.join(missing)}",
                "check the playbook's models list matches this device pack",
            )
        ctx.mark(step.id, step.nodes[0], "done", verified=step.models)

    def _postcheck(self, ctx: StepContext, step: Step) -> None:
        node = step.nodes[0]
        ctx.mark(step.id, node, "checking")
        result = check_node(self.gateway, node)
        missing = sorted(self._expected(node) - set(result.expected_services))
        problems = result.problems + [f"service {m} not STARTED" for m in missing]
        if problems:
            ctx.mark(step.id, node, "failed", problems=problems)
            raise StepFailed(node, step.id, "; ".join(problems))
        ctx.mark(step.id, node, "done")

    def _run_gate(self, ctx: StepContext, stage: Stage) -> None:
        gate = stage.gate
        if gate is None:
            return
        key = f"gate/{stage.name}"
        if gate.replication:
            timeout = gate.timeout_seconds or self.settings.timeouts.replication
            wait_replication(ctx, key, float(timeout))
        if gate.settle_seconds:
            self.journal.write(self.run_id, "settling", step=key, seconds=gate.settle_seconds)
            time.sleep(gate.settle_seconds)
        self.journal.write(self.run_id, "done", step=key)

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
            self.journal.write(self.run_id, "waiting_for_window", start=window.start.isoformat())
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
        self.journal.write(self.run_id, "paused_window", reason=why)
        return RunOutcome(
            self.run_id,
            "paused_window",
            why,
            f"resume in the next window: devpack resume {self.run_id} --window START/END",
        )

    def _failed(self, failure: StepFailed) -> RunOutcome:
        self.journal.write(
            self.run_id, "failed", message=failure.message, node=failure.node, at_step=failure.step
        )
        hint = failure.hint or "fix the cause"
        message = failure.message
        if failure.node and not message.startswith(failure.node):
            message = f"{failure.node} ({failure.step}): {message}"
        return RunOutcome(
            self.run_id,
            "failed",
            message,
            f"{hint}; then: devpack resume {self.run_id}",
            failure.node,
            precheck=failure.precheck,
        )


def node_states(journal: Journal, run_id: str, plan: Plan) -> dict[str, list[tuple[str, str]]]:
    """Per node, each planned step and its journaled state (for failure reports)."""
    steps = journal.steps(run_id)
    result: dict[str, list[tuple[str, str]]] = {}
    for step in plan.steps:
        record = steps.get(step.id)
        state = record.state if record else "pending"
        if state not in TERMINAL and record is not None:
            state = f"interrupted while {state}"
        result.setdefault(step.nodes[0], []).append((step.id, state))
    return result
