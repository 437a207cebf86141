"""Database replication of the lab's nodes: per-node state, settling, repair."""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.cucm import texts
from orchestrator.lab.config import FaultKind
from orchestrator.lab.nodes import STARTED, Node
from orchestrator.lab.world_state import WorldState


class Replication(WorldState):
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
