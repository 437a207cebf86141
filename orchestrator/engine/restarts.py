"""The restart executors: a reboot, or a release's service restarts, on one node, each
ending in the services gate (state machines: ``engine/steps.py``)."""

from __future__ import annotations

import time
from typing import cast

import structlog

from orchestrator.cucm import services as services_rule
from orchestrator.cucm.pickup import after_install, started_since
from orchestrator.engine.gates import wait_services
from orchestrator.engine.gateway import ServiceState
from orchestrator.engine.journal import StepRecord
from orchestrator.engine.states import RebootDetail, ServiceRestartDetail, StepState
from orchestrator.engine.steps import StepContext, wait_step
from orchestrator.engine.waits import NotYet

log = structlog.get_logger(__name__)


# ----- reboot ------------------------------------------------------------------------


def run_reboot(
    ctx: StepContext, step: str, node: str, expected: set[str], cop_file: str | None = None
) -> None:
    """Reboot ``node`` and block until it is back: SSH, services, replication."""
    prior = ctx.prior(step)
    seen = {entry.state for entry in prior.history} if prior else set()
    requested_at: float | None
    if StepState.REQUESTED not in seen:
        # Never asked: a fresh step, or one killed or failed (node unreachable) before
        # the request. Its last state may be "failed": the node's boot is not a new one.
        ctx.mark(step, node, StepState.CHECKING)
        boot_before = ctx.gateway.last_boot(node)
        installed = ctx.gateway.install_time(node, cop_file) if cop_file else None
        if installed is not None and after_install(installed, boot_before):
            # Someone (another run, an admin) rebooted it after the install: the node has
            # picked the pack up, and a reboot now would only cost an outage.
            ctx.mark(
                step,
                node,
                StepState.SKIPPED,
                reason="rebooted after the install already",
                installed=installed,
                boot=boot_before,
            )
            return
        requested_at = _request_reboot(ctx, step, node, boot_before)
    else:
        detail = cast(RebootDetail, prior.detail) if prior else RebootDetail()
        boot_before = detail.get("boot_before")
        requested_at = detail.get("requested_at")
        confirmed = seen & {
            StepState.DOWN,
            StepState.BOOTED,
            StepState.WAITING_FOR_SERVICES,
            StepState.SERVICES_UP,
        }
        if not confirmed and not _reboot_under_way(ctx, node, boot_before):
            log.info("reboot request was not taken, sending it again", node=node)
            requested_at = _request_reboot(ctx, step, node, boot_before)
    _await_back(ctx, step, node, boot_before, expected, requested_at)


def _request_reboot(ctx: StepContext, step: str, node: str, boot_before: float | None) -> float:
    """Ask for the reboot; returns when it was asked (epoch seconds, as journaled)."""
    requested_at = time.time()
    ctx.mark(step, node, StepState.REQUESTED, boot_before=boot_before, requested_at=requested_at)
    ctx.gateway.request_reboot(node)
    ctx.mark(step, node, StepState.DOWN)
    return requested_at


def _reboot_under_way(ctx: StepContext, node: str, boot_before: float | None) -> bool:
    """After a kill between "requested" and "down": did the node take the request?"""
    try:
        boot = ctx.gateway.last_boot(node)
        if boot is not None and boot_before is not None and boot > boot_before:
            return True
        services = ctx.gateway.services(node)
    except ctx.transient:
        return True  # refusing connections: it is rebooting
    return any(s.state in ("STOPPING", "STOPPED") and s.counts_as_down for s in services)


def _await_back(
    ctx: StepContext,
    step: str,
    node: str,
    boot_before: float | None,
    expected: set[str],
    requested_at: float | None = None,
) -> None:
    gateway = ctx.gateway
    # the plan's reboot estimate counts from the request (a resumed run's is older)
    since = time.time() - requested_at if requested_at else 0.0
    reboot_left = max(0.0, ctx.estimates.reboot - since)

    def booted() -> float:
        # One command per poll: reading the boot line is also the proof SSH answers.
        try:
            boot = gateway.last_boot(node)
        except ctx.transient as exc:
            raise NotYet(f"SSH does not answer yet ({exc})") from None
        if boot is None or (boot_before is not None and boot <= boot_before):
            raise NotYet("the node has not rebooted yet")
        return boot

    boot = wait_step(
        ctx,
        step,
        node,
        "the node to answer SSH after reboot",
        booted,
        ctx.timeouts.reboot,
        expected=reboot_left,
    )
    ctx.mark(step, node, StepState.BOOTED, boot_time=boot)
    # services are polled from the boot: how soon they follow SSH varies too much
    wait_services(ctx, step, node, expected)
    ctx.mark(step, node, StepState.DONE)


# ----- service restarts --------------------------------------------------------------


def run_service_restarts(
    ctx: StepContext,
    step: str,
    node: str,
    services: list[str],
    expected: set[str],
    cop_file: str | None = None,
) -> None:
    """Restart ``services`` on ``node`` one after another, then wait until every
    ``expected`` service is STARTED (a service-restart release's alternative to a
    reboot).

    Each service is journaled ``service_restart_requested`` (with its StartTime then)
    before the command and ``service_restarted`` after it; the ``restarted`` list is
    what a resume never restarts again. A service that started after the pack's install
    already (``cucm/pickup.py``'s rule: Control Center's StartTime, else the last boot)
    or that is deactivated is ``service_skipped``. After a kill between request and
    confirmation, the node is asked whether the restart happened (stopping/starting, or
    a newer StartTime) before asking again."""
    prior = ctx.prior(step)
    journaled = cast(ServiceRestartDetail, prior.detail) if prior else ServiceRestartDetail()
    done: list[str] = list(journaled.get("restarted", []))
    installed = ctx.gateway.install_time(node, cop_file) if cop_file else None
    for service in services:
        if service in done:
            continue
        requested = journaled.get("requested_service")
        if (
            requested != service
            and installed is not None
            and _picked_up(ctx, node, service, installed)
        ):
            # restarted after the install already (another run, an admin): not again
            ctx.mark(
                step,
                node,
                StepState.SERVICE_SKIPPED,
                service=service,
                reason="restarted after the install already",
            )
            done.append(service)
            continue
        current = _service(ctx, node, service)
        if current is None or services_rule.is_deliberate(current.reason):
            ctx.mark(
                step,
                node,
                StepState.SERVICE_SKIPPED,
                service=service,
                reason=(current.reason if current else "not present"),
            )
            done.append(service)
            continue
        if requested == service and _restart_taken(ctx, node, service, current, prior):
            log.info("service restart already happened", node=node, service=service)
        else:
            ctx.mark(
                step,
                node,
                StepState.SERVICE_RESTART_REQUESTED,
                requested_service=service,
                start_before=ctx.gateway.service_start_time(node, service),
            )
            ctx.gateway.restart_service(node, service)
        done.append(service)
        ctx.mark(step, node, StepState.SERVICE_RESTARTED, restarted=list(done))
    wait_services(ctx, step, node, expected)
    ctx.mark(step, node, StepState.DONE, restarted=done)


def _picked_up(ctx: StepContext, node: str, service: str, installed: float) -> bool:
    """Started after the install already (the pickup rule). When Control Center cannot
    tell, the boot stands in for a running service (read only then, to spare CLI
    commands); a stopped one is restarted, which starts it."""
    started = ctx.gateway.service_start_time(node, service)
    boot = None
    if started is None:
        current = _service(ctx, node, service)
        if current is not None and current.state == "STARTED":
            boot = ctx.gateway.last_boot(node)
    since, _ = started_since(started, boot)
    return after_install(installed, since)


def _restart_taken(
    ctx: StepContext, node: str, service: str, current: ServiceState, prior: StepRecord | None
) -> bool:
    """After a kill between "service_restart_requested" and "service_restarted": did the
    node take the restart? Under way (stopping/starting), or started since we asked."""
    if current.state in ("STOPPING", "STARTING"):
        return True
    before = cast(ServiceRestartDetail, prior.detail).get("start_before") if prior else None
    now = ctx.gateway.service_start_time(node, service)
    return before is not None and now is not None and now > before


def _service(ctx: StepContext, node: str, name: str) -> ServiceState | None:
    return next((s for s in ctx.gateway.services(node) if s.name == name), None)
