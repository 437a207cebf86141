"""A journal written the way the engine writes it, with controlled times (no lab)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from orchestrator.engine.journal import Journal
from orchestrator.planning.estimates import Estimates
from orchestrator.planning.plan import Action, Gate, Plan, Stage, StageKind, Step

T0 = 1_800_000_000.0
RUN = "unit-20270115T020000Z-abcd"


def _step(stage: str, action: Action, node: str) -> Step:
    return Step(
        id=f"{stage}/{node}",
        stage=stage,
        action=action,
        nodes=[node],
        estimated_seconds=10,
        reason="because",
    )


def plan() -> Plan:
    gate = Gate(replication=True, estimated_seconds=5, reason="replication 2")
    return Plan(
        cluster="unit",
        cop_file="cmterm-devicepack12.5.1.17123-1.cop.sgn",
        restart_scope="reboot",
        restart_reason="9.1 needs a reboot",
        stages=[
            Stage(
                name="prechecks",
                kind=StageKind.PRECHECKS,
                reason="check",
                steps=[_step("prechecks", Action.PRECHECK, n) for n in ("pub", "sub")],
            ),
            Stage(
                name="install-publisher",
                kind=StageKind.INSTALL_PUBLISHER,
                reason="pub first",
                steps=[_step("install-publisher", Action.INSTALL, "pub")],
            ),
            Stage(
                name="install-subscribers",
                kind=StageKind.INSTALL_SUBSCRIBERS,
                reason="then",
                steps=[_step("install-subscribers", Action.INSTALL, "sub")],
            ),
            Stage(
                name="restart-publisher",
                kind=StageKind.RESTART_PUBLISHER,
                reason="pub",
                steps=[_step("restart-publisher", Action.REBOOT, "pub")],
                gate=gate,
            ),
            Stage(
                name="restart-wave-1",
                kind=StageKind.RESTART_WAVE,
                reason="wave",
                steps=[_step("restart-wave-1", Action.REBOOT, "sub")],
                gate=gate,
            ),
        ],
        estimates=Estimates(),
        fingerprint="sha256:0",
    )


class Clock:
    """Appends entries at chosen times, through the journal's own table (as it stores them)."""

    def __init__(self, path: Path) -> None:
        self.db = sqlite3.connect(path, isolation_level=None)

    def at(
        self,
        offset: float,
        state: str,
        step: str | None = None,
        node: str | None = None,
        **detail: object,
    ) -> None:
        self.db.execute(
            "insert into entries (run_id, time, step, node, state, detail)"
            " values (?, ?, ?, ?, ?, ?)",
            (RUN, T0 + offset, step, node, state, json.dumps(detail, sort_keys=True)),
        )


def failed_then_resumed_journal(path: Path, *, resume: bool = True) -> Journal:
    """pub installs and reboots; sub's install fails; a resume finishes the job."""
    journal = Journal(path)
    journal.create_run(RUN, "unit", plan().model_dump_json(), "/x/inventory.yml", "/x/pb.yml")
    c = Clock(path)
    c.at(0, "running")
    c.at(0, "started", "stage/prechecks")
    for node in ("pub", "sub"):
        c.at(0, "checking", f"prechecks/{node}", node)
        c.at(2, "done", f"prechecks/{node}", node)
    c.at(2, "done", "stage/prechecks")
    c.at(2, "started", "stage/install-publisher")
    c.at(2, "checking", "install-publisher/pub", "pub")
    c.at(3, "requested", "install-publisher/pub", "pub", file="x.cop.sgn")
    c.at(60, "done", "install-publisher/pub", "pub", outcome="installed", log="install.log")
    c.at(60, "done", "stage/install-publisher")
    c.at(60, "started", "stage/install-subscribers")
    c.at(60, "checking", "install-subscribers/sub", "sub")
    c.at(61, "requested", "install-subscribers/sub", "sub")
    c.at(
        90,
        "failed",
        "install-subscribers/sub",
        "sub",
        message="install failed: <disk> | full",
        hint="free space",
    )
    c.at(
        90,
        "failed",
        message="install failed: <disk> | full",
        node="sub",
        at_step="install-subscribers/sub",
    )
    if not resume:
        return journal
    c.at(200, "running")
    c.at(200, "checking", "install-subscribers/sub", "sub")
    c.at(201, "requested", "install-subscribers/sub", "sub")
    c.at(240, "done", "install-subscribers/sub", "sub", outcome="installed")
    c.at(240, "done", "stage/install-subscribers")
    c.at(240, "started", "stage/restart-publisher")
    c.at(240, "checking", "restart-publisher/pub", "pub")
    c.at(241, "requested", "restart-publisher/pub", "pub", boot_before=1.0)
    c.at(242, "down", "restart-publisher/pub", "pub")
    c.at(300, "booted", "restart-publisher/pub", "pub", boot_time=T0 + 300)
    c.at(300, "waiting_for_services", "restart-publisher/pub", "pub")
    c.at(330, "services_up", "restart-publisher/pub", "pub")
    c.at(330, "done", "restart-publisher/pub", "pub")
    c.at(330, "waiting_for_replication", "gate/restart-publisher")
    c.at(360, "replicated", "gate/restart-publisher")
    c.at(360, "done", "gate/restart-publisher")
    c.at(360, "done", "stage/restart-publisher")
    c.at(360, "started", "stage/restart-wave-1")
    c.at(360, "checking", "restart-wave-1/sub", "sub")
    c.at(361, "requested", "restart-wave-1/sub", "sub")
    c.at(362, "down", "restart-wave-1/sub", "sub")
    # killed here: no outcome for this session
    return journal
