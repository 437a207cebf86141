"""Service control on a lab node: `utils service start|stop|restart`."""

from __future__ import annotations

from collections.abc import Callable

from orchestrator.cucm import texts
from orchestrator.lab.nodes import STARTED, STARTING, STOPPED, STOPPING
from orchestrator.lab.world_state import WorldState


class ServiceControl(WorldState):
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
