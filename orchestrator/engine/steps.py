"""What every step executor shares, and the state machines they implement.

The executors live by concern: ``engine/installs.py`` (install), ``engine/restarts.py``
(reboot, service restarts) and ``engine/gates.py`` (the services and replication gates);
this module holds their context (``StepContext``), failure (``StepFailed``) and bounded
wait (``wait_step``).

Every executor writes the state it is about to enter *before* acting
(``StepContext.mark``), and on resume reads the live cluster wherever the journal cannot
know (a reboot requested but not confirmed, an install cut off by a dropped session), so
no node is installed or restarted twice. States are ``engine.states.StepState``; what
each state journals beside it is declared there (``InstallDetail``, ``RebootDetail``,
``ServiceRestartDetail``).

The run (``engine/rollout.py``): ``running`` -> ``completed`` | ``failed`` |
``paused_window`` | ``interrupted``; stages ``stage/<name>`` and gates ``gate/<name>``
go ``started`` -> ``done``.

install (``run_install``)::

    checking -> done (the option is listed already)
             -> waiting_for_running_install -> done | failed
             -> requested -> [session_lost -> wait for the background install]
                          -> [took_over_wizard] -> done | failed

reboot (``run_reboot``)::

    checking -> skipped (booted after the pack's install: ``cucm/pickup.py``)
             -> requested -> down -> booted -> waiting_for_services -> services_up -> done
    resume from requested: a newer boot, refused connections or stopping services mean
    the request was taken; otherwise it is sent again. Never twice.

service restarts (``run_service_restarts``), per service::

    service_restart_requested -> service_restarted | service_skipped (started after the
    install: Control Center's StartTime, else the last boot)
    then waiting_for_services -> services_up -> done

services gate (``wait_services``): ``waiting_for_services`` -> ``services_up``; a service
STARTED before and back Commanded Out of Service -> ``failed`` at once, or (playbook
option) ``service_start_requested`` -> judged again.

gates: ``waiting_for_replication`` -> ``replicated`` (journals the status check accepted:
one started after the stage's reboots, ``cucm/replication.py``); a timeout anywhere ->
``failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import structlog

from orchestrator.config.estimates import Estimates
from orchestrator.engine.gateway import ClusterGateway
from orchestrator.engine.journal import JournalStore, StepRecord
from orchestrator.engine.states import InstallOutcome, StepState
from orchestrator.engine.waits import PollPolicy, WaitTimeout, wait_until

log = structlog.get_logger(__name__)


class StepFailed(Exception):
    def __init__(
        self, node: str | None, step: str, message: str, hint: str = "", *, precheck: bool = False
    ) -> None:
        super().__init__(message)
        self.node = node
        self.step = step
        self.message = message
        self.hint = hint
        self.precheck = precheck  # nothing was changed: the cluster was not ready


@dataclass(frozen=True)
class StepTimeouts:
    install: float = 3600.0
    reboot: float = 1800.0
    services: float = 1800.0
    replication: float = 7200.0


@dataclass
class StepContext:
    run_id: str
    journal: JournalStore
    gateway: ClusterGateway
    timeouts: StepTimeouts
    poll: PollPolicy
    # how long phases take on this cluster (the plan's): when polling starts in earnest
    estimates: Estimates = field(default_factory=Estimates)
    # errors a probe may raise while a node is rebooting (connection refused, ...)
    transient: tuple[type[BaseException], ...] = ()
    progress: Callable[[str, str], None] = lambda node, text: None
    previous: dict[str, StepRecord] = field(default_factory=dict)
    # the run folder's transcripts/ (None: not kept): each node's install dialog, which
    # Cisco TAC asks for
    transcripts: Path | None = None
    # a service STARTED before a restart and back Commanded Out of Service is started by
    # devpack (journaled first) instead of failing the gate (playbook
    # restart.start_services_out_of_service)
    start_out_of_service: bool = False

    def mark(self, step: str, node: str | None, state: StepState, **detail: object) -> None:
        """Journal that ``step`` on ``node`` enters ``state``; called *before* the action
        the state announces. This is the invariant resume relies on: the journal is
        never behind the cluster, so a run killed at any point (SIGKILL included) finds
        in the journal at least everything it did, and at most one announced action it
        may or may not have done, which the executor then reads back from the node.
        The write is fsynced; if it fails (JournalWriteFailed) nothing is done."""
        self.journal.write(self.run_id, state, step=step, node=node, **detail)
        log.info("step", run=self.run_id, step=step, node=node, state=state, **detail)
        if node:
            text = state.replace("_", " ")
            service = detail.get("service") or detail.get("requested_service")
            self.progress(node, f"{text}: {service}" if service else text)

    def prior(self, step: str) -> StepRecord | None:
        return self.previous.get(step)


# ----- waiting and failing ----------------------------------------------------------


def wait_step(
    ctx: StepContext,
    step: str,
    node: str | None,
    what: str,
    probe: Callable[[], object],
    timeout: float,
    hint: str | None = None,
    expected: float = 0.0,
) -> Any:
    """Poll ``probe`` until it passes (``waits.wait_until``: errors of ``ctx.transient``
    are retried); a timeout journals the step failed and raises StepFailed."""
    try:
        return wait_until(what, probe, timeout, ctx.poll, retry_on=ctx.transient, expected=expected)
    except WaitTimeout as exc:
        fail_step(ctx, step, node, str(exc), hint or TIMEOUT_HINT, outcome=InstallOutcome.TIMEOUT)


TIMEOUT_HINT = (
    "check the node on its console or CLI; when it is healthy, resume the run "
    "(raise the timeout in the playbook if the node is just slow)"
)


def fail_step(
    ctx: StepContext, step: str, node: str | None, message: str, hint: str, **detail: object
) -> NoReturn:
    """Journal the failure, then stop the step (always raises StepFailed)."""
    ctx.mark(step, node, StepState.FAILED, message=message, hint=hint, **detail)
    raise StepFailed(node, step, message, hint)
