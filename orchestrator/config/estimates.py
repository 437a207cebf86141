"""How long things take, in seconds. Defaults are for a real cluster; the lab overrides."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.config.fields import Seconds


class Estimates(BaseModel):
    """Seconds each kind of step takes; defaults are for a real cluster."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    precheck: Seconds = Field(default=120, description="one node's health checks")
    # Device packs take minutes to tens of minutes, longest on the publisher, which
    # also loads the device XML into the database.
    install_publisher: Seconds = Field(default=2400)
    install_subscriber: Seconds = Field(default=1200)
    verify: Seconds = Field(default=60, description="AXL model checks")
    # SSH answers again 5 to 15 minutes after `utils system restart` ...
    reboot: Seconds = Field(default=900)
    # ... and every service reaches STARTED some minutes later.
    services_back: Seconds = Field(default=600)
    # Cisco: 30 minutes (small cluster) to 2 hours (megacluster).
    replication_settle: Seconds = Field(default=1800)
    # One `utils service restart` (Tomcat is the slow one).
    service_restart: Seconds = Field(default=180)
