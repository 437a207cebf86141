"""Loading and validating user input: inventories, playbooks and credential references."""

from orchestrator.config.errors import ConfigError, Invalid
from orchestrator.config.estimates import Estimates
from orchestrator.config.inventory import Credentials, Inventory, Login, Node, Role
from orchestrator.config.loader import load_inventory, load_model, load_playbook
from orchestrator.config.playbook import (
    Cop,
    Gates,
    Playbook,
    Polling,
    Restart,
    Sftp,
    Strategy,
    Timeouts,
    Waves,
    Window,
)
from orchestrator.config.secrets import Secret, SecretError, SecretKind, SecretRef

__all__ = [
    "ConfigError",
    "Cop",
    "Credentials",
    "Estimates",
    "Gates",
    "Invalid",
    "Inventory",
    "Login",
    "Node",
    "Playbook",
    "Polling",
    "Restart",
    "Role",
    "Secret",
    "SecretError",
    "SecretKind",
    "SecretRef",
    "Sftp",
    "Strategy",
    "Timeouts",
    "Waves",
    "Window",
    "load_inventory",
    "load_model",
    "load_playbook",
]
