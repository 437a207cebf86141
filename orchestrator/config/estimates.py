"""How long things take, in seconds. Defaults are for a real cluster; the lab overrides."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Estimates(BaseModel):
    """Seconds each kind of step takes; defaults are for a real cluster."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    precheck: int = Field(default=120, ge=0, description="one node's health checks")
    # Device packs take minutes to tens of minutes, longest on the publisher, which
    # also loads the device XML into the database.
    install_publisher: int = Field(default=2400, ge=0)
    install_subscriber: int = Field(default=1200, ge=0)
    verify: int = Field(default=60, ge=0, description="AXL model checks")
    # SSH answers again 5 to 15 minutes after `utils system restart` ...
    reboot: int = Field(default=900, ge=0)
    # ... and every service reaches STARTED some minutes later.
    services_back: int = Field(default=600, ge=0)
    # Cisco: 30 minutes (small cluster) to 2 hours (megacluster).
    replication_settle: int = Field(default=1800, ge=0)
    # One `utils service restart` (Tomcat is the slow one).
    service_restart: int = Field(default=180, ge=0)
