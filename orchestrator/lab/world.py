"""The simulated cluster: its state (world_state) and how it changes over time.

Servers (SSH, HTTPS, SFTP) read and drive this model; the scheduler moves it forward.
All mutation happens under ``World.lock``; ``World.changed`` is notified on every change.
"""

from __future__ import annotations

from orchestrator.lab.config import LabConfig
from orchestrator.lab.events import EventLog
from orchestrator.lab.installs import Installs
from orchestrator.lab.nodes import STANDING_FAULTS
from orchestrator.lab.reboots import Reboots
from orchestrator.lab.service_control import ServiceControl
from orchestrator.lab.standing_faults import StandingFaults


class World(ServiceControl, Installs, Reboots, StandingFaults):
    def __init__(
        self,
        config: LabConfig,
        addresses: list[str],
        events: EventLog,
        im_addresses: list[str] | None = None,
    ) -> None:
        super().__init__(config, addresses, events, im_addresses)
        self._standing = {kind: set() for kind in STANDING_FAULTS}
        with self.lock:
            self._apply_standing_faults()
            self._recompute_phones(emit=False)
