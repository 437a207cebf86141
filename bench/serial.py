"""The serial baseline as a plan transformation: one node at a time, install then
restart, publisher first, as a per-node script would do it.

The result is an ordinary devpack plan (same fingerprint), so ``devpack run --plan``
executes it with the same engine, drivers, polling and gates as the real plan.
"""

from __future__ import annotations

from orchestrator.planning.plan import Plan, Stage, StageKind, Step

RESTARTS = {StageKind.RESTART_PUBLISHER, StageKind.RESTART_WAVE}


def _renamed(step: Step, stage: str) -> Step:
    return step.model_copy(update={"stage": stage, "id": f"{stage}/{step.nodes[0]}"})


def _single(step: Step, kind: StageKind, prefix: str, template: Stage) -> Stage:
    name = f"{prefix}-{step.nodes[0]}"
    return Stage(
        name=name,
        kind=kind,
        steps=[_renamed(step, name)],
        gate=template.gate if kind in RESTARTS else None,
        reason="serial baseline: one node at a time",
    )


def serialise(plan: Plan) -> Plan:
    by_kind: dict[StageKind, list[Stage]] = {}
    for stage in plan.stages:
        by_kind.setdefault(stage.kind, []).append(stage)
    installs = {
        step.nodes[0]: (step, stage)
        for stage in plan.stages
        if stage.kind.value.startswith("install")
        for step in stage.steps
    }
    restarts = {
        step.nodes[0]: (step, stage)
        for stage in plan.stages
        if stage.kind in RESTARTS
        for step in stage.steps
    }
    publisher = by_kind[StageKind.RESTART_PUBLISHER][0].steps[0].nodes[0]
    order = [publisher] + [n for n in restarts if n != publisher]
    stages = list(by_kind[StageKind.PRECHECKS])
    for node in order:
        if node in installs:
            step, stage = installs[node]
            kind = StageKind.INSTALL_PUBLISHER if node == publisher else stage.kind
            stages.append(_single(step, kind, "install", stage))
        if node == publisher:
            stages += by_kind.get(StageKind.VERIFY_PUBLISHER, []) + by_kind[StageKind.VERIFY]
        step, stage = restarts[node]
        stages.append(_single(step, stage.kind, "restart", stage))
    stages += by_kind[StageKind.POSTCHECKS]
    return plan.model_copy(update={"stages": stages})
