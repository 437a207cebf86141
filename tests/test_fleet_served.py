"""A fleet's clusters that name one sftp.serve address share its one SFTP server, each
with a one-time account of its own; each node's download is journaled in its own
cluster's run. In process, over real sockets on 127.x (nodes are SFTP clients bound to
their own loopback addresses, as the lab's nodes connect)."""

from __future__ import annotations

import random
import socket
import textwrap
from pathlib import Path

import paramiko
import pytest

from orchestrator import app
from orchestrator.drivers.sftp.server import CopServer
from orchestrator.engine.journal import Journal
from orchestrator.errors import EXIT_INPUT, EXIT_PRECHECK, UserError
from orchestrator.fleet import load_fleet
from orchestrator.source import CopSource

PACKS = {"east": "cmterm-devicepack12.5.1.17123-1.cop.sgn", "west": "cmterm-8832.12.8.1.cop.sgn"}


def _address() -> str:
    rng = random.Random()
    return f"127.{rng.randrange(200, 250)}.{rng.randrange(1, 250)}.{rng.randrange(2, 250)}"


def _free_port(address: str) -> int:
    with socket.socket() as probe:
        probe.bind((address, 0))
        return int(probe.getsockname()[1])


def _cluster(root: Path, name: str, node_base: int, address: str, port: int) -> Path:
    """The folder of one cluster of a fleet (inventory.yml + playbook.yml + its COP)."""
    folder = root / name
    folder.mkdir()
    (folder / "known_hosts").write_text("")
    (folder / PACKS[name]).write_bytes(name.encode() * 5000)
    (folder / "inventory.yml").write_text(
        textwrap.dedent(f"""\
        cluster: {name}
        lab: true
        known_hosts: {folder / "known_hosts"}
        nodes:
          - name: {name}pub
            address: 127.0.{node_base}.1
            role: publisher
            tftp: true
          - name: {name}sub
            address: 127.0.{node_base}.2
        credentials:
          platform: {{username: admin, password: env:DEVPACK_TEST_PLATFORM}}
          application: {{username: axl, password: env:DEVPACK_TEST_PLATFORM}}
        """)
    )
    (folder / "playbook.yml").write_text(
        textwrap.dedent(f"""\
        cops:
          - kind: devicepack
            source: {PACKS[name]}
        sftp:
          serve: {{address: "{address}", port: {port}}}
        models: [Cisco 8851]
        """)
    )
    return folder


def _download(
    source: CopSource, node_address: str, name: str, server: CopServer | None = None
) -> tuple[list[str], bytes]:
    """What a node's wizard does: log in from its own address, list, fetch."""
    server = server or source.server
    assert server is not None
    sock = socket.create_connection((source.host, source.port), 10, (node_address, 0))
    client = paramiko.SSHClient()
    key = server.host_key
    client.get_host_keys().add(f"[{source.host}]:{source.port}", key.get_name(), key)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(
        source.host,
        source.port,
        sock=sock,
        username=source.username,
        password=source.password.reveal(),
        look_for_keys=False,
        allow_agent=False,
        timeout=10,
    )
    try:
        sftp = client.open_sftp()
        listed = sftp.listdir(source.directory)
        with sftp.open(f"{source.directory}/{name}", "rb") as handle:
            return listed, handle.read()
    finally:
        client.close()


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, str, int]:
    monkeypatch.setenv("DEVPACK_TEST_PLATFORM", "not-used-here")
    address = _address()
    port = _free_port(address)
    _cluster(tmp_path, "east", 1, address, port)
    _cluster(tmp_path, "west", 2, address, port)
    return tmp_path, address, port


def test_two_clusters_share_one_server_with_own_accounts_and_journals(fleet):
    root, address, port = fleet
    assert len(load_fleet(root)) == 2  # one address, one port: no conflict
    inputs = {
        c: app.load_inputs(root / c / "inventory.yml", root / c / "playbook.yml") for c in PACKS
    }
    east, west = inputs["east"].source, inputs["west"].source
    assert east.username != west.username
    assert east.password.reveal() != west.password.reveal()
    with Journal(root / "journal.sqlite") as journal:
        for cluster in PACKS:
            journal.create_run(f"F-{cluster}", cluster, "{}", "inventory.yml", "playbook.yml")
            app.record_downloads(inputs[cluster], journal, f"F-{cluster}")
        with east.serving(), west.serving():
            # one listening server for the address, serving both accounts
            assert east.server is not None and east.server is west.server
            assert (east.server.address, east.server.port) == (address, port)
            assert east.problems() == [] and west.problems() == []  # each account's precheck
            listed, data = _download(east, "127.0.1.2", PACKS["east"])
            assert listed == [PACKS["east"]] and data == b"east" * 5000
            listed, data = _download(west, "127.0.2.1", PACKS["west"])
            assert listed == [PACKS["west"]] and data == b"west" * 5000
            # one cluster's account reaches nothing of the other's
            with pytest.raises(FileNotFoundError):
                _download(east, "127.0.1.1", PACKS["west"])
        # each node's download is journaled in its own cluster's run, and only there
        for cluster, node in (("east", "eastsub"), ("west", "westpub")):
            downloads = [e for e in journal.entries(f"F-{cluster}") if e.state == "downloaded"]
            assert [(e.step, e.detail["file"], e.detail["bytes"]) for e in downloads] == [
                (f"source/{node}", PACKS[cluster], 4 * 5000)
            ]
    # the server ended with its last account: nothing listens any more
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), 2).close()


def test_the_server_outlives_a_cluster_that_finishes_first(fleet):
    root, _, _ = fleet
    east, west = (
        app.load_inputs(root / c / "inventory.yml", root / c / "playbook.yml").source for c in PACKS
    )
    with west.serving():
        with east.serving():
            assert east.server is west.server
        # east's account ended with its run; west still downloads from the same server
        with pytest.raises(paramiko.AuthenticationException):
            _download(east, "127.0.1.1", PACKS["east"], west.server)
        _, data = _download(west, "127.0.2.2", PACKS["west"])
        assert data == b"west" * 5000


def test_one_address_with_two_ports_is_refused(fleet):
    root, address, port = fleet
    west_playbook = root / "west" / "playbook.yml"
    west_playbook.write_text(
        west_playbook.read_text().replace(f"port: {port}", f"port: {port + 1}")
    )
    # before any cluster is contacted: the fleet is refused as bad input (exit 2)
    with pytest.raises(UserError) as refused:
        load_fleet(root)
    message = " ".join(f"{refused.value.message} {refused.value.hint}".split())
    assert refused.value.exit_code == EXIT_INPUT
    assert f"cluster east and cluster west both name {address} in sftp.serve" in message
    assert f"ports {port} and {port + 1}" in message and "the same sftp.serve.port" in message
    # and the shared servers refuse it too, should two runs of one process meet there
    east, west = (
        app.load_inputs(root / c / "inventory.yml", root / c / "playbook.yml").source for c in PACKS
    )
    with east.serving(), pytest.raises(UserError) as served, west.serving():
        pass
    assert served.value.exit_code == EXIT_PRECHECK
    assert "cluster east and cluster west both name" in served.value.message
