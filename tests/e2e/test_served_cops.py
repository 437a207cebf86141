"""devpack serves the COPs itself (sftp.serve) and installs several in one run; the SFTP
source is prechecked before the window. Judged by the lab's ground truth: each node
really connected to devpack's server (port 22 on a loopback address) and downloaded."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest
from devpack_runs import devpack, run_args
from lab_truth import assert_all_know, first
from pypdf import PdfReader
from ruamel.yaml import YAML

from orchestrator.drivers.sftp import server as sftp_server
from orchestrator.engine.journal import Journal
from orchestrator.lab.config import demo_config
from orchestrator.lab.runner import cop_content
from orchestrator.lab.testing import LabCluster
from orchestrator.report.pdf import find_chromium

PACK = "cmterm-devicepack12.5.1.17123-1.cop.sgn"
LOCALE = "cm-locale-de_DE-12.5.1.1000-1.cop.sgn"
MODELS = ["Cisco 8851", "Cisco 8865"]

needs_root = pytest.mark.skipif(
    os.geteuid() != 0,
    reason="devpack serves on port 22 (the only port a node's wizard uses); binding it "
    "needs root (CI runs as root)",
)


def _yaml() -> YAML:
    yaml = YAML()
    yaml.default_flow_style = False
    return yaml


def _served_address() -> str:
    # A 127/8 address of its own, so parallel tests (and labs) never share port 22.
    rng = random.Random()
    return f"127.{rng.randrange(200, 250)}.{rng.randrange(1, 250)}.{rng.randrange(2, 250)}"


def serve_playbook(cluster: LabCluster, folder: Path, address: str, locale: bool = True) -> Path:
    """The lab's playbook, rewritten: the device pack and (``locale``) a locale COP from
    local files that devpack serves itself."""
    files = folder / "files"
    files.mkdir(parents=True)
    (files / PACK).write_bytes(cop_content(PACK))
    (files / LOCALE).write_bytes(random.Random(LOCALE).randbytes(96 * 1024))
    doc = _yaml().load(cluster.playbook.read_text())
    del doc["cop"]
    doc["cops"] = [
        {"kind": "devicepack", "source": f"files/{PACK}", "md5": cluster.lab.cop_md5(PACK)},
        {"kind": "locale", "source": f"files/{LOCALE}"},
    ][: 2 if locale else 1]
    doc["sftp"] = {"serve": {"address": address, "port": 22}}
    path = folder / "served.yml"
    with path.open("w") as handle:
        _yaml().dump(doc, handle)
    return path


def served_args(cluster: LabCluster, playbook: Path, state: Path, *extra: str) -> list[str]:
    args = run_args(cluster, state, *extra)
    args[args.index("-p") + 1] = str(playbook)
    return args


@pytest.fixture
def accounts(monkeypatch) -> list[sftp_server.OneTimeAccount]:
    """Every one-time account devpack makes, as made (a spy: the real account, recorded)."""
    made: list[sftp_server.OneTimeAccount] = []
    make = sftp_server.OneTimeAccount.make

    def remember() -> sftp_server.OneTimeAccount:
        account = make()
        made.append(account)
        return account

    monkeypatch.setattr(sftp_server.OneTimeAccount, "make", staticmethod(remember))
    return made


@needs_root
def test_served_device_pack_and_locale(lab_cluster, tmp_path, accounts):
    cluster = lab_cluster(demo_config(release="12.5.1.14900-63", profile="fast"))
    address = _served_address()
    playbook = serve_playbook(cluster, tmp_path, address)
    printed = find_chromium() is not None
    if printed:  # report.pdf is a file the secrets must stay out of too
        doc = _yaml().load(playbook.read_text())
        doc["report"] = {"pdf": True}
        with playbook.open("w") as handle:
            _yaml().dump(doc, handle)
    state = tmp_path / "state"
    # the dry run prechecks devpack's own server too (login, directory, files, sizes, MD5)
    code, dry = devpack(*served_args(cluster, playbook, state, "--dry-run"))
    assert code == 0, dry
    assert "prechecks passed" in dry and not cluster.lab.events.select("cop_downloaded")
    code, output = devpack(*served_args(cluster, playbook, state))
    assert code == 0, output
    # a locale COP needs a reboot: the strongest restart wins over 12.5's service restarts
    assert "reboot" in output and LOCALE in output

    world, events = cluster.world, cluster.lab.events
    log = events.all()
    for node in world.nodes:
        fetched = events.select("cop_downloaded", node)
        assert [e.data["file"] for e in fetched] == [PACK, LOCALE], fetched
        assert all(e.data["server"] == address and e.data["port"] == 22 for e in fetched)
        installed = events.select("install_finished", node)
        assert [e.data["file"] for e in installed] == [PACK, LOCALE]
        assert installed[0].time < installed[1].time
        # one restart cycle: one reboot per node, after both installs
        reboots = events.select("reboot_started", node)
        assert len(reboots) == 1, reboots
        assert first(log, node, "install_finished", file=LOCALE).time < reboots[0].time
        options = world.nodes[node].options
        assert "cm-locale-de_DE-12.5.1.1000-1.cop" in options
        assert "cmterm-devicepack12.5.1.17123-1.cop" in options
    assert_all_know(world, MODELS)

    # each node's download is in the report (node, address, bytes, seconds)
    (run_dir,) = (state / "runs").iterdir()
    report = json.loads((run_dir / "report" / "report.json").read_text())
    downloads = report["run"]["downloads"]
    assert {(d["node"], d["file"]) for d in downloads} == {
        (n, f) for n in world.nodes for f in (PACK, LOCALE)
    }
    sizes = {PACK: len(cop_content(PACK)), LOCALE: 96 * 1024}
    assert all(
        d["bytes"] == sizes[d["file"]] and d["complete"] and d["seconds"] >= 0 for d in downloads
    ), downloads
    assert "Downloads from devpack" in (run_dir / "report" / "report.html").read_text()

    # one-time accounts: a new one per process, never printed or written anywhere; nor
    # the lab's passwords (the node logins, AXL, the lab's own SFTP)
    assert len(accounts) == 2 and accounts[0].password != accounts[1].password
    written = [p for p in state.rglob("*") if p.is_file()]
    names = {p.name for p in written}
    assert {"journal.sqlite", "log.jsonl", "snapshot-before.json", "report.md"} <= names
    assert ("report.pdf" in names) == printed
    if printed:  # the PDF's text is read, not its compressed bytes
        assert PACK in " ".join(readable(run_dir / "report" / "report.pdf").split())
    secrets = [a.password for a in accounts] + [
        cluster.lab.config.admin.password,
        cluster.lab.config.application.password,
        cluster.lab.config.sftp.password,
    ]
    for secret in secrets:
        assert secret not in dry + output
        assert not [p for p in written if secret in readable(p)], secret


def readable(path: Path) -> str:
    """A file as a reader sees it: a PDF's text (its streams are compressed), else its
    bytes."""
    if path.suffix == ".pdf":
        return " ".join(page.extract_text() for page in PdfReader(path).pages)
    return path.read_bytes().decode("utf-8", errors="replace")


@needs_root
def test_served_port_taken_is_refused_before_any_change(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release="12.5.1.14900-63", profile="fast"))
    address = _served_address()
    playbook = serve_playbook(cluster, tmp_path, address)
    import socket

    with socket.socket() as squatter:
        squatter.bind((address, 22))
        squatter.listen(1)
        code, output = devpack(*served_args(cluster, playbook, tmp_path / "state"))
    assert code == 3, output
    flat = " ".join(output.split())
    assert f"{address} port 22 is taken" in flat and "sftp.serve.address" in flat
    assert "Traceback" not in output
    assert not cluster.lab.events.select("install_started")


def test_wrong_sftp_directory_fails_dry_run(lab_cluster, tmp_path):
    cluster = lab_cluster(demo_config(release="12.5.1.14900-63", profile="fast"))
    doc = _yaml().load(cluster.playbook.read_text())
    doc["sftp"]["directory"] = "/no-such-dir"
    with cluster.playbook.open("w") as handle:
        _yaml().dump(doc, handle)
    code, output = devpack(*run_args(cluster, tmp_path / "state", "--dry-run"))
    assert code == 3, output
    flat = " ".join(output.split())
    assert "the directory /no-such-dir does not exist" in flat and "sftp.directory" in flat
    assert not cluster.lab.events.select("cop_downloaded")
    assert not cluster.lab.events.select("install_started")


@needs_root
def test_a_fleet_shares_one_served_address_each_cluster_its_own_account(
    lab_cluster, tmp_path, accounts
):
    """Two clusters name one sftp.serve address: one server, an account per cluster. By
    the labs' ground truth each cluster's nodes logged in with their own account and
    fetched only their own COPs; each run's report has its own downloads."""
    address = _served_address()
    clusters, playbooks = {}, {}
    for name, locale in (("east", False), ("west", True)):
        config = demo_config(release="12.5.1.14900-63", profile="fast")
        clusters[name] = lab_cluster(config.model_copy(update={"cluster": name}))
        playbooks[name] = serve_playbook(clusters[name], tmp_path / name, address, locale)
    fleet = tmp_path / "fleet.yml"
    fleet.write_text(
        "clusters:\n"
        + "".join(
            f"  - inventory: {clusters[n].inventory}\n    playbook: {playbooks[n]}\n"
            for n in clusters
        )
    )
    state = tmp_path / "state"
    code, output = devpack(
        "fleet", "run", "--fleet", str(fleet), "--max-clusters", "2", "--state-dir", str(state)
    )
    assert code == 0, output
    assert "2 of 2 cluster(s) completed" in output

    own = {"east": [PACK], "west": [PACK, LOCALE]}
    users = {}
    for name, cluster in clusters.items():
        for node in cluster.world.nodes:
            fetched = cluster.lab.events.select("cop_downloaded", node)
            assert [e.data["file"] for e in fetched] == own[name], (name, node, fetched)
            assert {(e.data["server"], e.data["port"]) for e in fetched} == {(address, 22)}
            users.setdefault(name, set()).update(e.data["user"] for e in fetched)
    # one account per cluster, its nodes used only it
    assert len(accounts) == 2 and all(len(u) == 1 for u in users.values()), users
    assert users["east"] != users["west"]
    assert users["east"] | users["west"] == {a.username for a in accounts}

    with Journal(state / "journal.sqlite") as journal:
        runs = {record.cluster: record.run_id for record in journal.runs()}
    assert sorted(runs) == ["east", "west"]
    for name, run_id in runs.items():
        report = json.loads((state / "runs" / run_id / "report" / "report.json").read_text())
        downloads = {(d["node"], d["file"]) for d in report["run"]["downloads"]}
        assert downloads == {(n, f) for n in clusters[name].world.nodes for f in own[name]}
    # the one-time passwords are in no file devpack wrote, nor in its output
    written = [p for p in state.rglob("*") if p.is_file()]
    for account in accounts:
        assert account.password not in output
        assert not [p for p in written if account.password.encode() in p.read_bytes()]
