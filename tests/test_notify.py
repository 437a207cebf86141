"""Notifications over real HTTP to a loopback receiver: every event, the redactor, a
failing notifier that must not raise, and the playbook's notify rules."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from webhook import webhook_receiver

from orchestrator import logs
from orchestrator.config.errors import ConfigError
from orchestrator.config.loader import load_playbook
from orchestrator.config.secrets import Secret
from orchestrator.notify import Event, Notice, Notifier

PLAYBOOK = """\
cop: {{file: cmterm-devicepack1.cop.sgn, md5: 0123456789abcdef0123456789abcdef}}
sftp: {{host: 127.0.0.1, directory: /cop, username: u, password: env:X}}
models: [Cisco 8851]
{extra}
"""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_every_event_reaches_the_webhook_and_a_dead_one_is_only_logged():
    logs.REDACTOR.add("s3cret-pw")
    with webhook_receiver() as hook:
        dead = f"json://127.0.0.1:{closed_port()}/nobody"
        notifier = Notifier([Secret(dead), Secret(hook.url)])
        for event in Event:
            notifier.send(
                Notice(
                    event,
                    "prod",
                    "chg-1",
                    f"{event} with s3cret-pw in a message",
                    "devpack resume chg-1",
                    "/state/runs/chg-1/report/report.html",
                )
            )
    assert hook.events() == [str(e) for e in Event]
    assert notifier.sent == len(Event)  # the dead target never counted, never raised
    first = hook.posts[0]
    assert first["title"] == "devpack prod: run chg-1 start"
    assert "continue with: devpack resume chg-1" in first["message"]
    assert "report: /state/runs/chg-1/report/report.html" in first["message"]
    assert all("s3cret-pw" not in post["message"] for post in hook.posts)
    assert hook.paths == ["/devpack-hook"] * len(Event)


def load(tmp_path: Path, extra: str):
    path = tmp_path / "pb.yml"
    path.write_text(PLAYBOOK.format(extra=extra))
    return load_playbook(path)


def test_notify_urls_by_reference_and_in_clear(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("TEAMS_URL", "json://127.0.0.1:9/token-in-path")
    playbook = load(tmp_path, "notify: [env:TEAMS_URL, 'json://127.0.0.1:8/open']")
    notifier = Notifier.from_playbook(playbook)
    assert bool(notifier)
    assert logs.REDACTOR.scrub("json://127.0.0.1:9/token-in-path") == logs.REDACTED


def test_a_url_with_a_password_in_clear_is_refused_without_echoing_it(tmp_path: Path):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "notify: ['mailto://admin:hunter2@mail.example.com']")
    assert "password in clear text" in str(caught.value)
    assert "hunter2" not in str(caught.value)
    assert "line 4" in str(caught.value)


def test_approvals_must_name_stages_devpack_plans(tmp_path: Path):
    playbook = load(tmp_path, "approvals: [restart-publisher, restart-wave-*]\nstop_after: install")
    assert playbook.approvals == ["restart-publisher", "restart-wave-*"]
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, "approvals: [restart-wav]")
    assert "names no stage" in str(caught.value) and "restart-wave-N" in str(caught.value)
    with pytest.raises(ConfigError):
        load(tmp_path, "stop_after: restart")
