"""Drivers that talk to CUCM nodes: the platform admin CLI over SSH (``drivers.ssh``) and,
from other modules, the SOAP APIs."""
