"""Lab clusters for the audit tests, and a way to call the CLI on them."""

from __future__ import annotations

import json
from typing import Any

from typer.testing import CliRunner

from orchestrator.cli import cli
from orchestrator.lab.config import (
    DevicePackSpec,
    FaultKind,
    FaultSpec,
    InstalledOption,
    LabConfig,
    ModelSpec,
    NodeSpec,
    PhoneSpec,
)

PACK = "cmterm-devicepack12.5.1.17123-1.cop.sgn"
PACK_BASE = PACK.removesuffix(".sgn")
NEW_MODEL = "Cisco 8851"
SEED_RELEASE = "9.1.2.10000-28"


def _pack() -> DevicePackSpec:
    return DevicePackSpec(
        file=PACK, version="12.5.1.17123-1", models=[ModelSpec(name=NEW_MODEL, enum=683)]
    )


def _installed(minutes_ago: float = 120) -> list[InstalledOption]:
    return [InstalledOption(file=PACK, installed_minutes_ago=minutes_ago)]


def seed_config() -> LabConfig:
    """The seed's story: pack on both nodes, only the publisher rebooted since."""
    return LabConfig(
        cluster="seed",
        release=SEED_RELEASE,
        profile="fast",
        nodes=[
            NodeSpec(
                name="cucmpub",
                role="publisher",
                tftp=True,
                options=_installed(),
                booted_minutes_ago=60,
            ),
            NodeSpec(name="cucmsub1", options=_installed(), booted_minutes_ago=60 * 24),
        ],
        groups={"G1": ["cucmsub1", "cucmpub"]},
        phones=[PhoneSpec(name="SEP001122334455", model=NEW_MODEL, group="G1")],
        device_packs=[_pack()],
    )


def healthy_config(
    release: str = "12.5.1.14900-63",
    *,
    missing_on: str | None = None,
    replication_stuck_on: str | None = None,
) -> LabConfig:
    """Pack installed long ago on every node (except ``missing_on``), every node since booted."""
    nodes = [
        NodeSpec(name="cucmpub", role="publisher", tftp=True),
        NodeSpec(name="cucmsub1", tftp=True),
        NodeSpec(name="cucmsub2"),
    ]
    for node in nodes:
        node.booted_minutes_ago = 60
        node.options = [] if node.name == missing_on else _installed(60 * 24)
    faults = []
    if replication_stuck_on:
        faults.append(
            FaultSpec(kind=FaultKind.REPLICATION_STUCK, node=replication_stuck_on, state=4)
        )
    return LabConfig(
        cluster="audit",
        release=release,
        profile="fast",
        nodes=nodes,
        groups={"G1": ["cucmsub1", "cucmsub2"], "G2": ["cucmsub2", "cucmsub1", "cucmpub"]},
        phones=[
            PhoneSpec(name="SEP0000000000A1", model=NEW_MODEL, group="G1"),
            PhoneSpec(name="SEP0000000000A2", model=NEW_MODEL, group="G2"),
            PhoneSpec(name="SEP0000000000B1", model="Cisco 7841", group="G1"),
        ],
        device_packs=[_pack()],
        faults=faults,
    )


def devpack(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def audit_json(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["audit", *args, "--json"], catch_exceptions=False)
    assert result.stdout.lstrip().startswith("{"), result.output
    document = json.loads(result.stdout)
    assert document["schema"] == "devpack.result/1" and document["command"] == "audit"
    return result.exit_code, document["audit"]


def codes(result: dict[str, Any], node: str | None = None) -> set[str]:
    return {f["code"] for f in result["findings"] if node is None or f["node"] == node}
