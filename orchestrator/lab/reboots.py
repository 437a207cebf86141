"""A lab node's reboot: shutting down, down, booting, services coming back in order."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import structlog

from orchestrator.cucm import texts
from orchestrator.lab.config import FaultKind
from orchestrator.lab.nodes import (
    BOOT_ORDER,
    PLATFORM_SERVICES,
    STARTED,
    STARTING,
    STOPPED,
    STOPPING,
    Node,
)
from orchestrator.lab.replication import Replication

log = structlog.get_logger(__name__)


class Reboots(Replication):
    def restart_node(self, node_name: str) -> None:
        with self.lock:
            node = self.nodes[node_name]
            if node.phase != "up":
                return
            node.phase = "shutting_down"
            self.events.emit(node.name, "reboot_started")
            for name, service in node.services.items():
                if service.state == STARTED and name not in PLATFORM_SERVICES:
                    self._set_service(node, name, STOPPING)
            self._notify()
        self.scheduler.after(self.timing.shutdown_seconds, lambda: self._go_down(node))

    def _go_down(self, node: Node) -> None:
        # The servers close first, so "down" in the world (and the node_down event) always
        # means connections are refused; they do it on the node's own thread, so the
        # scheduler is free to take the other nodes of a wave down at the same time.
        listeners = list(self._down_listeners)

        def down() -> None:
            self._call(node, listeners)
            with self.lock:
                node.phase = "down"
                for name in node.services:
                    self._set_service(node, name, STOPPED)
                self._set_replication(node, 0)
                if not self.config.rules.replication_check_survives_reboot:
                    self.replication_check.forget()
                if node.upgrade.status == "Running":
                    node.upgrade.status = "Failed"
                self.events.emit(node.name, "node_down")
                self._notify()
            if self.faults.fire(FaultKind.NEVER_RETURNS, node.name):
                self.events.emit(node.name, "node_never_returns")
                return
            self.scheduler.after(self.timing.reboot_down_seconds, lambda: self._boot(node))

        self._reactor(node).submit(down)

    def _boot(self, node: Node) -> None:
        with self.lock:
            now = time.time()
            node.boot_time = now
            node.phase = "up"
            node.upgrade.owner = None
            node.upgrade.stuck = False  # only a reboot clears a stuck framework
            node.history.append(
                (now, texts.HISTORY_BOOT.format(stamp="", version=node.release_text))
            )
            if self.faults.fire(FaultKind.HOST_KEY_CHANGED, node.name):
                node.host_key = node.new_host_key()
                self.events.emit(node.name, "host_key_changed")
            for name in PLATFORM_SERVICES:
                node.services[name].state = STARTED
                node.services[name].start_time = now
            held = self._hold_down_after_boot(node)
            self.events.emit(node.name, "ssh_up")
            listeners = list(self._up_listeners)
            self._notify()
        self._react(node, listeners)
        self._start_services(node, now, held)

    def _hold_down_after_boot(self, node: Node) -> str | None:
        """The service a ``service_down_after_reboot`` fault keeps STOPPED after this boot,
        with its stop reason (Component is not running unless the fault names another)."""
        fault = self.faults.fire(FaultKind.SERVICE_DOWN_AFTER_REBOOT, node.name)
        if fault is None:
            return None
        name = fault.service or texts.SVC_TOMCAT
        service = node.services.get(name)
        if service is None:
            return None
        service.reason = fault.reason or texts.REASON_COMPONENT_NOT_RUNNING
        self.events.emit(node.name, "service_held_down", service=name, reason=service.reason)
        return name

    def _start_services(self, node: Node, boot: float, held: str | None = None) -> None:
        step, starting = self.timing.service_step_seconds, self.timing.service_starting_seconds
        activated = [n for n in BOOT_ORDER if node.services[n].activated and n != held]
        for index, name in enumerate(activated):
            self.scheduler.after(index * step, self._service_action(node, boot, name, STARTING))
            self.scheduler.after(
                index * step + starting, self._service_action(node, boot, name, STARTED)
            )
            if name == texts.SVC_DB_REPLICATOR:
                base = index * step + starting
                settle = self.timing.replication_settle_seconds
                self.scheduler.after(base + settle / 2, self._replication_action(node, boot, 1))
                self.scheduler.after(base + settle, self._replication_action(node, boot, 2))

    def _reactor(self, node: Node) -> ThreadPoolExecutor:
        with self.lock:
            reactor = self._reactors.get(node.name)
            if reactor is None:
                reactor = self._reactors[node.name] = ThreadPoolExecutor(
                    max_workers=1, thread_name_prefix=f"lab-{node.name}"
                )
            return reactor

    @staticmethod
    def _call(node: Node, listeners: list[Callable[[Node], None]]) -> None:
        for listener in listeners:
            try:
                listener(node)
            except Exception:  # one server's trouble must not stop the others' reaction
                log.exception("lab listener failed", node=node.name)

    def _react(self, node: Node, listeners: list[Callable[[Node], None]]) -> None:
        self._reactor(node).submit(self._call, node, listeners)
