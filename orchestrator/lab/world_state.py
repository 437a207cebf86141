"""The simulated cluster's state, its lookups and the primitives every change uses.

Servers (SSH, HTTPS, SFTP) read and drive this model; the scheduler moves it forward.
All mutation happens under ``lock``; ``changed`` is notified on every change. What
changes the state over time lives in the mixins ``World`` is made of (service_control,
installs, reboots, replication, standing_faults).
"""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import paramiko

from orchestrator.cucm import texts
from orchestrator.cucm.release import cop_base_name
from orchestrator.lab import phones
from orchestrator.lab.config import DevicePackSpec, FaultKind, LabConfig
from orchestrator.lab.database import ClusterDatabase
from orchestrator.lab.events import EventLog
from orchestrator.lab.faults import FaultBoard
from orchestrator.lab.nodes import STARTED, Node, Phone, initial_node, stamp
from orchestrator.lab.replication_check import ReplicationStatusCommand
from orchestrator.lab.scheduler import Scheduler
from orchestrator.lab.timing import Timing, timing_for


class WorldState:
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
        if config.replication_check_minutes_ago is not None:  # an old finished check
            self.replication_check.seed(now - config.replication_check_minutes_ago * 60)
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

    def _stuck(self, node: Node, service: str) -> bool:
        fault = self.faults.active(FaultKind.SERVICE_STUCK_STARTING, node.name)
        return fault is not None and (fault.service or texts.SVC_CALLMANAGER) == service

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
