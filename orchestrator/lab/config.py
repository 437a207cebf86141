"""Lab configuration (YAML): nodes, releases, groups, TFTP nodes, phones, packs, faults."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestrator.cucm.release import Release


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstalledOption(_Model):
    file: str
    installed_minutes_ago: float = Field(
        60 * 24 * 30, description="when it was installed, relative to lab start"
    )


class NodeSpec(_Model):
    name: str
    role: Literal["publisher", "subscriber"] = "subscriber"
    release: str | None = None
    callmanager: bool = True
    tftp: bool = False
    options: list[InstalledOption] = Field(default_factory=list)
    booted_minutes_ago: float = 60 * 24 * 60
    auth: Literal["auto", "password", "keyboard-interactive"] = "auto"
    disk_active_pct: int = 58
    common_free_mb: int = 20_000
    ntp_synchronised: bool = True


class ModelSpec(_Model):
    name: str
    enum: int


class DevicePackSpec(_Model):
    file: str
    version: str
    models: list[ModelSpec]
    size_mb: int = 52


class PhoneSpec(_Model):
    name: str
    model: str
    group: str


class Account(_Model):
    username: str
    password: str


class SftpSpec(_Model):
    username: str = "copuser"
    password: str = "lab-sftp-secret"
    directory: str = "/cop"


class FaultKind(StrEnum):
    SSH_DROP_DURING_INSTALL = "ssh_drop_during_install"
    INSTALL_FAILS = "install_fails"
    NEVER_RETURNS = "never_returns"
    SERVICE_STUCK_STARTING = "service_stuck_starting"
    REPLICATION_STUCK = "replication_stuck"
    AXL_503 = "axl_503"
    AXL_MEMORY = "axl_memory"
    AXL_401 = "axl_401"
    RIS_RATE_LIMIT = "ris_rate_limit"
    DISK_FULL = "disk_full"
    STALE_UPGRADE_WIZARD = "stale_upgrade_wizard"
    HOST_KEY_CHANGED = "host_key_changed"


class FaultSpec(_Model):
    kind: FaultKind
    node: str | None = Field(None, description="node name; None means every node")
    count: int | None = Field(None, description="times it fires; None means until cleared")
    service: str | None = None
    state: int | None = Field(None, description="replication state for replication_stuck")


class Rules(_Model):
    """Behaviour the reference marks as inferred, kept switchable."""

    install_survives_disconnect: bool = True
    subscriber_learns_models_without_restart: bool = Field(
        True,
        description="on 11.5(1)SU5+/12.0(1)SU2+ a subscriber CallManager learns new models "
        "through DB change notification; only the publisher's CallManager needs a restart",
    )
    ris_rate_per_minute: int = 15
    sftp_accepts_new_host_keys: bool = Field(
        True,
        description="a node's wizard fetches from an SFTP server it has never seen "
        "(no host key prompt in any transcript: inferred)",
    )
    pagination_lines: int = 20


class Network(_Model):
    """Where the lab listens. By default a random 127.A.B.0/24 block and free ports, so
    labs run side by side; fixed values give an inventory that stays the same across
    starts (the shipped lab example)."""

    block: str | None = Field(
        None, pattern=r"^127\.\d{1,3}\.\d{1,3}$", description="e.g. 127.20.0"
    )
    ssh_port: int = Field(0, ge=0, le=65535)
    https_port: int = Field(0, ge=0, le=65535)
    sftp_port: int = Field(0, ge=0, le=65535)


class LabConfig(_Model):
    cluster: str = "lab"
    domain: str = "lab.example"
    network: Network = Network()
    release: str = "12.5.1.14900-63"
    profile: Literal["fast", "demo", "realistic"] = "fast"
    timing: dict[str, float] = Field(default_factory=dict)
    nodes: list[NodeSpec]
    groups: dict[str, list[str]] = Field(default_factory=dict)
    phones: list[PhoneSpec] = Field(default_factory=list)
    device_packs: list[DevicePackSpec] = Field(default_factory=list)
    base_models: list[ModelSpec] = Field(
        default_factory=lambda: [
            ModelSpec(name="Cisco 7821", enum=621),
            ModelSpec(name="Cisco 7841", enum=622),
            ModelSpec(name="Cisco 7861", enum=623),
        ]
    )
    admin: Account = Account(username="admin", password="lab-admin-secret")
    application: Account = Account(username="axladmin", password="lab-axl-secret")
    sftp: SftpSpec = SftpSpec()
    faults: list[FaultSpec] = Field(default_factory=list)
    rules: Rules = Rules()

    @field_validator("release")
    @classmethod
    def _release_parses(cls, value: str) -> str:
        Release.parse(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> LabConfig:
        names = [n.name for n in self.nodes]
        if len(set(names)) != len(names):
            raise ValueError("node names must be unique")
        if [n.role for n in self.nodes].count("publisher") != 1:
            raise ValueError("exactly one node must be the publisher")
        for group, members in self.groups.items():
            for member in members:
                if member not in names:
                    raise ValueError(f"group {group}: unknown node {member}")
        for phone in self.phones:
            if phone.group not in self.groups:
                raise ValueError(f"phone {phone.name}: unknown group {phone.group}")
        return self

    def release_of(self, node: NodeSpec) -> str:
        return node.release or self.release

    @classmethod
    def load(cls, path: Path) -> LabConfig:
        """The lab config in ``path``; ConfigError (file, line, field) when it is wrong."""
        from orchestrator.config.loader import load_model

        return load_model(path, cls)


def demo_config(
    release: str = "9.1.2.10000-28", profile: Literal["fast", "demo", "realistic"] = "demo"
) -> LabConfig:
    """Publisher + 3 subscribers, two CallManager groups, a pack adding two models."""
    pack = DevicePackSpec(
        file="cmterm-devicepack12.5.1.17123-1.cop.sgn",
        version="12.5.1.17123-1",
        models=[ModelSpec(name="Cisco 8851", enum=683), ModelSpec(name="Cisco 8865", enum=36670)],
    )
    return LabConfig(
        cluster="demo",
        release=release,
        profile=profile,
        nodes=[
            NodeSpec(name="cucmpub", role="publisher", tftp=True),
            NodeSpec(name="cucmsub1", tftp=True),
            NodeSpec(name="cucmsub2"),
            NodeSpec(name="cucmsub3"),
        ],
        groups={"G1": ["cucmsub1", "cucmsub2"], "G2": ["cucmsub3", "cucmsub2", "cucmpub"]},
        phones=[
            PhoneSpec(name="SEP001122334455", model="Cisco 8851", group="G1"),
            PhoneSpec(name="SEP001122334466", model="Cisco 8865", group="G2"),
            PhoneSpec(name="SEP001122334477", model="Cisco 7841", group="G1"),
        ],
        device_packs=[pack],
    )
