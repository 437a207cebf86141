"""COP installs on a lab node: started by the wizard, finished (or failed) by the scheduler."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from orchestrator.cucm import texts
from orchestrator.cucm.release import cop_base_name
from orchestrator.lab.config import FaultKind
from orchestrator.lab.nodes import Node, Upgrade
from orchestrator.lab.world_state import WorldState


class Installs(WorldState):
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
