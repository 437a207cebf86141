"""The field's CLI shapes (issue 10, reference 9.4/9.5) over real SSH against the lab:
replication checks still running, unexpected prompts, dropped install sessions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orchestrator.lab.config import LabConfig, Rules
from orchestrator.lab.runner import Lab

from .test_cli_against_lab import Env, config

pytestmark = pytest.mark.e2e


def lab_config(rules: Rules | None = None, **timing: float) -> LabConfig:
    base = config()
    return base.model_copy(update={"rules": rules or Rules(), "timing": {**base.timing, **timing}})


def _env(tmp: Path, cfg: LabConfig) -> Iterator[Env]:
    with Lab(cfg, tmp / "lab") as lab:
        yield Env(lab, tmp)


@pytest.fixture(scope="module")
def slow_check(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Env]:
    yield from _env(tmp_path_factory.mktemp("lab"), lab_config(replication_check_seconds=0.6))


def test_replication_table_is_judged_only_once_the_check_completed(slow_check: Env) -> None:
    world = slow_check.lab.world
    with slow_check.cli("pub") as cli:
        first = cli.run("utils dbreplication runtimestate")  # starts a check: all 2 now
        assert "IN PROGRESS" in first and "COMPLETED" not in first
        assert cli.dbreplication_runtimestate(timeout=10, first_poll=0.1).all_good
        with world.lock:  # a subscriber goes bad; the next check will find it
            world.nodes["sub1"].replication = 3
        commands = len(world.events.select("cli_command", "pub"))
        # the finished check is shown for as long as it took; then a new one starts
        time.sleep(0.7)
        raw = cli.run("utils dbreplication runtimestate")
        assert "IN PROGRESS" in raw and "(3)" not in raw  # stale, not final
        status = cli.dbreplication_runtimestate(timeout=10, first_poll=0.1)
        assert status.status_completed and status.tables_checked == status.tables_total
        assert status.state_of("sub1") == 3 and not status.all_good
        reads = len(world.events.select("cli_command", "pub")) - commands
        assert reads >= 3  # the driver read it again while it was IN PROGRESS
