"""What one simulated node is: its services, upgrade wizard, options and host key."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import paramiko

from orchestrator.cucm import texts
from orchestrator.cucm.release import Release, cop_base_name
from orchestrator.lab.config import FaultKind, NodeSpec
from orchestrator.lab.ssh_algorithms import AlgorithmSet, new_host_key, offer_for

# After boot, services come up in this order (reference section 5, inferred).
BOOT_ORDER = [
    texts.SVC_DB,
    texts.SVC_DB_REPLICATOR,
    texts.SVC_DBL_MONITOR,
    texts.SVC_TOMCAT,
    texts.SVC_AXL,
    texts.SVC_RIS,
    texts.SVC_CALLMANAGER,
    texts.SVC_TFTP,
    texts.SVC_CTIMANAGER,
]
PLATFORM_SERVICES = ["System SSH", "Cluster Manager", "Service Manager"]
STARTED, STOPPED, STARTING, STOPPING = "STARTED", "STOPPED", "STARTING", "STOPPING"
# The lab's own list (its ground truth does not ask the product's rule, cucm.services).
DELIBERATE = (texts.REASON_NOT_ACTIVATED, texts.REASON_OUT_OF_SERVICE)


@dataclass
class Service:
    name: str
    state: str
    # "Service Not Activated" / "Commanded Out of Service" (deliberate), or a reason it is
    # down such as "Component is not running" (reference 9.3)
    reason: str = ""
    start_time: float | None = None

    @property
    def activated(self) -> bool:
        """Meant to run: its reason (if any) is not one of the two deliberate ones."""
        return self.reason not in DELIBERATE


@dataclass
class Upgrade:
    """The node's upgrade framework (one wizard per node)."""

    status: str = "Idle"  # Idle | Running | Completed | Failed | Canceled
    file: str | None = None
    log: str | None = None
    owner: object | None = None  # the session configuring the wizard
    # source remembered by the publisher for "Use download credentials from Publisher"
    source: dict[str, str] | None = None
    # an install cut off with its session left the framework stuck until reboot
    # (reference 9.5): initiate says an upgrade is in progress, cancel cannot cancel
    stuck: bool = False


@dataclass
class Phone:
    name: str
    model: str
    group: str
    status: str = "UnRegistered"
    node: str | None = None
    reason: str = ""


@dataclass
class Node:
    spec: NodeSpec
    address: str
    release: Release
    release_text: str
    host_key: paramiko.PKey
    services: dict[str, Service] = field(default_factory=dict)
    options: dict[str, float] = field(default_factory=dict)  # base name -> install time
    history: list[tuple[float, str]] = field(default_factory=list)
    phase: str = "up"  # up | shutting_down | down
    boot_time: float = 0.0
    replication: int = 2
    upgrade: Upgrade = field(default_factory=Upgrade)
    common_free_mb: int = 20_000
    cli_session_timeout_minutes: int = 30  # `set cli session timeout` (reference 1)
    timezone: str = "UTC"  # IANA name: the node prints its stamps in this zone
    clock_offset: float = 0.0  # lab only: the node's clock runs this far ahead

    def clock(self, epoch: float) -> datetime:
        """What the node's clock read at ``epoch`` (aware, in its zone)."""
        return datetime.fromtimestamp(epoch + self.clock_offset, ZoneInfo(self.timezone))

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def is_publisher(self) -> bool:
        return self.spec.role == "publisher"

    @property
    def ssh_up(self) -> bool:
        return self.phase != "down"

    @property
    def ssh_offer(self) -> AlgorithmSet:
        return ssh_offer(self.spec, self.release)

    def new_host_key(self) -> paramiko.PKey:
        """A fresh key of the type this node's sshd uses (at creation and on re-key)."""
        return new_host_key(self.ssh_offer.host_key)

    @property
    def auth_methods(self) -> list[str]:
        if self.spec.auth != "auto":
            return [self.spec.auth]
        # CUCM 15 offers only keyboard-interactive (reference section 1)
        if self.release.major >= 15:
            return ["keyboard-interactive"]
        return ["password", "keyboard-interactive"]


# Faults that describe a condition which holds while they are on (World.apply_standing_faults).
STANDING_FAULTS = (
    FaultKind.STALE_UPGRADE_WIZARD,
    FaultKind.REPLICATION_STUCK,
    FaultKind.SERVICE_STUCK_STARTING,
)


@dataclass(frozen=True)
class StaleSession:
    """The wizard owner left by a session that went away without cancelling."""

    node: str


def stamp(node: Node, epoch: float) -> str:
    """A system-history stamp: the node's local time, without a zone (reference 9.6)."""
    return node.clock(epoch).strftime(texts.HISTORY_STAMP_FORMAT)


def ssh_offer(spec: NodeSpec, release: Release) -> AlgorithmSet:
    """What the node's sshd announces and offers: its release's era, or the config's."""
    ssh = spec.ssh
    return offer_for(
        release,
        ssh.era,
        version=ssh.version,
        host_key_algorithms=ssh.host_key_algorithms,
        kex=ssh.kex,
        ciphers=ssh.ciphers,
        macs=ssh.macs,
    )


def activated(spec: NodeSpec, service: str) -> bool:
    """Which services run on a node: CallManager/CTI and TFTP per its spec, AXL on the
    publisher only, the rest everywhere."""
    if service in (texts.SVC_CALLMANAGER, texts.SVC_CTIMANAGER):
        return spec.callmanager
    if service == texts.SVC_TFTP:
        return spec.tftp
    if service == texts.SVC_AXL:
        return spec.role == "publisher"
    return True


def boot_sequence(spec: NodeSpec) -> list[str]:
    """The services a node with this spec starts after a boot, in the order it starts them
    (BOOT_ORDER less what is not activated there). The world's boot schedule follows it
    unless a service was since commanded out of service; the benchmark's lower bound
    derives a reboot's length from it."""
    return [name for name in BOOT_ORDER if activated(spec, name)]


def initial_node(
    spec: NodeSpec,
    release: str,
    address: str,
    now: float,
    timezone: str = "UTC",
    clock_offset: float = 0.0,
) -> Node:
    """A node as the lab finds it at start: booted, options installed, services up."""
    node = Node(
        spec=spec,
        address=address,
        release=Release.parse(release),
        release_text=release,
        host_key=new_host_key(ssh_offer(spec, Release.parse(release)).host_key),
        common_free_mb=spec.common_free_mb,
        timezone=timezone,
        clock_offset=clock_offset,
    )
    node.boot_time = now - spec.booted_minutes_ago * 60
    node.history.append((node.boot_time, texts.HISTORY_BOOT.format(stamp="", version=release)))
    for weeks in range(spec.earlier_boots):  # a week apart, before the current boot
        at = node.boot_time - (weeks + 1) * 7 * 86400
        node.history.append((at, texts.HISTORY_BOOT.format(stamp="", version=release)))
    for option in spec.options:
        at = now - option.installed_minutes_ago * 60
        node.options[cop_base_name(option.file)] = at
        node.history.append(
            (at, texts.HISTORY_INSTALL.format(stamp="", file=option.file, outcome="Success"))
        )
    node.history.sort()
    for name in PLATFORM_SERVICES:
        node.services[name] = Service(name, STARTED, start_time=node.boot_time)
    for index, name in enumerate(BOOT_ORDER):
        reason = "" if activated(spec, name) else texts.REASON_NOT_ACTIVATED
        started = node.boot_time + 5 + index
        node.services[name] = Service(
            name, STOPPED if reason else STARTED, reason, None if reason else started
        )
    node.services["Cisco CAR DB"] = Service("Cisco CAR DB", STOPPED, texts.REASON_OUT_OF_SERVICE)
    node.services["Cisco DirSync"] = Service("Cisco DirSync", STOPPED, texts.REASON_NOT_ACTIVATED)
    return node
