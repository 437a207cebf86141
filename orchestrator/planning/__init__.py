"""Pure planning: from facts, inventory and playbook to an ordered, explained plan."""

from orchestrator.planning.estimates import Estimates
from orchestrator.planning.facts import ClusterFacts, NodeFacts, reconcile
from orchestrator.planning.plan import (
    Action,
    Gate,
    Plan,
    Skip,
    Stage,
    StageKind,
    Step,
    fingerprint,
    relevant_options,
)
from orchestrator.planning.planner import build_plan
from orchestrator.planning.waves import WaveProblem, WaveSchedule, schedule_waves, violations

__all__ = [
    "Action",
    "ClusterFacts",
    "Estimates",
    "Gate",
    "NodeFacts",
    "Plan",
    "Skip",
    "Stage",
    "StageKind",
    "Step",
    "WaveProblem",
    "WaveSchedule",
    "build_plan",
    "fingerprint",
    "reconcile",
    "relevant_options",
    "schedule_waves",
    "violations",
]
