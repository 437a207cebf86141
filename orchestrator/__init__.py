"""devpack: roll out Cisco CUCM device packs across a cluster, safely and unattended."""

__version__ = "0.1.0"
