"""Shared fixtures for the lab's SSH/SFTP tests: a small real-socket lab, a CLI client."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
import pytest

from orchestrator.drivers.ssh.algorithms import NegotiatingTransport
from orchestrator.lab.addresses import allocate_block
from orchestrator.lab.config import DevicePackSpec, FaultSpec, LabConfig, ModelSpec, NodeSpec
from orchestrator.lab.events import EventLog
from orchestrator.lab.sftp_server import SftpServer
from orchestrator.lab.ssh_server import NodeSshServer
from orchestrator.lab.world import World

PACK = "cmterm-devicepack12.5.1.17123-1.cop.sgn"
PROMPT = re.compile(r"(?:^|[\r\n]|\x1b\[K)admin:\s*$")
FILE_VIEW_PAGER = re.compile(r"\(lines \d+ - (\d+) of (\d+)\) :$")


@dataclass
class LabHandle:
    world: World
    sftp: SftpServer
    ssh: dict[str, NodeSshServer]
    cop_dir: Path
    clients: list[Cli] = field(default_factory=list)

    def port(self, node: str) -> int:
        return self.ssh[node].port

    def cli(self, node: str, **kwargs: object) -> Cli:
        client = Cli.open(self, node, **kwargs)  # type: ignore[arg-type]
        self.clients.append(client)
        return client

    def login(self, node: str = "cucmpub") -> Cli:
        """A logged-in session with pagination off, at the prompt."""
        cli = self.cli(node)
        cli.prompt()
        assert "Automatic pagination is turned off" in cli.run("set cli pagination off")
        return cli


class Cli:
    """A paramiko PTY session that reads until patterns, as a driver would."""

    def __init__(self, client: paramiko.SSHClient, channel: paramiko.Channel) -> None:
        self.client = client
        self.channel = channel
        self.buffer = ""
        self._pos = 0

    @classmethod
    def open(
        cls,
        lab: LabHandle,
        node: str,
        password: str | None = None,
        key: paramiko.PKey | None = None,
    ) -> Cli:
        world = lab.world
        address = world.nodes[node].address
        client = paramiko.SSHClient()
        known = key or world.nodes[node].host_key
        client.get_host_keys().add(f"[{address}]:{lab.port(node)}", known.get_name(), known)
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        client.connect(
            address,
            lab.port(node),
            username=world.config.admin.username,
            password=password or world.config.admin.password,
            look_for_keys=False,
            allow_agent=False,
            timeout=5,
            # the lab's 11.5 nodes offer only ssh-rsa (SHA-1) host keys, as real ones do
            transport_factory=NegotiatingTransport,
        )
        channel = client.invoke_shell(width=200)
        channel.settimeout(0.1)
        return cls(client, channel)

    def read_until(self, pattern: str | re.Pattern[str], timeout: float = 5.0) -> str:
        """Text from the last match up to and including ``pattern``'s next match."""
        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.buffer, self._pos)
            if match:
                text = self.buffer[self._pos : match.end()]
                self._pos = match.end()
                return text
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{regex.pattern!r} not seen; got {self.buffer[self._pos :]!r}"
                )
            try:
                data = self.channel.recv(65536)
            except TimeoutError:
                continue
            if not data:
                raise EOFError(f"channel closed; got {self.buffer[self._pos :]!r}")
            self.buffer += data.decode()

    def prompt(self, timeout: float = 5.0) -> str:
        return self.read_until(PROMPT, timeout)

    def send(self, text: str) -> None:
        self.channel.sendall(text.encode())

    def run(self, command: str, timeout: float = 5.0) -> str:
        """Send a command after the prompt; its output (echo removed) up to the next
        prompt. ``file view`` pages (even with pagination off) are walked with n / q."""
        self.send(command + "\r")
        out = ""
        while True:
            out += self.read_until(f"{PROMPT.pattern}|{FILE_VIEW_PAGER.pattern}", timeout)
            pager = FILE_VIEW_PAGER.search(out)
            if pager is None:
                break
            out = out[: pager.start()]
            self.send("q" if pager.group(1) == pager.group(2) else "n")
        body = out.split("\r\n", 1)[1] if "\r\n" in out else ""
        return re.sub(r"admin:\s*$", "", body)

    def answer(self, prompt: str, text: str, timeout: float = 5.0) -> str:
        """Wait for a dialog prompt, then type the answer."""
        seen = self.read_until(re.escape(prompt) + r" ?$", timeout)
        self.send(text + "\r")
        return seen

    def wait_closed(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                data = self.channel.recv(65536)
                if not data:
                    return True
                self.buffer += data.decode()
            except TimeoutError:
                continue
            except OSError:
                return True
        return False

    def close(self) -> None:
        self.client.close()


def node(name: str, role: str = "subscriber", release: str | None = None, **kw: object) -> NodeSpec:
    kw.setdefault("earlier_boots", 0)  # these tests count boot lines
    return NodeSpec(name=name, role=role, release=release, **kw)  # type: ignore[arg-type]


@pytest.fixture
def make_lab(tmp_path: Path) -> Iterator[Callable[..., LabHandle]]:
    """Build a lab: fast profile, random loopback block, SFTP over a dir with the pack."""
    labs: list[LabHandle] = []

    def build(nodes: list[NodeSpec] | None = None, **config: object) -> LabHandle:
        nodes = nodes or [node("cucmpub", "publisher", tftp=True), node("cucmsub1", tftp=True)]
        pack = DevicePackSpec(
            file=PACK, version="12.5.1.17123-1", models=[ModelSpec(name="Cisco 8851", enum=683)]
        )
        # these tests read the live replication states: no status check in between
        # (its IN PROGRESS phase has tests of its own)
        timing = {"replication_check_seconds": 0.0, "replication_check_shown_seconds": 0.0}
        timing.update(config.pop("timing", {}))  # type: ignore[call-overload]
        settings: dict[str, object] = {"release": "11.5.1.10000-6", "timing": timing, **config}
        cfg = LabConfig(profile="fast", nodes=nodes, device_packs=[pack], **settings)  # type: ignore[arg-type]
        root = tmp_path / f"sftp{len(labs)}"
        (root / "cop").mkdir(parents=True)
        (root / "cop" / PACK).write_bytes(os.urandom(300_000))
        (root / "empty").mkdir()
        service, addresses = allocate_block(len(nodes))
        sftp = SftpServer(root, service, cfg.sftp.username, cfg.sftp.password)
        world = World(cfg, addresses, EventLog())
        world.sftp_endpoint = (service, sftp.start())
        world.sftp_host_key = sftp.host_key
        servers = {n.name: NodeSshServer(world, n.name) for n in nodes}
        lab = LabHandle(world, sftp, servers, root / "cop")
        labs.append(lab)
        for server in servers.values():
            server.start()
        return lab

    yield build
    for lab in labs:
        for client in lab.clients:
            client.close()
        for server in lab.ssh.values():
            server.stop()
        lab.sftp.stop()
        lab.world.close()


@pytest.fixture
def lab(make_lab: Callable[..., LabHandle]) -> LabHandle:
    return make_lab()


# ----- shared steps of the lab tests ----------------------------------------------

MENU_11 = 'Please select an option (1 - 3 or "q" ):'
MENU_12 = 'Please select an option (1 - 4 or "q" ):'


def give_source(
    cli: Cli,
    lab: LabHandle,
    directory: str = "/cop",
    server: str | None = None,
    password: str = "lab-sftp-secret",
) -> str:
    cli.answer("Directory:", directory)
    cli.answer("Server:", server or lab.world.sftp_endpoint[0])
    cli.answer("User Name:", "copuser")
    return cli.answer("Password:", password)


def initiate_11(cli: Cli, lab: LabHandle, **source: str) -> str:
    cli.send("utils system upgrade initiate\r")
    head = cli.answer(MENU_11, "1")
    give_source(cli, lab, **source)
    cli.answer("Please enter SMTP Host Server (optional):", "")
    return head


def switch(lab: LabHandle, *faults: FaultSpec) -> None:
    """What the faults-file watcher does when the file changes."""
    lab.world.faults.replace(list(faults))
    lab.world.apply_standing_faults()
