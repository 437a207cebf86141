"""Check a plan given with ``devpack run --plan`` before it is executed. Pure: no I/O.

A plan file can be edited by hand, so matching the cluster (the fingerprint) is not
enough: it must do the same work as a plan made now, in an order and in restart
waves the planner's rules allow. Any split that keeps the rules passes (the serial
baseline, one node per stage, is one); unsafe ones are refused with every problem.
"""

from __future__ import annotations

import re
from collections import Counter

from orchestrator.config.playbook import Playbook
from orchestrator.planning.facts import ClusterFacts
from orchestrator.planning.plan import Action, Plan, Stage, StageKind, Step
from orchestrator.planning.planner import wave_problem
from orchestrator.planning.waves import cycle_edges, violations

RESTARTS = frozenset({Action.REBOOT, Action.RESTART_SERVICES})
ACTIONS_OF_KIND: dict[StageKind, frozenset[Action]] = {
    StageKind.PRECHECKS: frozenset({Action.PRECHECK}),
    StageKind.INSTALL_PUBLISHER: frozenset({Action.INSTALL}),
    StageKind.INSTALL_TFTP: frozenset({Action.INSTALL}),
    StageKind.INSTALL_SUBSCRIBERS: frozenset({Action.INSTALL}),
    StageKind.VERIFY_PUBLISHER: frozenset({Action.VERIFY}),
    StageKind.VERIFY: frozenset({Action.VERIFY}),
    StageKind.RESTART_PUBLISHER: RESTARTS,
    StageKind.RESTART_WAVE: RESTARTS,
    StageKind.POSTCHECKS: frozenset({Action.POSTCHECK}),
}
Work = tuple[Action, str, tuple[str, ...], tuple[str, ...]]


def plan_problems(given: Plan, fresh: Plan, facts: ClusterFacts, playbook: Playbook) -> list[str]:
    """Why ``given`` must not run; empty when it may.

    ``fresh`` is the plan made now from ``facts`` (reconciled with the inventory, as the
    planner saw them) and ``playbook``.
    """
    if given.cluster != fresh.cluster:
        return [f"this plan is for cluster {given.cluster}, not {fresh.cluster}"]
    if given.cops != fresh.cops:
        return [
            f"this plan installs {', '.join(given.cops)}; the playbook now names "
            f"{', '.join(fresh.cops)}: make the plan again (devpack plan --output FILE)"
        ]
    if given.fingerprint != fresh.fingerprint:
        return [
            "the cluster no longer matches this plan (nodes, releases, services, "
            "installed options or CallManager groups changed since it was made)"
        ]
    problems = []
    if given.restart_scope != fresh.restart_scope:
        problems.append(
            f"this plan's restart scope is {given.restart_scope or 'none'}, "
            f"a plan made now: {fresh.restart_scope or 'none'}"
        )
    problems += _work_problems(given, fresh)
    problems += _shape(given, facts)
    if problems:
        return problems  # order and waves are only meaningful for the right steps
    problems += _order(given, facts)
    problems += _restart_waves(given, fresh, facts, playbook)
    return problems


def _work(step: Step) -> Work:
    return (step.action, ",".join(step.nodes), tuple(step.services), tuple(step.models))


def _describe(work: Work) -> str:
    action, node, services, models = work
    detail = f" ({', '.join(services or models)})" if services or models else ""
    return f"{action} on {node}{detail}"


def _work_problems(given: Plan, fresh: Plan) -> list[str]:
    have = Counter(_work(s) for s in given.steps)
    want = Counter(_work(s) for s in fresh.steps)
    problems = [f"missing: {_describe(w)}" for w in sorted(want - have)]
    problems += [
        f"not in a plan made now: {_describe(w)}" for w in sorted(have - want) if w not in want
    ]
    problems += [f"twice: {_describe(w)}" for w in sorted(have - want) if w in want]
    return problems


def _shape(plan: Plan, facts: ClusterFacts) -> list[str]:
    problems = []
    names = {n.name for n in facts.nodes}
    for name, count in Counter(stage.name for stage in plan.stages).items():
        if count > 1:
            problems.append(f"stage name {name} is used {count} times")
    for step_id, count in Counter(step.id for step in plan.steps).items():
        if count > 1:
            problems.append(f"step id {step_id} is used {count} times")
    for stage in plan.stages:
        for step in stage.steps:
            if len(step.nodes) != 1 or step.nodes[0] not in names:
                problems.append(f"step {step.id} must name one node of the cluster")
            if step.action not in ACTIONS_OF_KIND[stage.kind]:
                problems.append(f"stage {stage.name} ({stage.kind}) holds a {step.action} step")
    return problems


def _order(plan: Plan, facts: ClusterFacts) -> list[str]:
    """Stage order: prechecks, publisher install, its verify, installs, verify, restarts,
    postchecks."""
    pub = facts.publisher.name
    stages = [s for s in plan.stages if s.steps]
    kinds = [s.kind for s in stages]
    problems = []

    def where(action: Action, node: str | None = None) -> list[int]:
        return [
            i
            for i, s in enumerate(stages)
            for step in s.steps
            if step.action is action and (node is None or step.nodes[0] == node)
        ]

    prechecks, postchecks = where(Action.PRECHECK), where(Action.POSTCHECK)
    others = [
        i for i, k in enumerate(kinds) if k not in (StageKind.PRECHECKS, StageKind.POSTCHECKS)
    ]
    if prechecks and others and max(prechecks) > min(others):
        problems.append("prechecks must come before every other stage")
    if postchecks and others and min(postchecks) < max(others):
        problems.append("postchecks must come after every other stage")

    installs = where(Action.INSTALL)
    pub_install = where(Action.INSTALL, pub)
    if pub_install:
        at = pub_install[0]
        if len(stages[at].steps) > 1:
            problems.append(
                f"the publisher installs alone: stage {stages[at].name} installs "
                "other nodes with it"
            )
        if any(i < at for i in installs):
            problems.append("the publisher installs before every other node")
    verify = [i for i, kind in enumerate(kinds) if kind is StageKind.VERIFY]
    subscriber_installs = [i for i in installs if i not in pub_install]
    for i, kind in enumerate(kinds):
        if kind is not StageKind.VERIFY_PUBLISHER:
            continue
        if pub_install and i < pub_install[0]:
            problems.append(f"stage {stages[i].name} must come after the publisher's install")
        if any(j < i for j in subscriber_installs):
            problems.append(f"stage {stages[i].name} must come before any subscriber install")
    restarts = [i for i, s in enumerate(stages) for step in s.steps if step.action in RESTARTS]
    for i in sorted(set(installs)):
        node = stages[i].steps[0].nodes[0]
        own_restart = [
            r for r in restarts if stages[r].steps[0].nodes[0] == node and len(stages[r].steps) == 1
        ]
        # The serial shape: one subscriber installed alone right before its own restart.
        serial = node != pub and len(stages[i].steps) == 1 and i + 1 in own_restart
        if verify and i > verify[0] and not serial:
            names = ", ".join(step.nodes[0] for step in stages[i].steps)
            problems.append(f"stage {stages[i].name} installs {names} after verify")
        for step in stages[i].steps:
            if any(r < i for r in restarts for s in stages[r].steps if s.nodes[0] == step.nodes[0]):
                problems.append(f"{step.nodes[0]} restarts before its install")
    if verify and any(r < verify[0] for r in restarts):
        problems.append("verify must come before any restart")

    pub_restart = [r for r in restarts if any(s.nodes[0] == pub for s in stages[r].steps)]
    if pub_restart:
        at = pub_restart[0]
        if len(stages[at].steps) > 1:
            problems.append(
                f"the publisher restarts alone: stage {stages[at].name} restarts "
                "other nodes with it"
            )
        if any(r < at for r in restarts):
            problems.append("the publisher restarts before every subscriber")
    return problems


def _restart_waves(given: Plan, fresh: Plan, facts: ClusterFacts, playbook: Playbook) -> list[str]:
    """Each subscriber restart stage against the planner's wave rules."""
    pub = facts.publisher.name
    waves: list[Stage] = [
        s
        for s in given.stages
        if any(step.action in RESTARTS for step in s.steps)
        and not any(step.nodes[0] == pub for step in s.steps)
    ]
    targets = {step.nodes[0] for step in fresh.steps if step.action in RESTARTS}
    problem = wave_problem(facts, targets, playbook.waves.max_parallel)
    found = violations(
        problem, [[step.nodes[0] for step in s.steps] for s in waves], cycle_edges(problem)
    )
    problems = [_name_wave(text, waves) for text in found]

    def replication(stages: list[Stage]) -> bool:
        return any(s.gate is not None and s.gate.replication for s in stages)

    fresh_restarts = [
        s for s in fresh.stages if s.kind in (StageKind.RESTART_PUBLISHER, StageKind.RESTART_WAVE)
    ]
    if replication(fresh_restarts):
        for stage in given.stages:
            if any(step.action in RESTARTS for step in stage.steps) and not (
                stage.gate and stage.gate.replication
            ):
                problems.append(
                    f"stage {stage.name} does not wait for database replication after its restarts"
                )
    if fresh.replication_checks and not given.replication_checks:
        problems.append(
            "the plan skips the replication checks, which only a single-node cluster may"
        )
    for stage in given.stages:
        if stage.kind is StageKind.INSTALL_SUBSCRIBERS or stage.kind is StageKind.INSTALL_TFTP:
            at_once = min(len(stage.steps), stage.max_parallel or len(stage.steps))
            if at_once > playbook.waves.install_parallel:
                problems.append(
                    f"stage {stage.name} installs {at_once} nodes at once > "
                    f"{playbook.waves.install_parallel} (waves.install_parallel)"
                )
    return problems


def _name_wave(text: str, waves: list[Stage]) -> str:
    """'wave 2 restarts a, b of group G' -> 'stage restart-wave-2 restarts ...'."""
    match = re.match(r"wave (\d+)", text)
    if match is None:
        return text
    return f"stage {waves[int(match.group(1)) - 1].name}{text[match.end() :]}"
