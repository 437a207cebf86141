"""Lab configuration (YAML): nodes, releases, groups, TFTP nodes, phones, packs, faults."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from orchestrator.cucm.release import Release
from orchestrator.lab.ssh_algorithms import supported


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class InstalledOption(_Model):
    file: str
    installed_minutes_ago: float = Field(
        60 * 24 * 30, description="when it was installed, relative to lab start"
    )


class SshSpec(_Model):
    """What the node's sshd offers. ``era`` picks the release's set (reference 9.1):
    openssh-5.3 for 10.x/11.x (and older), openssh-7.4 for 12.x, modern after; each list,
    when given, replaces the era's (to model a vendor backport or a hardened node)."""

    era: Literal["auto", "openssh-5.3", "openssh-7.4", "modern"] = "auto"
    version: str | None = Field(None, description="announced after SSH-2.0-")
    host_key_algorithms: list[str] | None = None
    kex: list[str] | None = None
    ciphers: list[str] | None = None
    macs: list[str] | None = None

    @model_validator(mode="after")
    def _known_names(self) -> SshSpec:
        for kind, known in supported().items():
            names = getattr(self, kind)
            if names is not None:
                if not names:
                    raise ValueError(f"ssh.{kind}: give at least one algorithm")
                unknown = sorted(set(names) - known)
                if unknown:
                    raise ValueError(
                        f"ssh.{kind}: the lab cannot offer {', '.join(unknown)} "
                        f"(it can: {', '.join(sorted(known))})"
                    )
        return self


class NodeSpec(_Model):
    name: str
    role: Literal["publisher", "subscriber"] = "subscriber"
    release: str | None = None
    callmanager: bool = True
    tftp: bool = False
    options: list[InstalledOption] = Field(default_factory=list)
    booted_minutes_ago: float = 60 * 24 * 60
    earlier_boots: int = Field(
        24,
        ge=0,
        description="Boot lines before the current one in system-history.log (a node's past; "
        "enough to need more than one `file view` page)",
    )
    auth: Literal["auto", "password", "keyboard-interactive"] = "auto"
    # the node's time zone (IANA); None: the cluster's ``timezone``
    timezone: str | None = None
    disk_active_pct: int = 58
    common_free_mb: int = 20_000
    ntp_synchronised: bool = True
    certificate: Literal["valid", "expired", "other_name"] = Field(
        "valid",
        description="the node's Tomcat certificate: valid, expired, or issued for another "
        "host's name (error paths)",
    )
    ssh: SshSpec = SshSpec()


class ImPresenceSpec(_Model):
    """An IM and Presence node: listed by `show network cluster` (product ``cups``,
    inferred) and AXL's processnode, never given a CUCM device pack. The lab does not
    serve SSH or HTTPS for it."""

    name: str


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


# about 9 months: a finished replication check from before every node's boot
OLD_REPLICATION_CHECK_MINUTES = 270 * 24 * 60.0


class BackupSpec(_Model):
    """The cluster's last DRS backup, as `utils disaster_recovery status backup` tells it
    (layout inferred, reference 9.6)."""

    taken_minutes_ago: float | None = Field(
        12 * 60,
        description="when the last backup ran, relative to lab start; None: never "
        "(drfCliMsg: No backup status available)",
    )
    status: Literal["SUCCESS", "ERROR"] = "SUCCESS"


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
    # after the next boot, ``service`` stays STOPPED with ``reason`` (Component is not
    # running by default; Commanded Out of Service as Cisco TAC saw after reboots)
    SERVICE_DOWN_AFTER_REBOOT = "service_down_after_reboot"


class FaultSpec(_Model):
    kind: FaultKind
    node: str | None = Field(None, description="node name; None means every node")
    count: int | None = Field(None, description="times it fires; None means until cleared")
    service: str | None = None
    state: int | None = Field(None, description="replication state for replication_stuck")
    reason: str | None = Field(
        None,
        description="stop reason for service_down_after_reboot (default: Component is not running)",
    )


class ExtraPrompt(_Model):
    """A yes/no question the lab asks at a point of a dialog (reference 9.5: prompts
    third-party clients met; where each appears is not known, so it is configurable)."""

    at: Literal["wizard_start", "before_download", "before_start_installation", "restart"]
    text: str = "Continue (y/n)?"
    node: str | None = Field(None, description="node name; None means every node")


class Rules(_Model):
    """Behaviour the reference marks as inferred, kept switchable."""

    # Third-party experience (reference 9.5): an install cut off with its SSH session
    # fails and leaves the upgrade framework stuck until reboot. The cautious default.
    install_survives_disconnect: bool = False
    # Whether a finished replication status check is still shown after a node of the
    # cluster went down (inferred either way; field transcripts show checks months old, so
    # most likely it is). True, the default, is the hard case: a table of 2s from before
    # a reboot is shown after it, and only a check started after the restart (the
    # engine's gates start one with `utils dbreplication status`) tells the truth.
    # False: a node going down ends the reuse, the next runtimestate starts a new check.
    replication_check_survives_reboot: bool = True
    session_timeout_applies_to_current: bool = Field(
        False,
        description="`set cli session timeout` also changes sessions already open; off: "
        "only new sessions get the new value (inferred)",
    )
    session_timeout_counts_while_busy: bool = Field(
        True,
        description="the idle timer runs from the last key typed even while a command "
        "(an install) runs (inferred; the cautious case)",
    )
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
    upgrade_warning: Literal["auto", "canceling", "cancelling", "exiting"] = Field(
        "auto",
        description="wording of the wizard's first warning; auto: 12.5+ 'cancelling', older "
        "'exiting the upgrade command' (reference 9.5)",
    )
    restart_banner: Literal["auto", "appliance", "service_manager"] = Field(
        "auto",
        description="what `utils system restart` prints once confirmed; auto: 12.5+ "
        "'Shutting down Service Manager. Please wait...', older 'Appliance is being "
        "Restarted ...' (which release prints which is inferred)",
    )
    extra_prompts: list[ExtraPrompt] = Field(
        default_factory=list,
        description="questions a dialog does not expect, e.g. 'Automatically switch versions "
        "if the upgrade is successful (yes/no):' at before_download",
    )
    file_view_always_pages: bool = Field(
        True,
        description="`file view` pages with its own options: prompt even with CLI "
        "pagination off (reference 9.5, inferred)",
    )


class TlsSpec(_Model):
    """How the nodes' Tomcat certificates are issued (reference 9.2)."""

    issuer: Literal["self_signed", "lab_ca"] = Field(
        "self_signed",
        description="self_signed: each node its own certificate (CUCM's default); lab_ca: "
        "CA-signed certificates listing every node's names (a site that replaced them)",
    )
    ip_san: bool = Field(
        False, description="also put the node's address in its certificate (not normal)"
    )


class Network(_Model):
    """Where the lab listens. By default a random 127.A.B.0/24 block and free ports, so
    labs run side by side; fixed values give an inventory that stays the same across
    starts (the shipped lab example)."""

    block: str | None = Field(None, pattern=r"^127\.\d{1,3}\.\d{1,3}$", description="e.g. 127.20.0")
    ssh_port: int = Field(0, ge=0, le=65535)
    https_port: int = Field(0, ge=0, le=65535)
    sftp_port: int = Field(0, ge=0, le=65535)


class LabConfig(_Model):
    cluster: str = "lab"
    domain: str = "lab.example"
    network: Network = Network()
    release: str = "12.5.1.14900-63"
    # Nodes print history stamps, Control Center StartTime and the DRS backup's date in
    # their own zone (reference 9.6); ``show timezone config`` names it (inferred wording).
    timezone: str = "UTC"
    # Lab only: every clock the nodes print runs this many seconds ahead (negative:
    # behind), so a test can put a DST change in the middle of a run.
    clock_offset_seconds: float = 0.0
    profile: Literal["fast", "demo", "realistic"] = "fast"
    timing: dict[str, float] = Field(default_factory=dict)
    nodes: list[NodeSpec]
    im_presence: list[ImPresenceSpec] = Field(default_factory=list)
    # How the cluster's servers are defined (System > Server): by IP address or by FQDN.
    # AXL's processnode names, the CLI's processnode table and RisPort70's node names
    # all use that one spelling (a real cluster is consistent per definition).
    server_names: Literal["ip", "fqdn"] = "ip"
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
    tls: TlsSpec = TlsSpec()
    faults: list[FaultSpec] = Field(default_factory=list)
    rules: Rules = Rules()
    backup: BackupSpec = BackupSpec()
    # The replication status check runtimestate shows at lab start (inferred): one that
    # finished this many minutes before the lab started (field transcripts show checks
    # months old; OLD_REPLICATION_CHECK_MINUTES is older than every node's boot); None,
    # still the default (audit and lab tests expect it): none ever ran, runtimestate
    # then starts one itself.
    replication_check_minutes_ago: float | None = Field(None, ge=0)

    @field_validator("release")
    @classmethod
    def _release_parses(cls, value: str) -> str:
        Release.parse(value)
        return value

    @model_validator(mode="after")
    def _zones_known(self) -> LabConfig:
        for zone in {self.timezone, *(n.timezone for n in self.nodes if n.timezone)}:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                message = f"{zone!r} is not a known time zone (e.g. Europe/Berlin)"
                raise ValueError(message) from None
        return self

    @model_validator(mode="after")
    def _consistent(self) -> LabConfig:
        names = [n.name for n in self.nodes]
        if len({*names, *(n.name for n in self.im_presence)}) != len(names) + len(self.im_presence):
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

    def fqdn_of(self, node: NodeSpec) -> str:
        return f"{node.name}.{self.domain}"

    def server_name(self, name: str, address: str) -> str:
        """A server's name as the cluster defines it (``server_names``)."""
        return address if self.server_names == "ip" else f"{name}.{self.domain}"

    def timezone_of(self, node: NodeSpec) -> str:
        return node.timezone or self.timezone

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
