"""The change report's before/after: versions, installed options and registered phones per
node and model, before the first change and after the run, and what changed.

Before = what discovery read (``cluster.snapshot`` through ``engine.discovery``) plus
RisPort70's registrations, taken once when a run starts, written to the run folder and
the journal at once (a resumed or interrupted run still has it). After = what the
post-run audit read (the same node reader) plus RisPort70 again. The registrations come
from the audit's own RisPort70 reader (``Gatherer.registrations``), both times.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import structlog

from orchestrator import logs
from orchestrator.audit.gather import AuditInputs, Gatherer
from orchestrator.audit.model import AuditFacts
from orchestrator.cluster.pool import ConnectionPool
from orchestrator.engine.journal import Entry
from orchestrator.files import make_dirs, write_private
from orchestrator.planning.facts import ClusterFacts
from orchestrator.report.schema import (
    ChangesOut,
    ClusterState,
    ModelChange,
    NodeChange,
    NodeState,
    iso,
)
from orchestrator.ticket import RECORD_PREFIX

log = structlog.get_logger(__name__)

BEFORE_STEP = RECORD_PREFIX + "snapshot-before"
BEFORE_FILE = "snapshot-before.json"
Registrations = dict[str, dict[str, int]]


def read_registrations(
    inputs: AuditInputs, pool: ConnectionPool
) -> tuple[Registrations | None, str | None]:
    """Registered phones per node and model, or why they could not be read (never raises:
    a report without them beats no report, and a run must not fail on them)."""
    try:
        return Gatherer(inputs, pool).registrations(), None
    except Exception as exc:
        log.warning("report.registrations_unavailable", error=str(exc))
        reason = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return None, logs.REDACTOR.scrub(str(reason))


def before_state(
    facts: ClusterFacts,
    registered: Registrations | None,
    error: str | None,
    labels: dict[str, str] | None = None,
) -> ClusterState:
    """``labels``: address -> the inventory's name for the node, the name the audit (the
    "after") and the registrations use; discovery may know a node by its hostname."""
    labels = labels or {}
    return ClusterState(
        taken_at=iso(time.time()) or "",
        source="discovery",
        nodes=[
            NodeState(
                name=labels.get(node.address, node.name),
                release=node.release,
                options=list(node.installed_options),
                timezone=node.timezone,
                registered=(registered or {}).get(labels.get(node.address, node.name), {}),
            )
            for node in facts.nodes
        ],
        phones_error=error,
    )


def after_state(
    facts: AuditFacts, registered: Registrations | None, error: str | None
) -> ClusterState:
    return ClusterState(
        taken_at=iso(facts.gathered_at) or "",
        source="post-run audit",
        nodes=[
            NodeState(
                name=node.name,
                release=node.release,
                options=list(node.options),
                timezone=node.timezone,
                registered=(registered or {}).get(node.name, {}),
            )
            for node in facts.nodes
        ],
        phones_error=error,
    )


def save_before(run_folder: Path, state: ClusterState) -> Path:
    """The before snapshot into the run folder, the moment it is taken."""
    make_dirs(run_folder)
    path = run_folder / BEFORE_FILE
    write_private(path, state.model_dump_json(indent=2) + "\n")
    return path


def journaled_before(entries: list[Entry]) -> ClusterState | None:
    """The run's before snapshot from its journal (the first one: a resume keeps it)."""
    for entry in entries:
        if entry.step == BEFORE_STEP:
            return ClusterState.model_validate(entry.detail)
    return None


def journal_detail(state: ClusterState) -> dict[str, Any]:
    return state.model_dump(mode="json")


def diff(before: ClusterState | None, after: ClusterState | None) -> ChangesOut:
    """Per node: release, options added/removed, registered phones per model before ->
    after (``lost`` when a model has fewer than before: the classic failure)."""
    changes = ChangesOut(before=before, after=after)
    if before is None and after is None:
        return changes
    was = {n.name: n for n in before.nodes} if before else {}
    now = {n.name: n for n in after.nodes} if after else {}
    phones_known = (before is not None and before.phones_error is None) and (
        after is not None and after.phones_error is None
    )
    for name in [*was, *(n for n in now if n not in was)]:
        old, new = was.get(name), now.get(name)
        node = NodeChange(
            node=name,
            release_before=old.release if old else None,
            release_after=new.release if new else None,
        )
        if old and new:
            node.options_added = sorted(set(new.options) - set(old.options))
            node.options_removed = sorted(set(old.options) - set(new.options))
        if phones_known and old and new:
            for model in sorted(old.registered.keys() | new.registered.keys()):
                a, b = old.registered.get(model, 0), new.registered.get(model, 0)
                change = ModelChange(model=model, before=a, after=b, delta=b - a, lost=b < a)
                node.models.append(change)
        changes.nodes.append(node)
    changes.lost_registrations = sum(-m.delta for n in changes.nodes for m in n.models if m.lost)
    return changes
