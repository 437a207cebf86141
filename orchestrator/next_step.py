"""What the operator does next, for a run's outcome: decided here once.

The console's "what to do", the report's banner, the findings of a run that is not
finished, ``--json``'s ``next_step`` and the notifications all take it from
``next_step``, so none of them can tell the operator something another contradicts (a
banner saying ``devpack resume`` while a finding says to restart the nodes by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from orchestrator.engine.states import RunState


class Action(StrEnum):
    NOTHING = "nothing"  # completed, the audit found the cluster right
    FIX_FINDINGS = "fix-findings"  # completed, but the post-run audit found errors
    APPROVE = "approve"  # paused before a stage: the resume is its approval
    NEXT_WINDOW = "next-window"  # paused at the window's end
    RESUME = "resume"  # interrupted, or stopped without an outcome
    FIX_THEN_RESUME = "fix-then-resume"  # failed: fix the cause, then resume


# Actions after which devpack itself still does the rest of the plan (restarts included):
# nothing in the cluster should be restarted by hand meanwhile.
RESUMABLE = frozenset({Action.APPROVE, Action.NEXT_WINDOW, Action.RESUME, Action.FIX_THEN_RESUME})


@dataclass(frozen=True)
class NextStep:
    action: Action
    command: str | None  # the command to type (None: nothing to type)
    # the whole instruction, one line; the command alone where it says everything
    text: str

    @property
    def resumes(self) -> bool:
        return self.action in RESUMABLE


def next_step(
    status: str,
    resume_command: str,
    *,
    remedy: str = "",
    paused_before: str | None = None,
    audit_errors: int = 0,
) -> NextStep:
    """The one table from a run's state (``RunState`` value, or "running" for a run that
    stopped without an outcome) to what the operator does next."""
    if status == RunState.COMPLETED:
        if audit_errors:
            return NextStep(
                Action.FIX_FINDINGS,
                None,
                f"the rollout completed but the post-run audit found {audit_errors} "
                "error(s): do what each finding says, then audit again (devpack audit)",
            )
        return NextStep(Action.NOTHING, None, "nothing: the rollout completed")
    if status == RunState.PAUSED:
        stage = f"{paused_before} " if paused_before else "the next stage "
        return NextStep(
            Action.APPROVE,
            resume_command,
            f"when {stage}is approved, continue with: {resume_command} "
            "(devpack does the remaining steps, restarts included)",
        )
    if status == RunState.PAUSED_WINDOW:
        # the outcome's own command already asks for a window (--window START/END)
        command = resume_command
        if "--window" not in resume_command.split():
            command = f"{resume_command} --window START/END"
        return NextStep(Action.NEXT_WINDOW, command, command)
    if status == RunState.FAILED:
        text = f"{remedy}; then: {resume_command}" if remedy else resume_command
        return NextStep(Action.FIX_THEN_RESUME, resume_command, text)
    # interrupted, or killed without an outcome
    return NextStep(Action.RESUME, resume_command, resume_command)
