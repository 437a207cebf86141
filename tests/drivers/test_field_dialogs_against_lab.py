"""The field's CLI shapes (issue 10, reference 9.4/9.5) over real SSH against the lab:
replication checks still running, unexpected prompts, dropped install sessions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from orchestrator.cucm.release import cop_base_name
from orchestrator.drivers.ssh import InstallOutcome
from orchestrator.drivers.ssh.errors import UnexpectedPrompt
from orchestrator.lab.config import ExtraPrompt, LabConfig, Rules
from orchestrator.lab.runner import Lab

from .lab_env import PACK, Env, config

PACK_BASE = cop_base_name(PACK.file)

pytestmark = pytest.mark.e2e


def lab_config(rules: Rules | None = None, **timing: float) -> LabConfig:
    base = config()
    return base.model_copy(update={"rules": rules or Rules(), "timing": {**base.timing, **timing}})


def _env(tmp: Path, cfg: LabConfig) -> Iterator[Env]:
    with Lab(cfg, tmp / "lab") as lab:
        yield Env(lab, tmp)


@pytest.fixture(scope="module")
def slow_check(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from _env(
        tmp_path_factory.mktemp("lab"),
        lab_config(replication_check_seconds=0.6, replication_check_shown_seconds=0.6),
    )


def test_replication_table_is_judged_only_once_the_check_completed(slow_check: Env) -> None:
    world = slow_check.lab.world
    with slow_check.cli("pub") as cli:
        first = cli.run("utils dbreplication runtimestate")  # starts a check: all 2 now
        assert "in PROGRESS" in first and "COMPLETED" not in first
        assert cli.dbreplication_runtimestate(timeout=10, first_poll=0.1).all_good
        with world.lock:  # a subscriber goes bad; the next check will find it
            world.nodes["sub1"].replication = 3
        commands = len(world.events.select("cli_command", "pub"))
        # the finished check is shown for as long as it took; then a new one starts
        time.sleep(0.7)
        raw = cli.run("utils dbreplication runtimestate")
        assert "in PROGRESS" in raw and "(3)" not in raw  # stale, not final
        status = cli.dbreplication_runtimestate(timeout=10, first_poll=0.1)
        assert status.status_completed and status.tables_checked == status.tables_total
        assert status.state_of("sub1") == 3 and not status.all_good
        reads = len(world.events.select("cli_command", "pub")) - commands
        assert reads >= 3  # the driver read it again while it was IN PROGRESS


SWITCH = "Automatically switch versions if the upgrade is successful (yes/no):"


@pytest.fixture(scope="module")
def asking(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    rules = Rules(
        extra_prompts=[
            ExtraPrompt(at="before_download", text=SWITCH, node="sub1"),
            ExtraPrompt(
                at="before_start_installation", text="Start Refresh Upgrade (yes/no):", node="new"
            ),
            ExtraPrompt(at="restart", text="Continue (y/n)?", node="pub"),
        ]
    )
    yield from _env(tmp_path_factory.mktemp("lab"), lab_config(rules))


@pytest.mark.parametrize(
    ("node", "question"),
    [
        ("sub1", SWITCH),
        ("new", "Start Refresh Upgrade (yes/no):"),
    ],
)
def test_install_stops_at_an_unexpected_question_and_leaves_the_node_as_it_was(
    asking: Env, node: str, question: str
) -> None:
    world = asking.lab.world
    before = len(world.events.all())
    started = time.monotonic()
    with asking.cli(node) as cli:
        result = cli.install_cop(asking.request(prompt_timeout=3600, download_timeout=3600))
        elapsed = time.monotonic() - started
        assert result.outcome is InstallOutcome.UNKNOWN_PROMPT, result.transcript
        assert question in result.message and question in result.transcript
        assert "utils system upgrade cancel" in result.message
        assert asking.lab.config.sftp.password not in result.transcript
        assert cli.is_open and cli.upgrade_status().state == "Idle"
        assert PACK_BASE not in cli.show_version().options
    assert elapsed < 10  # at once, not after the phase timeout
    events = world.events.all()[before:]
    shown = [e for e in events if e.event == "extra_prompt_shown"]
    assert [e.data["text"] for e in shown] == [question]
    assert not [e for e in events if e.event in ("extra_prompt_answered", "install_started")]
    commands = [e.data["command"] for e in events if e.event == "cli_command"]
    assert "utils system upgrade cancel" in commands
    assert world.nodes[node].upgrade.owner is None


def test_restart_stops_at_an_unexpected_question_and_nothing_restarts(asking: Env) -> None:
    world = asking.lab.world
    before = len(world.events.all())
    with asking.cli("pub") as cli:
        with pytest.raises(UnexpectedPrompt) as info:
            cli.restart_system(confirm_timeout=3600, close_timeout=3600)
        assert info.value.prompt == "Continue (y/n)?" and "W A R N I N G" in info.value.transcript
        assert cli.is_open and cli.myself().machine_name == "pub"
    events = [e.event for e in world.events.all()[before:]]
    assert "reboot_started" not in events and "extra_prompt_answered" not in events
    assert world.nodes["pub"].phase == "up"


def test_session_timeout_cuts_a_long_install_unless_raised_for_it(tmp_path: Path) -> None:
    # 30 CLI minutes = 1.5 s here; an install takes 2.5 s
    cfg = lab_config(cli_minute_seconds=0.05, install_seconds=2.5)
    for env in _env(tmp_path, cfg):
        world = env.lab.world
        with env.cli("sub1") as cli:
            cut = cli.install_cop(env.request(install_timeout=20))
        assert cut.outcome is InstallOutcome.SESSION_CLOSED, cut.transcript
        assert world.events.select("cli_session_timed_out", "sub1")
        # the cautious default: the install dies with its session, the framework is stuck
        upgrade = world.nodes["sub1"].upgrade
        assert world.wait_for(lambda: upgrade.stuck, 3)  # noqa: B023 (used at once)
        with env.cli("new") as cli:
            assert cli.session_timeout() == 30
            assert cli.set_session_timeout(100)
        with env.cli("new") as cli:  # the new value holds for new sessions
            done = cli.install_cop(env.request(install_timeout=20))
            assert done.outcome is InstallOutcome.INSTALLED, done.transcript
            assert cli.set_session_timeout(30)
        assert not world.events.select("upgrade_framework_stuck", "new")


@pytest.fixture(scope="module")
def field_check(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    # the lab's defaults: a finished check is shown until a new one is started
    base = lab_config(replication_check_seconds=0.3)
    yield from _env(
        tmp_path_factory.mktemp("lab"), base.model_copy(update={"timezone": "America/Chicago"})
    )


def test_runtimestate_shows_the_last_check_until_status_starts_a_new_one(
    field_check: Env,
) -> None:
    world = field_check.lab.world
    with field_check.cli("pub") as cli:
        first = cli.dbreplication_runtimestate(timeout=10, first_poll=0.05)
        assert first.all_good and first.started_file is not None
        # node-local stamps (reference 9.4): the publisher's zone, not UTC
        local_now = datetime.now(ZoneInfo("America/Chicago")).replace(tzinfo=None)
        assert abs((local_now - first.started_file).total_seconds()) < 30
        assert first.started_minute == first.started_file.replace(second=0)
        with world.lock:
            world.nodes["sub1"].replication = 3
        time.sleep(0.5)
        again = cli.dbreplication_runtimestate(timeout=10, first_poll=0.05)
        assert again.started_file == first.started_file and again.all_good  # the old table
        time.sleep(1.0)  # the new check's file is named after a later second
        started = cli.start_replication_check()
        assert started.started_file is not None and started.started_file > first.started_file
        fresh = cli.dbreplication_runtimestate(timeout=10, first_poll=0.05)
        assert fresh.started_file == started.started_file and fresh.state_of("sub1") == 3
