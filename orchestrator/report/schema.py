"""The report document (``report.json``); documented in docs/report-schema.md.

Bump ``SCHEMA_VERSION`` on any change that removes or renames a field or changes its
meaning; adding an optional field keeps the version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from orchestrator.audit.model import AuditResult

SCHEMA = "devpack.report"
SCHEMA_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class StepOut(_Model):
    id: str  # journal step id: "<stage>/<node>" or "gate/<stage>"
    stage: str
    action: str  # precheck | install | verify | reboot | restart_services | postcheck | gate
    node: str | None
    state: str  # last journal state; "pending" if never started
    outcome: str  # done | skipped | failed | interrupted | pending
    started: float | None = None
    finished: float | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_seconds: float | None = None
    message: str = ""  # why it failed, or what it did (outcome, restarted services)
    detail: dict[str, Any] = Field(default_factory=dict)


class SshOut(_Model):
    """The SSH algorithms devpack's session with the node negotiated (while planning)."""

    server_version: str = ""
    host_key: str
    kex: str
    cipher: str
    mac: str
    legacy: list[str] = Field(default_factory=list)  # legacy algorithms among them
    why: str = ""  # why a legacy algorithm is acceptable there (empty without one)


class NodeOut(_Model):
    name: str
    role: str  # publisher | subscriber
    outcome: str  # done | failed | interrupted | pending (the worst of its steps)
    steps: list[StepOut]
    ssh: SshOut | None = None  # None: not recorded (plans made before devpack recorded it)


class Segment(_Model):
    """One bar of the timeline: a node (or the cluster, for gates) in one phase."""

    row: str  # node name, or "cluster" for gates
    kind: str  # check | install | restart | services | gate
    step: str
    start: float
    end: float
    failed: bool = False
    open: bool = False  # still in progress when the journal ends


class Marker(_Model):
    """A stage starting, drawn as a thin line across the timeline."""

    name: str
    time: float


class Session(_Model):
    """One `devpack run` or `devpack resume` of the run, from journal to outcome."""

    started: float
    ended: float | None
    outcome: str  # completed | failed | paused_window | interrupted


class DownloadOut(_Model):
    """One node's download of a COP from devpack's own SFTP server."""

    node: str
    address: str
    file: str
    bytes: int
    seconds: float
    complete: bool = True
    at: str | None = None


class RunOut(_Model):
    run_id: str
    # as it works when typed (names a non-default --state-dir)
    resume_command: str = ""
    status: str  # completed | failed | paused_window | interrupted | running (no outcome)
    message: str = ""
    failed_node: str | None = None
    failed_step: str | None = None
    created: float
    started: float | None = None
    finished: float | None = None
    started_at: str | None = None
    finished_at: str | None = None
    duration_seconds: float | None = None
    sessions: list[Session] = Field(default_factory=list)
    inventory_file: str = ""  # file name only
    playbook_file: str = ""
    downloads: list[DownloadOut] = Field(default_factory=list)  # from devpack's SFTP server
    ticket: TicketOut | None = None  # None: journaled before devpack recorded tickets
    next_step: NextStepOut | None = None


class PlaybookOut(_Model):
    """What the playbook asked for; never credentials or secret references."""

    cop_file: str
    md5: str | None = None
    models: list[str] = Field(default_factory=list)
    restart_strategy: str = "auto"
    waves: dict[str, int] = Field(default_factory=dict)
    gates: dict[str, Any] = Field(default_factory=dict)
    timeouts: dict[str, int] = Field(default_factory=dict)
    window: dict[str, str] | None = None
    sftp_host: str = ""
    sftp_directory: str = ""
    sftp_served: bool = False  # devpack served the files itself (sftp.serve)
    cops: list[dict[str, str]] = Field(default_factory=list)  # file, kind, md5, in order


class StageOut(_Model):
    name: str
    kind: str
    reason: str
    steps: list[str]
    skipped: list[str] = Field(default_factory=list)  # "node: reason"
    estimated_seconds: int


class PlanOut(_Model):
    cop_file: str
    restart_scope: str | None
    restart_reason: str
    estimated_seconds: int
    fingerprint: str
    stages: list[StageOut]
    notes: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)


class TicketOut(_Model):
    """The change ticket (``orchestrator.ticket``): never a password."""

    change_id: str | None = None
    operator: str = ""
    host: str = ""
    devpack_version: str = ""
    python_version: str = ""
    inputs: dict[str, str] = Field(default_factory=dict)  # what -> digest / checksums
    recorded_at: str | None = None  # ISO 8601, UTC
    notes: list[str] = Field(default_factory=list)  # what resumes changed
    windows: list[str] = Field(default_factory=list)  # each start's or resume's window


class NodeState(_Model):
    """One node at one moment: as read by discovery (before) or the audit (after)."""

    name: str
    release: str = ""
    options: list[str] = Field(default_factory=list)  # installed COPs / options
    timezone: str | None = None  # the node's own zone (IANA); None: unknown (UTC assumed)
    registered: dict[str, int] = Field(default_factory=dict)  # model -> phones registered


class ClusterState(_Model):
    """The cluster at one moment, for the change report's before/after."""

    taken_at: str  # ISO 8601, UTC
    source: str  # "discovery" (before the first change) | "post-run audit" (after)
    nodes: list[NodeState] = Field(default_factory=list)
    # why registered phones could not be read (RisPort70 or AXL); None: read
    phones_error: str | None = None


class ModelChange(_Model):
    model: str
    before: int
    after: int
    delta: int
    lost: bool  # fewer phones of this model registered on this node than before


class NodeChange(_Model):
    node: str
    release_before: str | None = None
    release_after: str | None = None
    options_added: list[str] = Field(default_factory=list)
    options_removed: list[str] = Field(default_factory=list)
    models: list[ModelChange] = Field(default_factory=list)

    @property
    def lost(self) -> bool:
        return any(m.lost for m in self.models)


class ChangesOut(_Model):
    before: ClusterState | None = None
    after: ClusterState | None = None
    nodes: list[NodeChange] = Field(default_factory=list)
    lost_registrations: int = 0  # phones fewer after than before, over every node/model


class NextStepOut(_Model):
    """What the operator does next (``orchestrator.next_step``)."""

    action: str
    command: str | None = None
    text: str = ""


class Report(_Model):
    schema_: str = Field(SCHEMA, alias="schema")
    schema_version: int = SCHEMA_VERSION
    kind: Literal["run", "audit"]
    generated_at: str
    devpack_version: str
    cluster: str
    run: RunOut | None = None
    playbook: PlaybookOut | None = None
    plan: PlanOut | None = None
    nodes: list[NodeOut] = Field(default_factory=list)
    gates: list[StepOut] = Field(default_factory=list)
    timeline: list[Segment] = Field(default_factory=list)
    markers: list[Marker] = Field(default_factory=list)
    audit: AuditResult | None = None
    audit_error: str | None = None  # why there is no audit (unreachable cluster, ...)
    # what the nodes' HTTPS certificates were verified against, and why that bundle
    tls_trust: str | None = None
    changes: ChangesOut | None = None  # before/after (runs whose before was recorded)

    model_config = ConfigDict(populate_by_name=True, extra="ignore")

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, by_alias=True)


def iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
