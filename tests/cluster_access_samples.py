"""A ClusterAccess for message tests: a one-node inventory with resolved secrets, and
nothing listening (the tests judge what devpack says, not what a node does)."""

from __future__ import annotations

from pathlib import Path

from orchestrator.access import ClusterAccess
from orchestrator.config.inventory import Inventory
from orchestrator.config.secrets import Secret

PASSWORD = "s3cret-not-printed"


def access(tmp_path: Path) -> ClusterAccess:
    inventory = Inventory.model_validate(
        {
            "cluster": "lab",
            "nodes": [
                {
                    "name": "cucmpub",
                    "address": "127.1.2.10",
                    "ssh_port": 38759,
                    "role": "publisher",
                },
                {"name": "cucmsub1", "address": "127.1.2.11", "ssh_port": 36521},
            ],
            "credentials": {
                "platform": {"username": "admin", "password": "file:lab.secrets/platform"},
                "application": {"username": "axladmin", "password": "env:LAB_AXL"},
            },
        },
        context={"base_dir": tmp_path},
    )
    return ClusterAccess(
        inventory_path=tmp_path / "lab.yml",
        inventory=inventory,
        platform_password=Secret(PASSWORD),
        application_password=Secret(PASSWORD),
        known_hosts=tmp_path / "lab.known_hosts",
        ca_bundle=None,
    )
