"""Reports written by ``devpack run``, ``devpack report`` and ``devpack audit --report``
against the lab over real SSH and HTTPS."""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "audit"))

from audit_scenarios import devpack, healthy_config, seed_config

from orchestrator.lab.config import FaultKind, FaultSpec

FILES = ("report.json", "report.md", "report.html")


def lab_secrets(cluster) -> list[str]:
    config = cluster.world.config
    return [config.admin.password, config.application.password, config.sftp.password]


def the_run(state: Path) -> Path:
    [run] = list((state / "runs").iterdir())
    return run


def assert_no_secrets(folder: Path, secrets: list[str]) -> int:
    checked = 0
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            text = path.read_text(errors="replace")
            for secret in secrets:
                assert secret not in text, f"{secret!r} in {path}"
            checked += 1
    return checked


def test_run_writes_the_report_with_its_post_run_audit(lab_cluster, tmp_path):
    cluster = lab_cluster(seed_config())
    state = tmp_path / "state"
    code, output = devpack(
        "run", "-i", str(cluster.inventory), "-p", str(cluster.playbook), "--state-dir", str(state)
    )
    assert code == 0, output
    run = the_run(state)
    folder = run / "report"
    assert f"report: {folder / 'report.html'}" in output
    assert all((folder / name).stat().st_size > 500 for name in FILES)

    report = json.loads((folder / "report.json").read_text())
    assert report["kind"] == "run" and report["run"]["run_id"] == run.name
    assert report["run"]["status"] == "completed"
    assert [(n["name"], n["role"], n["outcome"]) for n in report["nodes"]] == [
        ("cucmpub", "publisher", "done"),
        ("cucmsub1", "subscriber", "done"),
    ]
    reboot = next(s for s in report["nodes"][1]["steps"] if s["action"] == "reboot")
    assert reboot["started"] < reboot["finished"] and reboot["outcome"] == "done"
    kinds = {(b["row"], b["kind"]) for b in report["timeline"]}
    assert {("cucmsub1", "restart"), ("cucmsub1", "services"), ("cluster", "gate")} <= kinds
    # the publisher already picked the pack up (rebooted after its install): not restarted
    assert ("cucmpub", "restart") not in kinds
    assert report["playbook"]["cop_file"] == "cmterm-devicepack12.5.1.17123-1.cop.sgn"
    assert report["audit"]["findings"] == [] and report["audit"]["pack_source"] == "playbook"
    html = (folder / "report.html").read_text()
    assert "Post-run audit" in html and "cucmsub1" in html and "<svg" in html

    # secrets: in no report file, and not in the run's structured log
    assert (run / "log.jsonl").is_file()
    assert assert_no_secrets(run, lab_secrets(cluster)) >= 4

    # re-rendered from the journal: same run, the recorded audit kept
    (folder / "report.html").unlink()
    code, output = devpack("report", run.name, "--state-dir", str(state))
    assert code == 0, output
    again = json.loads((folder / "report.json").read_text())
    assert again["audit"]["gathered_at"] == report["audit"]["gathered_at"]
    assert again["nodes"] == report["nodes"] and (folder / "report.html").is_file()

    # a fresh audit goes beside the run's report under its own time; the post-run audit stays
    code, output = devpack("report", run.name, "--state-dir", str(state), "--audit")
    assert code == 0, output
    later = sorted(run.glob("audit-*"))
    assert len(later) == 1 and (later[0] / "report.json").is_file(), output
    assert json.loads((later[0] / "report.json").read_text())["kind"] == "audit"
    kept = json.loads((folder / "report.json").read_text())
    assert kept["audit"]["gathered_at"] == report["audit"]["gathered_at"]

    code, output = devpack("report", "no-such-run", "--state-dir", str(state))
    assert code == 2 and "no run no-such-run" in output and "Traceback" not in output


def test_audit_report_folder_for_the_seed_story(lab_cluster, tmp_path):
    cluster = lab_cluster(seed_config())
    folder = tmp_path / "audit-report"
    code, output = devpack(
        "audit", "-i", str(cluster.inventory), "-p", str(cluster.playbook), "--report", str(folder)
    )
    assert code == 1, output
    report = json.loads((folder / "report.json").read_text())
    assert report["kind"] == "audit" and report["run"] is None
    assert {f["code"] for f in report["audit"]["findings"]} == {"restart-pending", "phone-not-home"}
    html = (folder / "report.html").read_text()
    assert "restart-pending" in html and "reboot cucmsub1" in html
    assert "| error | `restart-pending` | cucmsub1 |" in (folder / "report.md").read_text()
    assert assert_no_secrets(folder, lab_secrets(cluster)) == 3


def test_failed_run_report_names_the_node(lab_cluster, tmp_path):
    config = healthy_config(missing_on="cucmsub2")
    config.faults.append(FaultSpec(kind=FaultKind.INSTALL_FAILS, node="cucmsub2"))
    cluster = lab_cluster(config)
    state = tmp_path / "state"
    code, output = devpack(
        "run", "-i", str(cluster.inventory), "-p", str(cluster.playbook), "--state-dir", str(state)
    )
    assert code == 1, output
    folder = the_run(state) / "report"
    report = json.loads((folder / "report.json").read_text())
    assert report["run"]["status"] == "failed" and report["run"]["failed_node"] == "cucmsub2"
    failed = [b for b in report["timeline"] if b["failed"]]
    assert [(b["row"], b["kind"]) for b in failed] == [("cucmsub2", "install")]
    # the post-run audit still says where the cluster stands
    assert ("pack-missing", "cucmsub2") in {
        (f["code"], f["node"]) for f in report["audit"]["findings"]
    }
    assert "devpack resume" in (folder / "report.html").read_text()
