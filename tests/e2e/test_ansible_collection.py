"""The devpack.cucm collection, built with ansible-galaxy and run by ansible-playbook
(ansible-core from PyPI) against a lab cluster: check mode plans and changes nothing;
the documented rollout playbook (ansible/playbooks/rollout.yml) runs; killed with its
whole process group mid-restart (as AWX kills a job's container) and re-run with the
same change id, it resumes the run: no node installed or restarted twice (the lab's
ground truth); the audit module is read-only. (A job re-run after completion changes
nothing: tests/test_ansible_module_utils.py.)"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from devpack_runs import DEVPACK
from test_resume import REBOOT_RELEASE, assert_cluster_right, assert_once_each

from orchestrator.lab.config import demo_config

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HERE = Path(__file__).parent / "ansible"


@pytest.fixture(scope="module")
def collections(tmp_path_factory) -> Path:
    """The collection built from ansible/ and installed into a private folder."""
    if not (BIN / "ansible-playbook").exists():
        pytest.skip("ansible-core is not installed (pip install -e '.[dev]')")
    folder = tmp_path_factory.mktemp("collections")
    build = subprocess.run(
        [BIN / "ansible-galaxy", "collection", "build", REPO / "ansible", "--output-path", folder],
        capture_output=True,
        text=True,
        check=False,
        env=_ansible_env(folder),
    )
    assert build.returncode == 0, build.stdout + build.stderr
    [tarball] = folder.glob("devpack-cucm-*.tar.gz")
    install = subprocess.run(
        [BIN / "ansible-galaxy", "collection", "install", tarball, "-p", folder / "installed"],
        capture_output=True,
        text=True,
        check=False,
        env=_ansible_env(folder),
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return folder / "installed"


def _ansible_env(collections: Path) -> dict[str, str]:
    return {
        **os.environ,
        "ANSIBLE_HOME": str(collections.parent / "ansible-home"),
        "ANSIBLE_COLLECTIONS_PATH": str(collections),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
    }


def _inventory(path: Path, cluster, state: Path) -> Path:
    hosts = {
        "lab1": {
            "devpack_inventory": str(cluster.inventory),
            "devpack_playbook": str(cluster.playbook),
        },
        "broken1": {  # a failure must reach Ansible with devpack's own message
            "devpack_inventory": str(path.parent / "missing-inventory.yml"),
            "devpack_playbook": str(cluster.playbook),
        },
    }
    common = {
        "ansible_python_interpreter": sys.executable,
        "devpack_executable": str(DEVPACK),
        "devpack_state_dir": str(state),
    }
    document = {
        "all": {
            "vars": common,
            "children": {
                "cucm_clusters": {"hosts": {"lab1": hosts["lab1"]}},
                "broken": {"hosts": {"broken1": hosts["broken1"]}},
            },
        }
    }
    path.write_text(json.dumps(document))  # JSON is YAML
    return path


def _playbook(collections: Path, *args: object, **popen: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [BIN / "ansible-playbook", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_ansible_env(collections),
        **popen,  # type: ignore[arg-type]
    )


def _kill_tree(root: int) -> None:
    """SIGKILL a process and all its descendants at once, as when AWX's job container
    is killed (Ansible's workers start sessions of their own: killpg misses them)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # ended meanwhile
        parents[int(stat.parent.name)] = int(fields[1])
    tree, grew = {root}, True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= found
        grew = bool(found)
    for pid in tree:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def _finished(proc: subprocess.Popen[str], timeout: float = 120) -> tuple[int, str]:
    output, _ = proc.communicate(timeout=timeout)
    return proc.returncode, output


@pytest.mark.timeout(360)  # three ansible-playbook starts: slow on a loaded machine
def test_collection_plans_runs_resumes_after_kill_and_audits(lab_cluster, collections, tmp_path):
    cluster = lab_cluster(demo_config(release=REBOOT_RELEASE, profile="fast"))
    state, out = tmp_path / "state", tmp_path / "out"
    out.mkdir()
    inventory = _inventory(tmp_path / "hosts.yml", cluster, state)
    modules = HERE / "modules.yml"
    change = ["-e", "devpack_change_id=chg1", "-e", f"out_dir={out}"]

    # 1. check mode: the plan, changed, nothing touched; the broken host fails with
    # devpack's message
    code, output = _finished(_playbook(collections, "-i", inventory, modules, "--check", *change))
    assert code == 0, output
    check = json.loads((out / "lab1.json").read_text())["rollout"]
    assert check["changed"] is True, check
    assert check["plan"]["cluster"] and check["remaining"], check
    assert any(step.startswith("install-publisher/") for step in check["remaining"])
    broken = json.loads((out / "broken1.json").read_text())["rollout"]
    assert broken["failed"] is True
    assert "missing-inventory.yml" in broken["msg"] and broken["rc"] == 2, broken
    assert not cluster.lab.events.select("install_started")

    # 2. the documented playbook in run mode, killed (whole process group) mid-restart
    rollout = REPO / "ansible" / "playbooks" / "rollout.yml"
    job = _playbook(collections, "-i", inventory, rollout, "-e", "devpack_change_id=chg1")
    killed = cluster.world.wait_for(
        lambda: bool(cluster.lab.events.select("reboot_started")), timeout=120
    )
    _kill_tree(job.pid)
    code, output = _finished(job)
    assert killed and code == -signal.SIGKILL, output
    assert len(cluster.lab.events.select("reboot_started")) < len(cluster.world.nodes)

    # 3. the job re-run (the test's play, with the audit): same change id, the run
    # resumes and completes
    code, output = _finished(
        _playbook(
            collections,
            "-i",
            inventory,
            modules,
            "--limit",
            "lab1",
            *change,
            "-e",
            "with_audit=true",
        )
    )
    assert code == 0, output
    result = json.loads((out / "lab1.json").read_text())
    resumed, audit = result["rollout"], result["audit"]
    assert resumed["changed"] is True and resumed["run"]["already_complete"] is False, resumed
    assert resumed["run"]["run_id"] == "chg1-lab1" and resumed["run"]["state"] == "completed"
    assert_once_each(cluster, "reboot")
    assert_cluster_right(cluster)
    assert audit["changed"] is False and audit["audit_errors"] == 0, audit
    assert Path(audit["report"]).exists()
