"""The gates a restart must pass before the next change: every service that ran before
is STARTED again (per node), and database replication is 2 on every node, judged on a
status check from after the restarts (``cucm/replication.py``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import structlog

from orchestrator.cucm import replication as replication_rule
from orchestrator.cucm import services as services_rule
from orchestrator.engine.gateway import ReplicationCheck
from orchestrator.engine.states import GateDetail, StepState
from orchestrator.engine.steps import StepContext, fail_step, wait_step
from orchestrator.engine.waits import NotYet

log = structlog.get_logger(__name__)


def wait_services(ctx: StepContext, step: str, node: str, expected: set[str]) -> None:
    ctx.mark(step, node, StepState.WAITING_FOR_SERVICES)
    started_by_us: set[str] = set()

    def all_started() -> None:
        # Judged against the state before the restart (cucm.services): a service that
        # ran before must run again, even one back as "Commanded Out of Service".
        problems = services_rule.judge(ctx.gateway.services(node), expected)
        held = [p for p in problems if p.stays_down]
        if held:
            _start_or_fail(ctx, step, node, held, started_by_us)
        if problems:
            raise NotYet("not STARTED: " + ", ".join(p.describe() for p in problems))

    wait_step(
        ctx,
        step,
        node,
        "services to be STARTED",
        all_started,
        ctx.timeouts.services,
        hint=_SERVICES_HINT.format(node=node),
    )
    ctx.mark(step, node, StepState.SERVICES_UP)


def _start_or_fail(
    ctx: StepContext,
    step: str,
    node: str,
    held: list[services_rule.ServiceProblem],
    started_by_us: set[str],
) -> None:
    """Services that ran before the restart and are back Commanded Out of Service do not
    start by themselves: fail at once with Cisco's remedy, or (playbook option) start
    each once, journaled before the command, and let the gate judge again."""
    again = [p for p in held if p.name in started_by_us]
    if not ctx.start_out_of_service or again:
        names = ", ".join(p.describe() for p in held)
        remedy = "; ".join(p.remedy(node) for p in held)
        if again:  # devpack started it once already: it fell back, a person must look
            what = "it fell back after `utils service start`; read its logs"
            hint = f"{remedy} once the cause is fixed, then resume the run"
        else:
            what = "such a service does not start by itself (Cisco TAC)"
            hint = (
                f"{remedy}, then resume the run (or let devpack start it: playbook "
                "restart.start_services_out_of_service: true)"
            )
        fail_step(ctx, step, node, f"not STARTED: {names}; {what}", hint, outcome="out_of_service")
    for problem in held:
        ctx.mark(
            step,
            node,
            StepState.SERVICE_START_REQUESTED,
            service=problem.name,
            reason=problem.reason,
        )
        started_by_us.add(problem.name)
        log.warning("service.started_by_devpack", node=node, service=problem.name)
        ctx.gateway.start_service(node, problem.name)


def wait_replication(
    ctx: StepContext, step: str, timeout: float, restarted: Sequence[str] = ()
) -> ReplicationCheck:
    """Cisco: database replication must be 2 on every node before the next change.

    Judged only on a status check that started after the last restart of ``restarted``
    (``cucm.replication``): runtimestate shows the last check for as long as no new one
    is started, so an older table of 2s proves nothing. The gate then starts a fresh
    check (`utils dbreplication status`), and again each time a fresh one found a node
    not at 2. The check it accepted is journaled with ``replicated``."""
    # A fresh gate follows its wave's reboots: replication takes the plan's settle time
    # to reach 2. A resumed one may be nearly over: looked at from the start.
    settle = 0.0 if ctx.prior(step) else ctx.estimates.replication_settle
    ctx.mark(step, None, StepState.WAITING_FOR_REPLICATION)
    evidence = FreshReplication(ctx, step, restarted)

    def all_two() -> ReplicationCheck:
        check = evidence.fresh()
        bad = {name: state for name, state in check.states.items() if state != 2}
        if bad or not check.states:
            evidence.renew()  # a finished check never changes: the next look needs a new one
            shown = ", ".join(f"{n}={s}" for n, s in sorted(bad.items())) or "no rows"
            raise NotYet(f"replication not 2 everywhere: {shown}")
        return check

    check: ReplicationCheck = wait_step(
        ctx,
        step,
        None,
        "database replication state 2 on every node",
        all_two,
        timeout,
        expected=settle,
    )
    ctx.mark(step, None, StepState.REPLICATED, **evidence.detail(check))
    return check


def await_fresh_replication(
    ctx: StepContext, step: str, timeout: float, restarted: Sequence[str]
) -> tuple[ReplicationCheck, GateDetail]:
    """A finished status check that started after the last restart of ``restarted``,
    whatever states it found (a postcheck judges them, it does not wait for 2)."""
    evidence = FreshReplication(ctx, step, restarted)
    check: ReplicationCheck = wait_step(
        ctx, step, None, "a replication status check after the restarts", evidence.fresh, timeout
    )
    return check, evidence.detail(check)


class FreshReplication:
    """The replication status check a gate may judge: one that started after the last
    restart of ``restarted`` (their Boot lines, read once when first needed). A check
    that is too old, or that has to be read again, is replaced by a new one."""

    def __init__(self, ctx: StepContext, step: str, restarted: Sequence[str]) -> None:
        self.ctx = ctx
        self.step = step
        self.restarted = list(restarted)
        self.last_restart: tuple[str, float] | None = None  # (node, Boot line, read late)
        self.started = 0  # new checks started

    def _restart(self) -> float | None:
        """The instant surely after the last restart; None: no restart to follow."""
        if not self.restarted:
            return None
        if self.last_restart is None:
            stamps = {node: self.ctx.gateway.restart_stamp(node) for node in self.restarted}
            unknown = sorted(node for node, stamp in stamps.items() if stamp is None)
            if unknown:
                raise NotYet(f"no Boot line readable on {', '.join(unknown)}")
            node, boot = max(stamps.items(), key=lambda item: item[1] or 0.0)
            self.last_restart = (node, float(boot or 0.0))
        return replication_rule.restart_over(self.last_restart[1])

    def fresh(self) -> ReplicationCheck:
        """The check shown, if it started after the restart; else a new one is started
        and NotYet raised."""
        after = self._restart()
        check = self.ctx.gateway.replication_check()
        if replication_rule.started_after(check.started, after):
            return check
        shown = check.started.describe() if check.started else "no start shown"
        self.renew()
        raise NotYet(
            f"the replication status check shown started {shown}, not after the last "
            f"restart ({self._restart_text()}); started a new one"
        )

    def renew(self) -> None:
        self.ctx.gateway.start_replication_check()
        self.started += 1
        log.info("replication.check_started", run=self.ctx.run_id, step=self.step)

    def _restart_text(self) -> str:
        if self.last_restart is None:
            return "none"
        node, boot = self.last_restart
        return f"{node} booted {datetime.fromtimestamp(boot, UTC).isoformat(timespec='seconds')}"

    def detail(self, check: ReplicationCheck) -> GateDetail:
        started = check.started.describe() if check.started else "not shown"
        log.info(
            "replication.check_accepted",
            run=self.ctx.run_id,
            step=self.step,
            check_started=started,
            after_restart=self._restart_text(),
        )
        return GateDetail(
            check_started=started,
            after_restart=self._restart_text(),
            checks_started=self.started,
        )


_SERVICES_HINT = (
    "a service that ran before the restart is not running on {node}: one back as "
    "'Commanded Out of Service' does not start by itself (Cisco TAC), start it with "
    "`utils service start NAME` on {node}; for any other reason read its logs; when every "
    "service is STARTED, resume the run"
)
