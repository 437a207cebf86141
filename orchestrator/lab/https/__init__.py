"""The lab's HTTPS side: one Tomcat-like server per node (AXL, Control Center, RisPort70)."""

from orchestrator.lab.https.server import (
    AXL_PATH,
    CONTROL_CENTER_PATH,
    RIS_PATH,
    NodeHttpsServer,
)

__all__ = ["AXL_PATH", "CONTROL_CENTER_PATH", "RIS_PATH", "NodeHttpsServer"]
