"""The report for a change ticket (no lab): the ticket, the operator's next step, the
before/after snapshot and its diff, times with their zone, the print stylesheet."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from report_journal import RUN, T0, Clock, failed_then_resumed_journal, plan

from orchestrator import __version__
from orchestrator.audit.model import AuditResult, Finding, Severity
from orchestrator.engine.journal import Journal
from orchestrator.engine.rollout import RunOutcome
from orchestrator.engine.states import RunState
from orchestrator.errors import EXIT_INPUT, UserError
from orchestrator.next_step import Action, next_step
from orchestrator.report.build import RUN_FINISHES, build_run_report
from orchestrator.report.changes import BEFORE_STEP, diff, journal_detail
from orchestrator.report.render import render
from orchestrator.report.schema import ClusterState, NodeState
from orchestrator.ticket import (
    CHANGE_ID_ENV,
    OPERATOR_ENV,
    TICKET_STEP,
    TicketFlags,
    fold,
    given,
    os_user,
    record,
    window_text,
)

RESUME = "devpack resume r1 --state-dir /s"
RESUMED = {"resumed": True}

# ----- the operator's next step: one table --------------------------------------------


@pytest.mark.parametrize(
    ("status", "kw", "action", "command", "text"),
    [
        (RunState.COMPLETED, {}, Action.NOTHING, None, "nothing: the rollout completed"),
        (
            RunState.COMPLETED,
            {"audit_errors": 2},
            Action.FIX_FINDINGS,
            None,
            "the rollout completed but the post-run audit found 2 error(s): do what each "
            "finding says, then audit again (devpack audit)",
        ),
        (
            RunState.PAUSED,
            {"paused_before": "restart-publisher"},
            Action.APPROVE,
            RESUME,
            f"when restart-publisher is approved, continue with: {RESUME} (devpack does the "
            "remaining steps, restarts included)",
        ),
        (
            RunState.PAUSED_WINDOW,
            {},
            Action.NEXT_WINDOW,
            f"{RESUME} --window START/END",
            f"{RESUME} --window START/END",
        ),
        (RunState.INTERRUPTED, {}, Action.RESUME, RESUME, RESUME),
        ("running", {}, Action.RESUME, RESUME, RESUME),  # killed: no outcome journaled
        (RunState.FAILED, {}, Action.FIX_THEN_RESUME, RESUME, RESUME),
        (
            RunState.FAILED,
            {"remedy": "free space on sub"},
            Action.FIX_THEN_RESUME,
            RESUME,
            f"free space on sub; then: {RESUME}",
        ),
    ],
)
def test_next_step_table(status, kw, action, command, text):
    step = next_step(status, RESUME, **kw)
    assert (step.action, step.command, step.text) == (action, command, text)
    assert step.resumes == (command is not None)


def test_a_window_already_in_the_resume_command_is_not_asked_twice():
    outcome = RunOutcome("r1", RunState.PAUSED_WINDOW, resume_options=("--window", "START/END"))
    assert outcome.next_step().command == "devpack resume r1 --window START/END"
    assert outcome.hint == outcome.next_step().text


# ----- the ticket ---------------------------------------------------------------------


def test_ticket_flags_are_printable_text_and_default_from_the_environment(monkeypatch):
    monkeypatch.setenv(CHANGE_ID_ENV, "CHG0042")
    monkeypatch.setenv(OPERATOR_ENV, "night shift")
    assert given(None, None) == TicketFlags("CHG0042", "night shift")
    assert given("CHG1", "alice") == TicketFlags("CHG1", "alice")  # the flags win
    monkeypatch.delenv(CHANGE_ID_ENV)
    monkeypatch.delenv(OPERATOR_ENV)
    assert given(None, None) == TicketFlags(None, None)
    with pytest.raises(UserError) as bad:
        given("CHG\x1b[2J", None)
    assert bad.value.exit_code == EXIT_INPUT
    assert bad.value.message.startswith("--change-id contains a control character U+001B")
    with pytest.raises(UserError) as empty:
        given(None, "  ")
    assert (empty.value.message, empty.value.exit_code) == ("--operator is empty", EXIT_INPUT)
    with pytest.raises(UserError, match="--change-id is 65 characters long"):
        given("C" * 65, None)


def inputs(tmp_path: Path) -> tuple[Path, Path]:
    inventory = tmp_path / "inventory.yml"
    inventory.write_text("password: env:CUCM_PASSWORD\n")
    playbook = tmp_path / "playbook.yml"
    playbook.write_text("cop: {file: x.cop.sgn}\n")
    return inventory, playbook


def a_playbook():
    from orchestrator.config.playbook import Playbook

    return Playbook.model_validate(
        {
            "cop": {"file": "cmterm-devicepack12.5.1.17123-1.cop.sgn", "md5": "a" * 32},
            "sftp": {
                "host": "127.0.0.1",
                "directory": "/cop",
                "username": "u",
                "password": "env:SFTP_PASSWORD",
            },
            "models": ["Cisco 8845"],
        }
    )


def test_a_new_runs_ticket_has_no_notes(tmp_path):
    journal = Journal(tmp_path / "j.sqlite")
    journal.create_run(RUN, "unit", plan().model_dump_json(), "/x/i.yml", "/x/p.yml")
    journal.write(RUN, "recorded", step=BEFORE_STEP, taken_at="", source="discovery")
    inventory, playbook = inputs(tmp_path)
    flags = TicketFlags("CHG7", "alice")
    ticket = record(journal, RUN, flags, inventory, playbook, a_playbook(), resumed=False)
    assert ticket is not None and (ticket.change_id, ticket.operator, ticket.notes) == (
        "CHG7",
        "alice",
        [],
    )
    journal.close()


def test_the_ticket_is_journaled_once_and_a_resume_overrides_with_a_note(tmp_path):
    journal = failed_then_resumed_journal(tmp_path / "j.sqlite", resume=False)
    inventory, playbook = inputs(tmp_path)
    # journaled before tickets existed: recorded at this resume, and says so
    first = record(
        journal, RUN, TicketFlags("CHG7", None), inventory, playbook, a_playbook(), **RESUMED
    )
    assert first is not None
    assert (first.change_id, first.operator, first.devpack_version) == (
        "CHG7",
        os_user(),
        __version__,
    )
    assert "recorded at a resume" in first.notes[0]
    assert first.inputs["inventory inventory.yml"].startswith("sha256:")
    assert first.inputs["cop cmterm-devicepack12.5.1.17123-1.cop.sgn"] == "md5:" + "a" * 32
    assert "CUCM_PASSWORD" not in json.dumps(first.model_dump())  # digests, not contents
    # the same flags again: nothing new journaled
    assert record(
        journal, RUN, TicketFlags("CHG7", None), inventory, playbook, a_playbook(), **RESUMED
    )
    assert len([e for e in journal.entries(RUN) if e.step == TICKET_STEP]) == 1
    # a resume by someone else: journaled with who changed what
    later = record(
        journal, RUN, TicketFlags(None, "bob"), inventory, playbook, a_playbook(), **RESUMED
    )
    assert later is not None and (later.change_id, later.operator) == ("CHG7", "bob")
    assert re.search(r"Z resume by bob on .*: operator .* -> bob$", later.notes[-1])
    entries = [e.detail for e in journal.entries(RUN) if e.step == TICKET_STEP]
    assert fold(entries) == later
    journal.close()


def test_each_start_or_resume_window_is_listed_once(tmp_path):
    """The ticket lists the window of the start and of each resume under another one
    (a later night's --window), so the report shows the windows the change ran in."""
    journal = Journal(tmp_path / "j.sqlite")
    journal.create_run(RUN, "unit", plan().model_dump_json(), "/x/i.yml", "/x/p.yml")
    inventory, playbook = inputs(tmp_path)
    night1 = window_text("2026-12-01T01:00:00+01:00", "2026-12-01T05:00:00+01:00", "playbook")
    night2 = window_text("2026-12-02T01:00:00+01:00", "2026-12-02T03:00:00+01:00", "--window")
    flags = TicketFlags("CHG7", "alice", night1)
    first = record(journal, RUN, flags, inventory, playbook, a_playbook(), resumed=False)
    assert first is not None and first.windows == [night1]
    again = record(journal, RUN, flags, inventory, playbook, a_playbook(), **RESUMED)
    assert again is not None and again.windows == [night1]  # same window: nothing new
    later = TicketFlags(None, None, night2)
    resumed = record(journal, RUN, later, inventory, playbook, a_playbook(), **RESUMED)
    assert resumed is not None and resumed.windows == [night1, night2]
    assert resumed.notes == [] and resumed.operator == "alice"
    entries = [e.detail for e in journal.entries(RUN) if e.step == TICKET_STEP]
    assert len(entries) == 2 and fold(entries) == resumed
    journal.close()


# ----- before / after -----------------------------------------------------------------


def state(source: str, **nodes: tuple[str, list[str], dict[str, int]]) -> ClusterState:
    return ClusterState(
        taken_at="2027-01-15T02:00:00Z",
        source=source,
        nodes=[
            NodeState(name=n, release=r, options=o, registered=p) for n, (r, o, p) in nodes.items()
        ],
    )


def test_diff_marks_a_model_that_lost_registrations():
    before = state(
        "discovery",
        pub=("12.5.1.10000-22", ["a.cop"], {"Cisco 8845": 10, "Cisco 7841": 4}),
        sub=("12.5.1.10000-22", ["a.cop"], {"Cisco 8845": 3}),
    )
    after = state(
        "post-run audit",
        pub=("12.5.1.10000-22", ["a.cop", "dp.cop"], {"Cisco 8845": 7, "Cisco 7841": 5}),
        sub=("12.5.1.10000-22", ["a.cop", "dp.cop"], {"Cisco 8845": 3, "Cisco 8865": 1}),
    )
    changes = diff(before, after)
    pub, sub = changes.nodes
    assert pub.options_added == ["dp.cop"] and pub.options_removed == []
    assert [(m.model, m.before, m.after, m.delta, m.lost) for m in pub.models] == [
        ("Cisco 7841", 4, 5, 1, False),
        ("Cisco 8845", 10, 7, -3, True),
    ]
    assert not sub.lost and [m.model for m in sub.models] == ["Cisco 8845", "Cisco 8865"]
    assert changes.lost_registrations == 3


def test_diff_compares_no_phones_when_either_side_could_not_read_them():
    before = state("discovery", pub=("12.5", [], {"Cisco 8845": 10}))
    after = state("post-run audit", pub=("14.0", [], {}))
    after.phones_error = "RisPort70: Exceeded allowed rate"
    [pub] = diff(before, after).nodes
    assert (pub.release_before, pub.release_after, pub.models) == ("12.5", "14.0", [])


def test_before_from_discovery_and_after_from_the_audit_name_nodes_alike():
    from orchestrator.audit.model import AuditFacts, NodeFact
    from orchestrator.planning.facts import ClusterFacts, NodeFacts
    from orchestrator.report.changes import after_state, before_state

    # discovery knows the node by its hostname; the inventory (and the audit) by address
    facts = ClusterFacts(
        cluster="unit",
        nodes=[
            NodeFacts(
                name="cucmpub",
                address="10.0.0.1",
                role="publisher",
                release="9.1.2.10000-28",
                installed_options=["a.cop"],
                timezone="Europe/Berlin",
                runs_callmanager=True,
                runs_tftp=True,
            )
        ],
    )
    registered = {"10.0.0.1": {"Cisco 8845": 2}}
    before = before_state(facts, registered, None, {"10.0.0.1": "10.0.0.1"})
    [node] = before.nodes
    assert (node.name, node.registered, node.timezone) == (
        "10.0.0.1",
        {"Cisco 8845": 2},
        "Europe/Berlin",
    )
    assert before.taken_at.endswith("Z") and before.source == "discovery"
    audited = AuditFacts(
        cluster="unit",
        gathered_at=T0,
        nodes=[
            NodeFact(
                name="10.0.0.1",
                address="10.0.0.1",
                role="publisher",
                release="9.1.2.10000-28",
                options=["a.cop", "dp.cop"],
            )
        ],
    )
    after = after_state(audited, {"10.0.0.1": {"Cisco 8845": 1}}, None)
    assert (after.taken_at, after.source) == ("2027-01-15T08:00:00Z", "post-run audit")
    [change] = diff(before, after).nodes
    assert (change.node, change.options_added, change.lost) == ("10.0.0.1", ["dp.cop"], True)


# ----- the report ---------------------------------------------------------------------


def paused_journal(path: Path) -> Journal:
    """Installed everywhere, paused before the restarts (--stop-after install), with a
    ticket and a before snapshot journaled as the run does."""
    journal = Journal(path)
    journal.create_run(RUN, "unit", plan().model_dump_json(), "/x/inventory.yml", "/x/pb.yml")
    before = state("discovery", pub=("9.1.2", [], {"Cisco 8845": 2}), sub=("9.1.2", [], {}))
    journal.write(RUN, "recorded", step=BEFORE_STEP, **journal_detail(before))
    journal.write(
        RUN,
        "recorded",
        step=TICKET_STEP,
        change_id="CHG0042",
        operator="alice",
        host="jump1",
        devpack_version=__version__,
        python_version="3.11.9",
        inputs={"inventory inventory.yml": "sha256:" + "f" * 64},
        recorded_at=T0,
        notes=[],
    )
    c = Clock(path)
    c.at(0, "running")
    for node in ("pub", "sub"):
        c.at(1, "done", f"prechecks/{node}", node)
    c.at(60, "done", "install-publisher/pub", "pub", outcome="installed")
    c.at(90, "done", "install-subscribers/sub", "sub", outcome="installed")
    c.at(91, "paused", before="restart-publisher", message="after the installs")
    return journal


def restart_audit() -> AuditResult:
    return AuditResult(
        cluster="unit",
        gathered_at=T0 + 95,
        findings=[
            Finding(
                severity=Severity.ERROR,
                code="restart-pending",
                node="sub",
                message="installed after its CallManager started",
                remedy="reboot sub (utils system restart), after the publisher",
            ),
            Finding(
                severity=Severity.WARNING,
                code="replication-bad",
                node="sub",
                message="replication 3",
                remedy="utils dbreplication repair",
            ),
        ],
    )


def paused_report(
    tmp_path: Path, audit: AuditResult | None = None, after=None, resumed_ticket=None
):
    journal = paused_journal(tmp_path / "j.sqlite")
    if resumed_ticket:  # what a resume's flags journal over the ticket
        journal.write(RUN, "recorded", step=TICKET_STEP, **resumed_ticket)
    try:
        return build_run_report(
            journal.run(RUN),
            journal.entries(RUN),
            journal.steps(RUN),
            plan(),
            None,
            audit or restart_audit(),
            resume_command=f"devpack resume {RUN}",
            after=after,
        )
    finally:
        journal.close()


def test_a_paused_runs_findings_say_what_its_banner_says(tmp_path):
    report = paused_report(tmp_path)
    step = report.run.next_step
    assert (step.action, step.command) == ("approve", f"devpack resume {RUN}")
    restart, replication = report.audit.findings
    assert restart.code in RUN_FINISHES
    assert step.text in restart.remedy and "by hand" in restart.remedy
    assert "utils system restart" not in restart.remedy
    assert replication.remedy == "utils dbreplication repair"  # not the run's to do
    files = render(report)
    html, markdown = files["report.html"], files["report.md"]
    for text in (html, markdown):
        assert "utils system restart" not in text
        assert f"devpack resume {RUN}" in text
    document = json.loads(files["report.json"])
    assert document["run"]["next_step"]["action"] == "approve"
    assert document["audit"]["findings"][0]["remedy"] == restart.remedy


def test_a_completed_runs_findings_keep_their_own_remedy(tmp_path):
    journal = failed_then_resumed_journal(tmp_path / "j.sqlite", resume=False)
    Clock(tmp_path / "j.sqlite").at(400, "completed")
    report = build_run_report(
        journal.run(RUN), journal.entries(RUN), journal.steps(RUN), plan(), None, restart_audit()
    )
    journal.close()
    assert report.run.next_step.action == "fix-findings"
    assert report.audit.findings[0].remedy.startswith("reboot sub (utils system restart)")


def test_the_ticket_and_the_before_after_head_every_format(tmp_path):
    after = state(
        "post-run audit", pub=("9.1.2", ["dp.cop"], {"Cisco 8845": 1}), sub=("9.1.2", [], {})
    )
    report = paused_report(tmp_path, after=after)
    assert report.run.ticket.change_id == "CHG0042"
    assert report.run.ticket.recorded_at == "2027-01-15T08:00:00Z"
    assert report.changes.lost_registrations == 1
    files = render(report)
    html, markdown = files["report.html"], files["report.md"]
    # the ticket comes before everything else a run report shows
    assert html.index("CHG0042") < html.index("Before and after") < html.index("Timeline")
    assert "<td>alice</td>" in html and "jump1" in html and "Python 3.11.9" in html
    assert "| Change | **CHG0042** |" in markdown and "| Operator | alice |" in markdown
    assert markdown.index("CHG0042") < markdown.index("## Before and after")
    assert '<tr class="lost">' in html and "▼" in html
    assert "| pub | 9.1.2 → 9.1.2 | dp.cop | Cisco 8845 | 2 | 1 | ▼ **-1** |" in markdown
    assert "sha256:" + "f" * 64 in html and "sha256:" + "f" * 64 in markdown
    # every time says its zone: ISO 8601, Z for UTC
    assert "2027-01-15T08:00:00Z" in html
    assert not re.search(r"\d\d:\d\d:\d\d(?![Z.+\-\d])(?! UTC)", html.split("<svg")[0])


def test_print_stylesheet_opens_collapsed_sections_and_drops_colour(tmp_path):
    html = render(paused_report(tmp_path))["report.html"]
    assert "<details" in html
    css = html[html.index("@media print") :]
    assert "details::details-content" in css and "display:block" in css
    assert ".pill {" in css and "background:#fff !important" in css
    assert "break-inside:avoid" in css
    script = re.search(r"<script>(.*?)</script>", html, re.S)
    assert script is not None and 'setAttribute("open"' in script.group(1)


# ----- report.pdf ---------------------------------------------------------------------


def test_without_chromium_there_is_no_pdf_and_a_reason(tmp_path, monkeypatch):
    from orchestrator.report.pdf import CHROMIUM_ENV, PdfUnavailable, render_pdf

    html = tmp_path / "report.html"
    html.write_text("<html></html>")
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "no-such-browser"))
    with pytest.raises(PdfUnavailable, match=f"{CHROMIUM_ENV}=.* is not an executable file"):
        render_pdf(html)
    assert not (tmp_path / "report.pdf").exists()


def test_print_copy_opens_every_collapsed_section():
    from orchestrator.report.pdf import print_copy

    html = '<details class="steps"><summary>x</summary></details><details open>y</details>'
    assert print_copy(html) == (
        '<details open class="steps"><summary>x</summary></details><details open>y</details>'
    )


def devpack(*args: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from orchestrator.cli import cli

    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_report_pdf_without_chromium_warns_exits_0_and_writes_the_html(tmp_path, monkeypatch):
    from orchestrator.report.pdf import CHROMIUM_ENV

    state = tmp_path / "state"
    state.mkdir()
    paused_journal(state / "journal.sqlite").close()
    monkeypatch.setenv(CHROMIUM_ENV, str(tmp_path / "none"))
    code, stdout, stderr = devpack("report", RUN, "--state-dir", str(state), "--pdf")
    assert "report.html" in stdout
    folder = state / "runs" / RUN / "report"
    assert code == 0, stderr
    assert "warning: no report.pdf:" in " ".join(stderr.split())
    assert (folder / "report.html").is_file() and not (folder / "report.pdf").exists()
    assert "CHG0042" in (folder / "report.html").read_text()


@pytest.mark.parametrize(
    ("flag", "value", "said"),
    [
        ("--change-id", "CHG\x07", "--change-id contains a control character U+0007"),
        ("--operator", "", "--operator is empty"),
    ],
)
def test_bad_ticket_flags_are_refused_before_anything_is_read(tmp_path, flag, value, said):
    missing = str(tmp_path / "missing.yml")
    code, _, stderr = devpack("run", "-i", missing, "-p", missing, flag, value)
    assert code == EXIT_INPUT
    assert said in stderr and "missing.yml" not in stderr


HOSTILE = {
    "change_id": "CHG|1 [x](javascript:alert(1))",
    "operator": "<script>alert(1)</script>\\",
    "notes": ["<img src=x onerror=alert(1)> | by mallory"],
    "windows": ["<b>tonight</b> | (--window)"],
}


def test_hostile_ticket_text_is_text_in_html_and_markdown(tmp_path):
    """What an operator types (--change-id, --operator) or a resume notes never becomes
    markup: escaped in HTML, and in Markdown no raw HTML, no link, no extra column."""
    report = paused_report(tmp_path, resumed_ticket=HOSTILE)
    assert report.run.ticket.operator == HOSTILE["operator"]
    files = render(report)
    html, markdown = files["report.html"], files["report.md"]
    for raw in ("<script>alert", "<img src", "<b>tonight"):
        assert raw not in html and raw not in markdown, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "](javascript:" not in markdown.replace("\\]", "")
    rows = {line.split("|")[1].strip(): line for line in markdown.splitlines() if "|" in line}
    for label in ("Change", "Operator", "Window"):
        # a row of two cells: three unescaped bars (an escaped one is \|, a kept \ is \\)
        row = rows[label].replace("\\\\", "").replace("\\|", "")
        assert row.count("|") == 3, rows[label]
    assert "- " + "&lt;img src=x onerror=alert(1)&gt; \\| by mallory" in markdown
