"""Faults that describe a standing condition, made true whenever the fault board changes."""

from __future__ import annotations

from orchestrator.lab.config import FaultKind
from orchestrator.lab.nodes import STARTED, STARTING, Node, Service, StaleSession
from orchestrator.lab.replication import Replication


class StandingFaults(Replication):
    # nodes on which each standing fault was in effect when last applied
    _standing: dict[FaultKind, set[str]]

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
