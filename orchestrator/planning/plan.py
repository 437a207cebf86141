"""The plan: stages run one after another, the steps of a stage in parallel."""

from __future__ import annotations

import hashlib
import json
import math
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, computed_field

from orchestrator.cucm.release import RestartScope, cop_base_name
from orchestrator.planning.estimates import Estimates
from orchestrator.planning.facts import ClusterFacts

PLAN_VERSION = 1
SIGNING_KEY_PREFIX = "ciscocm.enable-sha512sum"


class Action(StrEnum):
    PRECHECK = "precheck"
    INSTALL = "install"
    VERIFY = "verify"
    REBOOT = "reboot"
    RESTART_SERVICES = "restart_services"
    POSTCHECK = "postcheck"


class StageKind(StrEnum):
    PRECHECKS = "prechecks"
    INSTALL_PUBLISHER = "install_publisher"
    INSTALL_TFTP = "install_tftp"  # plans before the pooled install stage; still runnable
    INSTALL_SUBSCRIBERS = "install_subscribers"
    # the models, right after the publisher's install and before any subscriber's: a
    # typo in the playbook's models stops the run with one node changed, not all
    VERIFY_PUBLISHER = "verify_publisher"
    VERIFY = "verify"
    RESTART_PUBLISHER = "restart_publisher"
    RESTART_WAVE = "restart_wave"
    POSTCHECKS = "postchecks"


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore")


class Step(_Model):
    id: str = Field(description="stable id for the journal, e.g. 'install-publisher/cucm-pub'")
    stage: str
    action: Action
    nodes: list[str]
    services: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    estimated_seconds: int
    timeout_seconds: int | None = None
    reason: str


class Skip(_Model):
    node: str
    action: Action
    reason: str


class Gate(_Model):
    """A wait after a stage before the next one may start."""

    settle_seconds: int = 0
    replication: bool = False
    estimated_seconds: int
    timeout_seconds: int | None = None
    reason: str


class Stage(_Model):
    name: str
    kind: StageKind
    steps: list[Step]
    skipped: list[Skip] = Field(default_factory=list)
    gate: Gate | None = None
    # Steps running at once (None: all); steps start in list order as slots free up.
    max_parallel: int | None = None
    reason: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def estimated_seconds(self) -> int:
        # Steps in a stage run in parallel; the gate waits after the slowest.
        slowest = max((step.estimated_seconds for step in self.steps), default=0)
        rounds = math.ceil(len(self.steps) / self.max_parallel) if self.max_parallel else 1
        return slowest * max(rounds, 1) + (self.gate.estimated_seconds if self.gate else 0)


class SshAlgorithms(_Model):
    """What devpack's SSH session with a node negotiated while planning."""

    node: str
    server_version: str = ""  # e.g. "SSH-2.0-OpenSSH_5.3"
    host_key: str
    kex: str
    cipher: str
    mac: str
    legacy: list[str] = Field(default_factory=list, description="legacy algorithms used")


class Plan(_Model):
    version: int = PLAN_VERSION
    cluster: str
    cop_file: str
    # every COP of the run, in install order (plan files made before several COPs per
    # run carry none: :attr:`cops` then means ``cop_file`` alone)
    cop_files: list[str] = Field(default_factory=list)
    restart_scope: RestartScope | None
    restart_reason: str
    stages: list[Stage]
    notes: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    # False on a single-node cluster (publisher only): there is no replication to check,
    # and `utils dbreplication runtimestate` aborts there (reference 9.4)
    replication_checks: bool = True
    # per node, from discovery; not part of the fingerprint (it is not a cluster fact the
    # steps depend on)
    ssh: list[SshAlgorithms] = Field(default_factory=list)
    estimates: Estimates
    fingerprint: str

    @computed_field  # type: ignore[prop-decorator]
    @property
    def estimated_seconds(self) -> int:
        """Critical path: stages one after another."""
        return sum(stage.estimated_seconds for stage in self.stages)

    @property
    def installs(self) -> bool:
        """Whether the plan installs anything (the DRS backup precheck applies then)."""
        return any(step.action is Action.INSTALL for step in self.steps)

    @property
    def cops(self) -> list[str]:
        """Every COP this plan installs, in install order."""
        return self.cop_files or [self.cop_file]

    @property
    def steps(self) -> list[Step]:
        return [step for stage in self.stages for step in stage.steps]

    def is_current(self, facts: ClusterFacts) -> bool:
        """Whether ``facts`` (reconciled like the planner's) still match this plan."""
        return fingerprint(facts, self.cops) == self.fingerprint


def relevant_options(options: list[str], cop_files: list[str]) -> list[str]:
    """Installed options that change the plan: the run's COPs and the sha512 signing key."""
    bases = {cop_base_name(f) for f in cop_files}
    return sorted(
        o for o in options if cop_base_name(o) in bases or o.startswith(SIGNING_KEY_PREFIX)
    )


def fingerprint(facts: ClusterFacts, cop_files: list[str]) -> str:
    """A digest of every fact the plan depends on; ports and unrelated options excluded."""
    nodes = [
        {
            "name": node.name,
            "address": node.address.lower(),
            "role": str(node.role),
            "release": str(node.release_number),
            "callmanager": node.runs_callmanager,
            "tftp": node.runs_tftp,
            "options": relevant_options(node.installed_options, cop_files),
            "pending_restart": node.pending_restart,
        }
        for node in sorted(facts.nodes, key=lambda n: n.name)
    ]
    document = {
        "cluster": facts.cluster,
        # one COP keeps the key its plan files were fingerprinted with
        **(
            {"cop": cop_base_name(cop_files[0])}
            if len(cop_files) == 1
            else {"cops": [cop_base_name(f) for f in cop_files]}
        ),
        "nodes": nodes,
        "groups": {name: facts.groups[name] for name in sorted(facts.groups)},
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()
