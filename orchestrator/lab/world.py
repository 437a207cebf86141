"""The simulated cluster's state and how it changes over time.

Servers (SSH, HTTPS, SFTP) read and drive this model; the scheduler moves it forward.
All mutation happens under ``World.lock``; ``World.changed`` is notified on every change.
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import paramiko
import structlog

from orchestrator.cucm import texts
from orchestrator.cucm.release import cop_base_name
from orchestrator.lab import phones
from orchestrator.lab.config import DevicePackSpec, FaultKind, LabConfig
from orchestrator.lab.database import ClusterDatabase
from orchestrator.lab.events import EventLog
from orchestrator.lab.faults import FaultBoard
from orchestrator.lab.nodes import (
    BOOT_ORDER,
    PLATFORM_SERVICES,
    STANDING_FAULTS,
    STARTED,
    STARTING,
    STOPPED,
    STOPPING,
    Node,
    Phone,
    Service,
    StaleSession,
    Upgrade,
    initial_node,
    stamp,
)
from orchestrator.lab.replication_check import ReplicationStatusCommand
from orchestrator.lab.scheduler import Scheduler
from orchestrator.lab.timing import Timing, timing_for

log = structlog.get_logger(__name__)


class World:
    def __init__(
        self,
        config: LabConfig,
        addresses: list[str],
        events: EventLog,
        im_addresses: list[str] | None = None,
    ) -> None:
        self.config = config
        self.timing: Timing = timing_for(config.profile, config.timing)
        self.events = events
        self.faults = FaultBoard(config.faults)
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.scheduler = Scheduler()
        self.db = ClusterDatabase()
        self.replication_check = ReplicationStatusCommand(
            self.timing.replication_check_seconds,
            lambda: {n.name: n.replication for n in self.nodes.values()},
            self.timing.replication_check_shown_seconds,
        )
        self.sftp_endpoint: tuple[str, int] | None = None
        # the lab SFTP server's host key, which nodes verify before downloading (runner sets)
        self.sftp_host_key: paramiko.PKey | None = None
        self._down_listeners: list[Callable[[Node], None]] = []
        self._up_listeners: list[Callable[[Node], None]] = []
        # Servers react to a node going down or up (closing sessions, relistening) on a
        # thread of that node's own, in order: the scheduler's single thread must not wait
        # on it, or the nodes of one wave would go down and come back one after another.
        self._reactors: dict[str, ThreadPoolExecutor] = {}
        self.nodes: dict[str, Node] = {}
        now = time.time()
        for spec, address in zip(config.nodes, addresses, strict=True):
            ipaddress.ip_address(address)
            self.nodes[spec.name] = initial_node(
                spec,
                config.release_of(spec),
                address,
                now,
                config.timezone_of(spec),
                config.clock_offset_seconds,
            )
        self.packs: dict[str, DevicePackSpec] = {
            cop_base_name(p.file): p for p in config.device_packs
        }
        self.phones = {p.name: Phone(p.name, p.model, p.group) for p in config.phones}
        minutes = config.backup.taken_minutes_ago
        self.backup_at: float | None = None if minutes is None else now - minutes * 60
        # per (node, service): the number of the latest stop/start/restart command
        self._control_ops: dict[tuple[str, str], int] = {}
        # IM and Presence nodes: (name, address); listed, never simulated
        self.im_presence = [
            (spec.name, address)
            for spec, address in zip(config.im_presence, im_addresses or [], strict=True)
        ]
        self.db.seed(config, list(self.nodes.values()), self.model_enum, self.im_presence)
        for base in self.publisher.options:  # packs installed before the lab started
            if base in self.packs:
                self.db.add_models(self.packs[base].models)
        # nodes on which each standing fault was in effect when last applied
        self._standing: dict[FaultKind, set[str]] = {kind: set() for kind in STANDING_FAULTS}
        with self.lock:
            self._apply_standing_faults()
            self._recompute_phones(emit=False)

    # ----- lookups -------------------------------------------------------------------

    @property
    def publisher(self) -> Node:
        return next(n for n in self.nodes.values() if n.is_publisher)

    def server_name(self, node: Node) -> str:
        """The node's name as the cluster defines it (AXL, CLI processnode, RisPort70)."""
        return self.config.server_name(node.name, node.address)

    def node_by_address(self, address: str) -> Node | None:
        return next((n for n in self.nodes.values() if n.address == address), None)

    def pack_for(self, file_name: str) -> DevicePackSpec | None:
        return self.packs.get(cop_base_name(file_name))

    def model_enum(self, name: str) -> int | None:
        _, rows = self.db.query(f"select enum from typemodel where name = '{name}'")
        if rows:
            return int(rows[0][0])
        for pack in self.packs.values():
            for model in pack.models:
                if model.name == name:
                    return model.enum
        return None

    def history_lines(self, node: Node) -> list[str]:
        return [
            line.replace(" | ", f"{stamp(node, at)} | ", 1) if line.startswith(" |") else line
            for at, line in node.history
        ]

    # ----- listeners -----------------------------------------------------------------

    def on_node_down(self, listener: Callable[[Node], None]) -> None:
        self._down_listeners.append(listener)

    def on_node_up(self, listener: Callable[[Node], None]) -> None:
        self._up_listeners.append(listener)

    def _notify(self) -> None:
        self._recompute_phones()
        self.changed.notify_all()

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    # ----- services ------------------------------------------------------------------

    def _set_service(self, node: Node, name: str, state: str) -> None:
        service = node.services[name]
        if service.state == state:
            return
        service.state = state
        if state == STARTED:
            service.start_time = time.time()
            if service.activated:
                service.reason = ""  # a "down" reason ends when it runs again
        self.events.emit(node.name, "service_state", service=name, state=state)

    def restart_service(self, node_name: str, name: str) -> bool:
        """Cycle STOPPING/STARTING/STARTED; False if the service is not activated."""
        return self._control_service(node_name, name, "restart", [STOPPING, STARTING, STARTED])

    def stop_service(self, node_name: str, name: str) -> bool:
        """STOPPING, then STOPPED; False if the service is not activated."""
        return self._control_service(node_name, name, "stop", [STOPPING, STOPPED])

    def start_service(self, node_name: str, name: str) -> bool:
        """STARTING, then STARTED (unless stuck); False if the service is not activated."""
        return self._control_service(node_name, name, "start", [STARTING, STARTED])

    def _control_service(self, node_name: str, name: str, verb: str, states: list[str]) -> bool:
        """Walk a service through ``states``, one restart step apart; a later command on
        the same service supersedes the steps still due of an earlier one."""
        step = self.timing.service_restart_seconds / 3
        with self.lock:
            node = self.nodes[node_name]
            service = node.services.get(name)
            # A stopped service is "Commanded Out of Service" until started again: it is
            # not down (audits and prechecks skip it) and stays stopped across reboots.
            out_of_service = service is not None and service.reason == texts.REASON_OUT_OF_SERVICE
            startable = service is not None and (
                service.activated or (verb == "start" and out_of_service)
            )
            if not startable or service is None or node.phase != "up":
                return False
            if verb == "stop":
                service.reason = texts.REASON_OUT_OF_SERVICE
            elif verb == "start":
                service.reason = ""
            key = (node.name, name)
            self._control_ops[key] = op = self._control_ops.get(key, 0) + 1
            self.events.emit(node.name, f"service_{verb}_requested", service=name)
            self._set_service(node, name, states[0])
            self._notify()
            boot = node.boot_time
        for index, state in enumerate(states[1:], start=1):
            action = self._service_action(node, boot, name, state)

            def controlled(action: Callable[[], None] = action) -> None:
                with self.lock:
                    if self._control_ops.get(key) == op:
                        action()

            self.scheduler.after(index * step, controlled)
        return True

    def _stuck(self, node: Node, service: str) -> bool:
        fault = self.faults.active(FaultKind.SERVICE_STUCK_STARTING, node.name)
        return fault is not None and (fault.service or texts.SVC_CALLMANAGER) == service

    # ----- installs ------------------------------------------------------------------

    def start_install(self, node_name: str, file_name: str) -> str:
        """Begin installing; returns the upgrade log name. Completion is scheduled."""
        now = time.time()
        log_name = f"install_log_{datetime.fromtimestamp(now, UTC):%Y-%m-%d.%H.%M.%S}.log"
        with self.lock:
            node = self.nodes[node_name]
            node.upgrade = Upgrade("Running", file_name, log_name, None, node.upgrade.source)
            self.events.emit(node.name, "install_started", file=file_name)
            self._notify()
        duration = self.timing.install_seconds
        if node.is_publisher:
            duration *= self.timing.publisher_install_factor
        boot_at_start = node.boot_time
        self.scheduler.after(duration, lambda: self._finish_install(node, file_name, boot_at_start))
        return log_name

    def _finish_install(self, node: Node, file_name: str, boot_at_start: float) -> None:
        with self.lock:
            if node.boot_time != boot_at_start or node.upgrade.status != "Running":
                return  # the node rebooted mid-install
            now = time.time()
            failed = self.faults.fire(FaultKind.INSTALL_FAILS, node.name) is not None
            outcome = "Failure" if failed else "Success"
            node.history.append(
                (now, texts.HISTORY_INSTALL.format(stamp="", file=file_name, outcome=outcome))
            )
            if failed:
                node.upgrade.status = "Failed"
                self.events.emit(node.name, "install_failed", file=file_name)
            else:
                node.upgrade.status = "Completed"
                node.options[cop_base_name(file_name)] = now
                pack = self.pack_for(file_name)
                if pack and node.is_publisher:
                    self.db.add_models(pack.models)
                self.events.emit(node.name, "install_finished", file=file_name)
            self._notify()

    def abort_install(self, node_name: str, file_name: str, reason: str) -> None:
        """An install that dies with its SSH session (rules.install_survives_disconnect off):
        it fails and the upgrade framework stays stuck until the node reboots."""
        with self.lock:
            node = self.nodes[node_name]
            if node.upgrade.status != "Running" or node.upgrade.file != file_name:
                return
            node.upgrade.status = "Failed"
            node.upgrade.stuck = True
            self.events.emit(node.name, "upgrade_framework_stuck", file=file_name)
            line = texts.HISTORY_INSTALL.format(stamp="", file=file_name, outcome="Failure")
            node.history.append((time.time(), line))
            self.events.emit(node.name, "install_failed", file=file_name, reason=reason)
            self._notify()

    # ----- reboot --------------------------------------------------------------------

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

    def _service_action(self, node: Node, boot: float, name: str, state: str) -> Callable[[], None]:
        def action() -> None:
            with self.lock:
                if node.boot_time != boot or node.phase != "up":
                    return
                if state == STARTED and self._stuck(node, name):
                    return
                self._set_service(node, name, state)
                self._notify()

        return action

    def _replication_action(self, node: Node, boot: float, state: int) -> Callable[[], None]:
        def action() -> None:
            with self.lock:
                if node.boot_time != boot or node.phase != "up":
                    return
                stuck = self.faults.active(FaultKind.REPLICATION_STUCK, node.name)
                target = (stuck.state or 3) if (stuck and state == 2) else state
                self._set_replication(node, target)
                self._notify()

        return action

    def _set_replication(self, node: Node, state: int) -> None:
        if node.replication != state:
            node.replication = state
            self.events.emit(node.name, "replication_state", state=state)

    def repair_replication(self, reset: bool = False) -> None:
        """`utils dbreplication repair all` (or `reset all`, which first drops every node to
        0): nodes not at 2 settle back to 2 after the settle time, unless a
        replication_stuck fault still holds them."""
        settle = self.timing.replication_settle_seconds
        with self.lock:
            self.events.emit(self.publisher.name, "replication_repair", reset=reset)
            for node in self.nodes.values():
                if not self._replicating(node):
                    continue  # a node that is down or booting settles with its boot
                boot = node.boot_time
                if reset:
                    self._set_replication(node, 0)
                    self.scheduler.after(settle / 2, self._replication_action(node, boot, 1))
                    self.scheduler.after(settle, self._replication_action(node, boot, 2))
                elif node.replication != 2:
                    self.scheduler.after(settle, self._replication_action(node, boot, 2))
            self._notify()

    def _replicating(self, node: Node) -> bool:
        replicator = node.services.get(texts.SVC_DB_REPLICATOR)
        return node.phase == "up" and replicator is not None and replicator.state == STARTED

    # ----- faults that describe a standing condition ---------------------------------

    def apply_standing_faults(self) -> None:
        """Make the fault board's standing conditions true now (call after changing it).

        - stale_upgrade_wizard: switched on, the node's wizard gets an owner that went away
          without cancelling (unless a session holds it); switched off, that owner goes.
          `utils system upgrade cancel` or a reboot clears it while the fault stays on.
        - replication_stuck: while on, the node's replication state is held at the fault's
          state; switched off, replication settles back to 2 after the settle time.
        - service_stuck_starting: while on, the service stays STARTING (boot, start or
          restart); switched off, a service left STARTING reaches STARTED after
          service_starting_seconds.
        - the other faults are looked up when they would strike (disk_full when the wizard
          checks space, axl_*/ris_* per request, ...), so they need nothing here.
        """
        with self.lock:
            self._apply_standing_faults()
            self._notify()

    def _apply_standing_faults(self) -> None:
        for node in self.nodes.values():
            self._apply_stale_wizard(node)
            self._apply_replication_stuck(node)
            self._apply_stuck_starting(node)

    def _switched(self, kind: FaultKind, node: Node) -> tuple[bool, bool]:
        """(on now, was on when last applied) for a standing fault on a node."""
        standing = self._standing[kind]
        now = self.faults.active(kind, node.name) is not None
        before = node.name in standing
        if now:
            standing.add(node.name)
        else:
            standing.discard(node.name)
        return now, before

    def _apply_stale_wizard(self, node: Node) -> None:
        now, before = self._switched(FaultKind.STALE_UPGRADE_WIZARD, node)
        if now and not before and node.upgrade.owner is None and node.ssh_up:
            node.upgrade.owner = StaleSession(node.name)
        elif before and not now and isinstance(node.upgrade.owner, StaleSession):
            node.upgrade.owner = None

    def _apply_replication_stuck(self, node: Node) -> None:
        now, before = self._switched(FaultKind.REPLICATION_STUCK, node)
        stuck = self.faults.active(FaultKind.REPLICATION_STUCK, node.name)
        if stuck is not None and node.phase == "up":
            self._set_replication(node, stuck.state or 3)
        elif before and not now and self._replicating(node) and node.replication != 2:
            settle = self.timing.replication_settle_seconds
            self.scheduler.after(settle, self._replication_action(node, node.boot_time, 2))

    def _apply_stuck_starting(self, node: Node) -> None:
        _, before = self._switched(FaultKind.SERVICE_STUCK_STARTING, node)
        if not before or node.phase != "up":
            return
        # Lifted, or moved to another service: what it held finishes starting. A service
        # still on its way up anyway is STARTED by its own schedule no later than this.
        boot = node.boot_time
        for name, service in node.services.items():
            if service.state != STARTING or self._stuck(node, name):
                continue

            def started(name: str = name, service: Service = service) -> None:
                with self.lock:
                    if node.boot_time != boot or node.phase != "up" or service.state != STARTING:
                        return  # rebooted, or stopped/started by hand meanwhile
                    if not self._stuck(node, name):
                        self._set_service(node, name, STARTED)
                        self._notify()

            self.scheduler.after(self.timing.service_starting_seconds, started)

    # ----- what CallManager knows, and the phones ------------------------------------

    def cm_knows(self, node: Node, model: str) -> bool:
        """Whether this node's running CallManager accepts registrations of ``model``."""
        return phones.cm_knows(self, node, model)

    def _recompute_phones(self, emit: bool = True) -> None:
        phones.recompute(self, emit)

    def close(self) -> None:
        self.scheduler.stop()
        for reactor in self._reactors.values():
            reactor.shutdown(wait=True)
