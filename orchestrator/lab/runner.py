"""Start and stop a whole lab cluster: SFTP source, per-node SSH and HTTPS servers.

Writes what a user of the orchestrator needs beside the inventory: known_hosts, the TLS
trust bundle (the lab CA, or each node's pinned self-signed certificate) and each node's
``tls_name``, password files (mode 0600) referenced as ``file:`` and a playbook for the lab's
device pack.
"""

from __future__ import annotations

import hashlib
import math
import os
import random
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml import YAML

from orchestrator.cucm.release import cop_base_name
from orchestrator.lab.addresses import allocate_block, fixed_block
from orchestrator.lab.certs import LabCA
from orchestrator.lab.config import LabConfig
from orchestrator.lab.events import EventLog
from orchestrator.lab.https.fleet import HttpsFleet
from orchestrator.lab.nodes import BOOT_ORDER
from orchestrator.lab.sftp_server import SftpServer
from orchestrator.lab.ssh_server import NodeSshServer
from orchestrator.lab.timing import timing_for
from orchestrator.lab.world import World

COP_CONTENT_BYTES = 256 * 1024


@dataclass(frozen=True)
class NodeEndpoint:
    name: str
    address: str
    ssh_port: int
    https_port: int


def cop_content(file_name: str) -> bytes:
    """Deterministic bytes for a lab COP file, so its MD5 is stable across runs."""
    return random.Random(file_name).randbytes(COP_CONTENT_BYTES)


class Lab:
    """A running lab cluster; use as a context manager."""

    def __init__(self, config: LabConfig, workdir: Path, events_path: Path | None = None) -> None:
        self.config = config
        self.workdir = workdir
        self.events = EventLog(events_path)
        self.world: World | None = None
        self.endpoints: dict[str, NodeEndpoint] = {}
        self.sftp_address = ""
        self.sftp_port = 0
        self.cop_dir = workdir / "sftp" / config.sftp.directory.strip("/")
        self._ssh: list[NodeSshServer] = []
        self._https: HttpsFleet | None = None
        self._sftp: SftpServer | None = None
        self.ca: LabCA | None = None

    # ----- lifecycle -----------------------------------------------------------------

    def start(self) -> Lab:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._write_cop_files()
        network = self.config.network
        count = len(self.config.nodes)
        total = count + len(self.config.im_presence)
        self.sftp_address, addresses = (
            fixed_block(network.block, total) if network.block else allocate_block(total)
        )
        addresses, im_addresses = addresses[:count], addresses[count:]
        self._sftp = SftpServer(
            self.workdir / "sftp",
            self.sftp_address,
            self.config.sftp.username,
            self.config.sftp.password,
            network.sftp_port,
        )
        self.sftp_port = self._sftp.start()
        world = World(self.config, addresses, self.events, im_addresses)
        world.sftp_endpoint = (self.sftp_address, self.sftp_port)
        world.sftp_host_key = self._sftp.host_key
        self.world = world
        self.ca = LabCA.create(self.workdir / "pki")
        try:
            self._https = HttpsFleet.start(
                world, self.ca, {name: network.https_port for name in world.nodes}
            )
            for node in world.nodes.values():
                ssh = NodeSshServer(world, node.name, network.ssh_port)
                self._ssh.append(ssh)
                self.endpoints[node.name] = NodeEndpoint(
                    node.name, node.address, ssh.start(), self._https.port(node.name)
                )
        except Exception:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        for server in self._ssh:
            server.stop()
        self._ssh.clear()
        if self._https:
            self._https.stop()
            self._https = None
        if self._sftp:
            self._sftp.stop()
            self._sftp = None
        if self.world:
            self.world.close()
        self.events.close()

    def __enter__(self) -> Lab:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ----- what the orchestrator is given --------------------------------------------

    def _write_cop_files(self) -> None:
        self.cop_dir.mkdir(parents=True, exist_ok=True)
        for pack in self.config.device_packs:
            (self.cop_dir / pack.file).write_bytes(cop_content(pack.file))

    def cop_md5(self, file_name: str) -> str:
        return hashlib.md5(cop_content(file_name)).hexdigest()

    def cop_sha512(self, file_name: str) -> str:
        return hashlib.sha512(cop_content(file_name)).hexdigest()

    def pacing(self) -> dict[str, dict[str, float | int]]:
        return lab_pacing(self.config)

    def trust_pem(self) -> bytes:
        """The PEM a client trusts these nodes' HTTPS with (what `devpack trust` writes)."""
        assert self._https is not None
        return self._https.trust_pem()

    def certificate_path(self, node_name: str) -> Path:
        """The node's certificate as issued (leaf first): the lab's ground truth."""
        assert self._https is not None
        return self._https.certificates[node_name]

    def write_known_hosts(self, path: Path) -> Path:
        assert self.world is not None
        lines = []
        for node in self.world.nodes.values():
            port = self.endpoints[node.name].ssh_port
            host = node.address if port == 22 else f"[{node.address}]:{port}"
            key = node.host_key
            lines.append(f"{host} {key.get_name()} {key.get_base64()}")
        if self._sftp is not None:
            # devpack's source precheck logs in to the SFTP server too (host key checked)
            sftp = self._sftp
            host = sftp.address if sftp.port == 22 else f"[{sftp.address}]:{sftp.port}"
            key = sftp.host_key
            lines.append(f"{host} {key.get_name()} {key.get_base64()}")
        path.write_text("\n".join(lines) + "\n")
        return path

    def _secret_file(self, directory: Path, name: str, value: str) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / name
        path.write_text(value + "\n")
        os.chmod(path, 0o600)
        return path

    def write_inventory(self, path: Path) -> Path:
        """Inventory + known_hosts + CA bundle + password files beside it."""
        assert self.world is not None and self.ca is not None
        folder = path.parent
        folder.mkdir(parents=True, exist_ok=True)
        stem = path.name.split(".")[0]
        known_hosts = self.write_known_hosts(folder / f"{stem}.known_hosts")
        bundle = folder / f"{stem}.ca.pem"
        bundle.write_bytes(self.trust_pem())
        secrets = folder / f"{stem}.secrets"
        platform_pw = self._secret_file(secrets, "platform", self.config.admin.password)
        app_pw = self._secret_file(secrets, "application", self.config.application.password)
        nodes = []
        for node in self.world.nodes.values():
            endpoint = self.endpoints[node.name]
            nodes.append(
                {
                    "name": node.name,
                    "address": node.address,
                    "tls_name": self.config.fqdn_of(node.spec),
                    "ssh_port": endpoint.ssh_port,
                    "https_port": endpoint.https_port,
                    "role": node.spec.role,
                    "callmanager": node.spec.callmanager,
                    "tftp": node.spec.tftp,
                }
            )
        document = {
            "cluster": self.config.cluster,
            "nodes": nodes,
            "callmanager_groups": {g: list(m) for g, m in self.config.groups.items()},
            "credentials": {
                "platform": {
                    "username": self.config.admin.username,
                    "password": f"file:{platform_pw.relative_to(folder)}",
                },
                "application": {
                    "username": self.config.application.username,
                    "password": f"file:{app_pw.relative_to(folder)}",
                },
            },
            "known_hosts": known_hosts.name,
            "ca_bundle": bundle.name,
            # the lab's SFTP server is not on port 22: the playbook's port is a lab-only
            # override, allowed only because this says the cluster is the lab
            "lab": True,
        }
        _dump_yaml(document, path, header=f"Inventory of lab cluster {self.config.cluster}")
        return path

    def write_playbook(self, path: Path, file_name: str | None = None) -> Path:
        """A playbook that installs the lab's (first) device pack from the lab SFTP server."""
        pack = next(
            p
            for p in self.config.device_packs
            if file_name is None or cop_base_name(p.file) == cop_base_name(file_name)
        )
        folder = path.parent
        stem = path.name.split(".")[0]
        sftp_pw = self._secret_file(folder / f"{stem}.secrets", "sftp", self.config.sftp.password)
        document = {
            "cop": {"file": pack.file, "md5": self.cop_md5(pack.file), "size_mb": pack.size_mb},
            "sftp": {
                "host": self.sftp_address,
                "port": self.sftp_port,
                "directory": self.config.sftp.directory,
                "username": self.config.sftp.username,
                "password": f"file:{sftp_pw.relative_to(folder)}",
            },
            "models": [m.name for m in pack.models],
            "restart": {"strategy": "auto"},
            **self.pacing(),
        }
        _dump_yaml(document, path, header=f"Playbook for lab device pack {pack.file}")
        return path


@dataclass
class LabCluster:
    """A started lab plus the inventory and playbook written for it."""

    lab: Lab
    inventory: Path
    playbook: Path
    folder: Path

    @property
    def world(self) -> World:
        assert self.lab.world is not None
        return self.lab.world


def start_lab_cluster(config: LabConfig, folder: Path) -> LabCluster:
    lab = Lab(config, folder / "lab", events_path=folder / "events.jsonl").start()
    try:
        inventory = lab.write_inventory(folder / "inventory" / "lab.yml")
        playbook = lab.write_playbook(folder / "playbooks" / "lab.yml")
    except Exception:
        lab.stop()
        raise
    return LabCluster(lab, inventory, playbook, folder)


CHECK_COMMANDS = 6  # commands of one node's precheck or verify (version, services, ...)


def _seconds(value: float) -> int:
    return max(1, math.ceil(value))


def _estimate(value: float) -> float:
    """Exact, not rounded up, for the phases whose polling waits for a share of their
    estimate (engine/waits.py): a 1 s estimate of a 0.3 s reboot would make it late."""
    return round(value, 3)


def lab_pacing(config: LabConfig) -> dict[str, dict[str, float | int]]:
    """Playbook sections that fit the lab's timing profile: estimates, timeouts, polling."""
    t = timing_for(config.profile, config.timing)
    services_back = len(BOOT_ORDER) * t.service_step_seconds + t.service_starting_seconds
    reboot = t.shutdown_seconds + t.reboot_down_seconds
    # a check logs in (or reuses the session) and runs a handful of commands
    check = t.login_delay + CHECK_COMMANDS * t.command_delay
    return {
        "estimates": {
            "precheck": _seconds(check),
            "install_publisher": _seconds(t.install_seconds * t.publisher_install_factor),
            "install_subscriber": _seconds(t.install_seconds),
            "verify": _seconds(check),
            "reboot": _estimate(reboot),
            "services_back": _seconds(services_back),
            "replication_settle": _estimate(t.replication_settle_seconds),
            "service_restart": _seconds(t.service_restart_seconds),
        },
        "timeouts": {
            "install": _seconds(20 * t.install_seconds * t.publisher_install_factor + 10),
            "reboot": _seconds(10 * reboot + 10),
            "services": _seconds(10 * services_back + 10),
            "replication": _seconds(10 * t.replication_settle_seconds + 10),
        },
        "gates": {"replication": True, "settle_seconds": 0},
        "polling": {
            "first": min(0.05, t.service_step_seconds),
            "max": max(0.1, t.service_step_seconds * 2),
        },
    }


def _dump_yaml(document: dict, path: Path, header: str) -> None:
    yaml = YAML()
    yaml.default_flow_style = False
    with path.open("w") as handle:
        handle.write(f"# {header} (written by `devpack lab up`)\n")
        yaml.dump(document, handle)
