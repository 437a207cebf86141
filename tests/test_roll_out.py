"""The one exit-code rule of a run (run, resume, demo and each fleet cluster)."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrator.engine.rollout import RunOutcome
from orchestrator.engine.states import RunState
from orchestrator.errors import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_PAUSED,
    EXIT_PRECHECK,
)
from orchestrator.planning.plan import Plan
from orchestrator.roll_out import PostRunReport, RunResult, exit_code

PLAN = Plan.model_construct(cluster="c", steps=[], stages=[])
CLEAN = PostRunReport(Path("report"), errors=0, warnings=2)
DIRTY = PostRunReport(Path("report"), errors=1)
NO_REPORT = PostRunReport(None, failure="OSError: disk full")


def result(status: RunState | None, report: PostRunReport | None, **kw: object) -> RunResult:
    outcome = None if status is None else RunOutcome("r1", status, **kw)  # type: ignore[arg-type]
    return RunResult("r1", PLAN, outcome, Path("state"), report)


@pytest.mark.parametrize(
    ("status", "report", "extra", "code"),
    [
        (RunState.COMPLETED, CLEAN, {}, EXIT_OK),
        (RunState.COMPLETED, DIRTY, {}, EXIT_FAILED),  # the cluster is not right
        (RunState.COMPLETED, NO_REPORT, {}, EXIT_OK),  # a missing report never fails a run
        (RunState.COMPLETED, None, {}, EXIT_OK),
        (None, DIRTY, {}, EXIT_FAILED),  # resume of a completed run: its audit decides
        (None, CLEAN, {}, EXIT_OK),
        (RunState.FAILED, CLEAN, {}, EXIT_FAILED),
        (RunState.FAILED, DIRTY, {"precheck": True}, EXIT_PRECHECK),
        (RunState.PAUSED_WINDOW, DIRTY, {}, EXIT_PAUSED),
        (RunState.INTERRUPTED, CLEAN, {}, EXIT_INTERRUPTED),
    ],
)
def test_exit_code(status, report, extra, code):
    assert exit_code(result(status, report, **extra)) == code
