"""Report building, timeline and rendering on a journal with known times (no lab)."""

from __future__ import annotations

import json
import re

from report_journal import RUN, T0, failed_then_resumed_journal, plan

from orchestrator import logs
from orchestrator.report.build import build_run_report
from orchestrator.report.render import markdown_code, render
from orchestrator.report.schema import SCHEMA_VERSION, Report
from orchestrator.report.timeline import picture, segments


def build(tmp_path, resume=True) -> Report:
    journal = failed_then_resumed_journal(tmp_path / "journal.sqlite", resume=resume)
    try:
        return build_run_report(
            journal.run(RUN),
            journal.entries(RUN),
            journal.steps(RUN),
            plan(),
            None,
            None,
            "not audited in this test",
        )
    finally:
        journal.close()


def bars_of(report: Report, row: str) -> list[tuple[str, float, float]]:
    return [(b.kind, b.start - T0, b.end - T0) for b in report.timeline if b.row == row]


def test_steps_per_node_publisher_first_with_times_and_outcomes(tmp_path):
    report = build(tmp_path)
    assert [(n.name, n.role, n.outcome) for n in report.nodes] == [
        ("pub", "publisher", "done"),
        ("sub", "subscriber", "interrupted"),
    ]
    sub = {s.id: s for s in report.nodes[1].steps}
    install = sub["install-subscribers/sub"]
    assert (install.outcome, install.started, install.finished) == ("done", T0 + 60, T0 + 240)
    assert sub["restart-wave-1/sub"].outcome == "interrupted"
    assert [(g.id, g.outcome) for g in report.gates] == [
        ("gate/restart-publisher", "done"),
        ("gate/restart-wave-1", "pending"),
    ]


def test_run_status_and_sessions(tmp_path):
    run = build(tmp_path).run
    assert run.status == "running"  # the resumed session never wrote an outcome
    assert [(s.outcome, s.started - T0) for s in run.sessions] == [("failed", 0), ("running", 200)]
    failed = build(tmp_path / "other", resume=False).run
    assert (failed.status, failed.failed_node, failed.failed_step) == (
        "failed",
        "sub",
        "install-subscribers/sub",
    )
    assert failed.duration_seconds == 90


def test_timeline_phases_follow_journal_states(tmp_path):
    report = build(tmp_path)
    assert bars_of(report, "pub") == [
        ("check", 0, 2),
        ("check", 2, 3),
        ("install", 3, 60),
        ("check", 240, 241),
        ("restart", 241, 300),
        ("services", 300, 330),
    ]
    sub = bars_of(report, "sub")
    assert ("install", 61, 90) in sub and ("install", 201, 240) in sub
    failed = [b for b in report.timeline if b.failed]
    assert [(b.row, b.kind, b.end - T0) for b in failed] == [("sub", "install", 90)]
    still = [b for b in report.timeline if b.open]
    assert [(b.row, b.kind, b.end - T0) for b in still] == [("sub", "restart", 362)]
    assert bars_of(report, "cluster") == [("gate", 330, 360)]
    assert [m.name for m in report.markers][:2] == ["prechecks", "install-publisher"]


def test_picture_rows_ticks_and_bars_stay_in_the_plot(tmp_path):
    report = build(tmp_path)
    pic = picture(report.timeline, report.markers, ["pub", "sub", "cluster"])
    assert [row.label for row in pic.rows] == ["pub", "sub", "gates"]
    assert all(pic.plot_left <= b.x and b.x + b.width <= pic.plot_right + 2 for b in pic.bars)
    assert 3 <= len(pic.ticks) <= 10
    assert [t.label for t in pic.ticks][:2] == ["08:01", "08:02"]  # a tick a minute
    assert any(b.stroke != "none" for b in pic.bars)
    assert picture([], [], ["pub"]) is None


def test_segments_merge_consecutive_states_of_one_phase(tmp_path):
    journal = failed_then_resumed_journal(tmp_path / "j.sqlite")
    bars, _ = segments(journal.entries(RUN), {"restart-publisher/pub": "reboot"})
    journal.close()
    services = [b for b in bars if b.step == "restart-publisher/pub" and b.kind == "services"]
    assert len(services) == 1  # booted + waiting_for_services + services_up: one bar


def test_render_is_versioned_escaped_and_self_contained(tmp_path):
    files = render(build(tmp_path, resume=False))
    data = json.loads(files["report.json"])
    assert (data["schema"], data["schema_version"], data["kind"]) == (
        "devpack.report",
        SCHEMA_VERSION,
        "run",
    )
    assert Report.model_validate(data).run.run_id == RUN
    html = files["report.html"]
    assert "install failed: &lt;disk&gt; | full" in html and "<disk>" not in html
    assert "<svg" in html and html.count("<rect") > 10
    # one file: no scripts, stylesheets, images or fonts fetched from anywhere; the one
    # inline script only opens the collapsed sections for printing (and closes them after)
    scripts = re.findall(r"<script[^>]*>(.*?)</script>", html, re.S)
    assert len(scripts) == 1 and html.count("<script") == 1
    assert "beforeprint" in scripts[0] and "afterprint" in scripts[0]
    assert not re.search(r"fetch|XMLHttpRequest|import|src|href|location|eval", scripts[0])
    outside = re.sub(r"<script>.*?</script>", "", html, flags=re.S)
    assert not re.search(r"<script|<link|<img|@import|url\(|src=", outside)
    assert not re.search(r'href="(?!#)', html)
    markdown = files["report.md"]
    # its HTML shown as text, not passed through (Markdown passes HTML on)
    assert "install failed: &lt;disk&gt; \\| full" in markdown and "<disk>" not in markdown
    assert "| sub | install-subscribers | install |" in markdown


def test_known_secrets_are_masked_in_every_format(tmp_path):
    journal = failed_then_resumed_journal(tmp_path / "j.sqlite", resume=False)
    journal.write(
        RUN,
        "failed",
        step="install-subscribers/sub",
        node="sub",
        message="sftp said: bad password hunter2-very-secret",
    )
    report = build_run_report(
        journal.run(RUN), journal.entries(RUN), journal.steps(RUN), plan(), None, None
    )
    journal.close()
    logs.REDACTOR.add("hunter2-very-secret")
    files = render(report)
    assert all("hunter2-very-secret" not in text for text in files.values())
    assert "********" in files["report.json"]


def test_legacy_ssh_is_named_per_node_with_why_in_every_format(tmp_path):
    from orchestrator.drivers.ssh.algorithms import WHY_LEGACY_IS_ACCEPTED
    from orchestrator.planning.plan import SshAlgorithms

    legacy = SshAlgorithms(
        node="sub", server_version="SSH-2.0-OpenSSH_5.3", host_key="ssh-rsa",
        kex="diffie-hellman-group-exchange-sha256", cipher="aes128-ctr", mac="hmac-sha1",
        legacy=["host key ssh-rsa (SHA-1 signature)"],
    )  # fmt: skip
    modern = SshAlgorithms(
        node="pub", server_version="SSH-2.0-OpenSSH_7.4", host_key="rsa-sha2-512",
        kex="curve25519-sha256@libssh.org", cipher="aes128-gcm@openssh.com",
        mac="hmac-sha2-256",
    )  # fmt: skip
    the_plan = plan().model_copy(update={"ssh": [legacy, modern]})
    journal = failed_then_resumed_journal(tmp_path / "journal.sqlite")
    try:
        report = build_run_report(
            journal.run(RUN),
            journal.entries(RUN),
            journal.steps(RUN),
            the_plan,
            None,
            None,
            "not audited in this test",
        )
    finally:
        journal.close()
    ssh = {n.name: n.ssh for n in report.nodes}
    assert ssh["sub"].legacy == ["host key ssh-rsa (SHA-1 signature)"]
    assert ssh["sub"].why == WHY_LEGACY_IS_ACCEPTED
    assert ssh["pub"].legacy == [] and ssh["pub"].why == ""
    files = render(report)
    doc = json.loads(files["report.json"])
    assert {n["name"]: n["ssh"]["host_key"] for n in doc["nodes"]} == {
        "pub": "rsa-sha2-512",
        "sub": "ssh-rsa",
    }
    assert "Legacy SSH on sub: accepted only because" in files["report.md"]
    assert "| sub | OpenSSH_5.3 | ssh-rsa |" in files["report.md"]
    assert "<b>Legacy SSH on sub:</b> accepted only because" in files["report.html"]
    assert "pinned in known_hosts" in files["report.html"]


def test_a_command_with_backticks_stays_one_markdown_code_span():
    """A state dir with a backtick in its path must not end the span around the command."""
    assert markdown_code("devpack resume r1") == "`devpack resume r1`"
    assert markdown_code("devpack resume r1 --state-dir /tmp/a`b") == (
        "``devpack resume r1 --state-dir /tmp/a`b``"
    )
    assert markdown_code("x``y") == "```x``y```"
    assert markdown_code("`edge`") == "`` `edge` ``"
    assert markdown_code("two\nlines") == "`two lines`"
