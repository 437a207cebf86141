"""Build a rollout plan from the inventory, playbook and discovered facts. Pure: no I/O."""

from __future__ import annotations

import math

from orchestrator.config.estimates import Estimates
from orchestrator.config.inventory import Inventory
from orchestrator.config.playbook import CopKind, Playbook, Strategy
from orchestrator.config.sftp_port import lab_port_note
from orchestrator.cucm.copkinds import RULES, RestartNeed, need_of
from orchestrator.cucm.pickup import services_to_restart
from orchestrator.cucm.release import (
    Release,
    RestartScope,
    cop_base_name,
    restart_rule,
    supports_sha512_files,
)
from orchestrator.cucm.texts import SVC_CALLMANAGER, SVC_TFTP, SVC_TOMCAT
from orchestrator.planning.facts import ClusterFacts, NodeFacts, reconcile
from orchestrator.planning.plan import (
    SIGNING_KEY_PREFIX,
    Action,
    Gate,
    Plan,
    Skip,
    Stage,
    StageKind,
    Step,
    fingerprint,
)
from orchestrator.planning.space import describe_free_space
from orchestrator.planning.waves import WaveProblem, WaveSchedule, schedule_waves

SINGLE_NODE_NOTE = (
    "single-node cluster (publisher only): no database replication to wait for or check "
    "(utils dbreplication runtimestate aborts on a cluster with a single active node), so "
    "no replication gates or checks"
)


def build_plan(
    inventory: Inventory,
    playbook: Playbook,
    facts: ClusterFacts,
    estimates: Estimates | None = None,
) -> Plan:
    """The whole rollout: prechecks, installs, verify, restarts, postchecks.

    ``estimates`` defaults to the playbook's (which default to a real cluster's).
    """
    estimates = estimates or playbook.estimates
    merged, differences = reconcile(inventory, facts)
    builder = _Builder(playbook, merged, estimates)
    builder.warnings.extend(f"inventory and cluster differ: {d}" for d in differences)
    return builder.build()


def wave_problem(facts: ClusterFacts, targets: set[str], max_parallel: int) -> WaveProblem:
    """The subscriber restart waves to schedule when ``targets`` restart."""
    subs = [n for n in facts.subscribers if n.name in targets]
    # A TFTP node that is not restarted keeps TFTP up as well as the publisher does
    # (the publisher restarts alone, in its own stage).
    tftp_staying_up = facts.publisher.runs_tftp or any(
        n.runs_tftp and n.name not in targets for n in facts.subscribers
    )
    return WaveProblem(
        nodes=tuple(sorted(n.name for n in subs)),
        groups=facts.groups,
        tftp=frozenset(n.name for n in subs if n.runs_tftp),
        tftp_elsewhere=tftp_staying_up,
        max_parallel=max_parallel,
    )


class _Builder:
    def __init__(self, playbook: Playbook, facts: ClusterFacts, estimates: Estimates) -> None:
        self.playbook = playbook
        self.facts = facts
        self.est = estimates
        self.cop = playbook.main_cop.file_name
        self.base = cop_base_name(self.cop)
        self.bases = [c.base_name for c in playbook.all_cops]
        self.files = [c.file_name for c in playbook.all_cops]
        kinds = {c.kind for c in playbook.all_cops}
        self.has_pack = CopKind.DEVICEPACK in kinds
        self.callmanager_everywhere = any(RULES[k].callmanager_everywhere for k in kinds)
        self.notes: list[str] = []
        self.warnings: list[str] = []
        self.stages: list[Stage] = []

    # -- helpers ---------------------------------------------------------------

    def has_cop(self, node: NodeFacts) -> bool:
        """Every COP of the playbook is installed on ``node``."""
        installed = {cop_base_name(option) for option in node.installed_options}
        return all(base in installed for base in self.bases)

    def step(
        self,
        stage: str,
        action: Action,
        node: NodeFacts,
        seconds: float,
        reason: str,
        **extra: object,
    ) -> Step:
        return Step(
            id=f"{stage}/{node.name}",
            stage=stage,
            action=action,
            nodes=[node.name],
            estimated_seconds=math.ceil(seconds),
            reason=reason,
            **extra,
        )  # type: ignore[arg-type]

    # -- stages ----------------------------------------------------------------

    @property
    def single_node(self) -> bool:
        return len(self.facts.nodes) == 1

    def build(self) -> Plan:
        facts = self.facts
        self.check_sha512()
        if self.single_node:
            self.notes.append(SINGLE_NODE_NOTE)
        for name, why in sorted(facts.out_of_scope.items()):
            self.notes.append(f"out of scope: {name}, {why}; no step touches it")
        self.prechecks()
        needs_install = [n for n in facts.nodes if not self.has_cop(n)]
        if needs_install:
            # Cisco's procedure, step 1: a device pack cannot be uninstalled.
            self.notes.append(
                "take a DRS backup before this window: a device pack cannot "
                "be uninstalled (Cisco's procedure, step 1)"
            )
        lab_port = lab_port_note(self.playbook)
        if lab_port:
            self.notes.append(lab_port)
        if needs_install:
            size = self.playbook.main_cop.size_mb
            self.notes.append(
                "prechecks want "
                + describe_free_space(size)
                + " in the common partition of every node"
            )
        self.describe_cops()
        self.installs(needs_install)
        if self.has_pack:
            self.verify()
        scope: RestartScope | None
        scope, reason = self.restart_scope()
        pending = [n.name for n in facts.nodes if n.pending_restart]
        if scope is None:
            self.notes.append("no COP of this playbook needs a restart: none planned")
        elif needs_install or pending:
            if pending and not needs_install:
                self.notes.append(
                    f"the COP is on every node but {', '.join(pending)} has "
                    "not been restarted since it was installed"
                )
            # Only nodes that get the pack now or have not picked it up restart: a node
            # whose CallManager already started after the install gains nothing.
            targets = {n.name for n in needs_install} | set(pending)
            self.restarts(scope, targets)
        else:
            self.notes.append(
                f"{', '.join(self.bases)} installed on every node and no node "
                "awaits a restart: nothing to install or restart"
            )
            scope = None
        self.postchecks()
        return Plan(
            cluster=facts.cluster,
            cop_file=self.cop,
            cop_files=self.files,
            restart_scope=scope,
            restart_reason=reason,
            stages=self.stages,
            notes=self.notes,
            warnings=self.warnings,
            replication_checks=not self.single_node,
            estimates=self.est,
            fingerprint=fingerprint(facts, self.files),
        )

    def prechecks(self) -> None:
        name = "prechecks"
        steps = [
            self.step(
                name,
                Action.PRECHECK,
                node,
                self.est.precheck,
                "before any change: SSH, services, disk space, NTP, "
                + ("" if self.single_node else "replication state 2, ")
                + "no upgrade in progress, no other session in the install "
                "wizard, free space in the common partition",
            )
            for node in self.facts.nodes
        ]
        self.stages.append(
            Stage(
                name=name,
                kind=StageKind.PRECHECKS,
                steps=steps,
                reason="check every node before changing anything",
            )
        )

    def installs(self, needs: list[NodeFacts]) -> None:
        timeout = self.playbook.timeouts.install
        skipped = [n for n in self.facts.nodes if n not in needs]
        skips = {
            n.name: Skip(
                node=n.name,
                action=Action.INSTALL,
                reason=f"{self.base} is already installed (show version active)",
            )
            for n in skipped
        }
        pub = self.facts.publisher
        name = "install-publisher"
        publisher_steps: list[Step] = []
        if pub in needs:
            publisher_steps.append(
                self.step(
                    name,
                    Action.INSTALL,
                    pub,
                    self.est.install_publisher,
                    "publisher first: Cisco installs the publisher before subscribers "
                    "(it loads the new device XML into the database)",
                    timeout_seconds=timeout,
                )
            )
        self.stages.append(
            Stage(
                name=name,
                kind=StageKind.INSTALL_PUBLISHER,
                steps=publisher_steps,
                skipped=[skips[pub.name]] if pub.name in skips else [],
                reason="the publisher alone, before any other node",
            )
        )

        # One bounded pool, TFTP nodes first: Cisco's "publisher and TFTP nodes first"
        # is about the order installs begin; strict batches left slots idle while the
        # slowest node of a batch finished (and a lone TFTP batch idled the whole pool).
        limit = self.playbook.waves.install_parallel
        subscribers = sorted(self.facts.subscribers, key=lambda n: not n.runs_tftp)
        if not subscribers:
            return
        name = "install-subscribers"
        steps: list[Step] = [
            self.step(
                name,
                Action.INSTALL,
                node,
                self.est.install_subscriber,
                "TFTP node: Cisco installs on the publisher and the TFTP nodes first, "
                "so phones can fetch the new firmware"
                if node.runs_tftp
                else "after the publisher; started after the TFTP nodes",
                timeout_seconds=timeout,
            )
            for node in subscribers
            if node in needs
        ]
        if steps and self.has_pack:
            self.verify(early=True)
        self.stages.append(
            Stage(
                name=name,
                kind=StageKind.INSTALL_SUBSCRIBERS,
                steps=steps,
                skipped=[skips[n.name] for n in subscribers if n.name in skips],
                max_parallel=limit,
                reason=f"in parallel, at most {limit} installs at once "
                "(playbook waves.install_parallel), TFTP nodes started first",
            )
        )

    def verify(self, *, early: bool = False) -> None:
        """The models in typemodel (AXL on the publisher). ``early``: right after the
        publisher's install, before any subscriber's, so a wrong ``models`` list stops
        the run with one node changed. The full verify after every install stays: it
        is one query, and it re-checks just before the first restart (on a resume that
        may be much later)."""
        models = list(self.playbook.models)
        if early:
            name, kind = "verify-publisher", StageKind.VERIFY_PUBLISHER
            why = (
                "the publisher's install must have added the models before any "
                "subscriber is touched"
            )
            reason = f"check {len(models)} model(s) via AXL before the subscribers install"
        else:
            name, kind = "verify", StageKind.VERIFY
            why = (
                "the new models must be in the typemodel table (AXL on the publisher) "
                "before anything is restarted"
            )
            reason = f"check {len(models)} model(s) via AXL"
        step = self.step(
            name, Action.VERIFY, self.facts.publisher, self.est.verify, why, models=models
        )
        self.stages.append(Stage(name=name, kind=kind, steps=[step], reason=reason))

    def describe_cops(self) -> None:
        cops = self.playbook.all_cops
        if len(cops) < 2:
            return
        listing = "; ".join(
            f"{i}. {c.file_name} ({c.kind}: restart {RULES[c.kind].restart})"
            for i, c in enumerate(cops, start=1)
        )
        self.notes.append(
            f"{len(cops)} COPs, installed on each node in this order within "
            f"one install step, under one restart cycle: {listing}"
        )

    def restart_scope(self) -> tuple[RestartScope | None, str]:
        releases = sorted({n.release_number for n in self.facts.nodes})
        lowest = releases[0]
        rule = restart_rule(lowest)
        kinds = [c.kind for c in self.playbook.all_cops]
        need = max(need_of(k, lowest) for k in kinds)
        if not self.has_pack or (
            need is RestartNeed.REBOOT and rule.scope is not RestartScope.REBOOT
        ):
            # Another COP decides: the strongest of what each COP kind needs.
            if need is RestartNeed.NONE:
                return None, "no COP of this playbook needs a restart"
            strongest = next(c for c in self.playbook.all_cops if need_of(c.kind, lowest) == need)
            scope = RestartScope.REBOOT if need is RestartNeed.REBOOT else RestartScope.SERVICES
            rule = type(rule)(
                scope,
                f"{strongest.file_name} ({strongest.kind}) needs the "
                f"strongest restart: {RULES[strongest.kind].restart}",
            )
        mixed = ""
        if len(releases) > 1:
            listing = ", ".join(
                f"{r} on {', '.join(n.name for n in self.facts.nodes if n.release_number == r)}"
                for r in releases
            )
            mixed = f"mixed releases ({listing}): Cisco's rule for the lowest, {lowest}, applies. "
            self.notes.append(mixed.strip())
        strategy = self.playbook.restart.strategy
        if strategy is Strategy.AUTO:
            return rule.scope, mixed + rule.reason
        forced = RestartScope(strategy.value)
        reason = f"{forced} forced by playbook (restart.strategy: {strategy})"
        if forced is RestartScope.SERVICES and rule.scope is RestartScope.REBOOT:
            self.warnings.append(
                f"restart.strategy: services overrides Cisco's rule for {lowest}, which "
                "requires a cluster reboot: subscribers may keep rejecting the new models "
                "(No typemodel table-entry for device)"
            )
        elif forced is RestartScope.REBOOT and rule.scope is RestartScope.SERVICES:
            self.notes.append(
                f"a reboot is more than {lowest} needs (service restarts suffice); safe but slower"
            )
        return forced, reason

    def services_for(self, node: NodeFacts) -> list[str]:
        services = services_to_restart(
            publisher=node.is_publisher,
            runs_tftp=node.runs_tftp,
            runs_callmanager=node.runs_callmanager,
        )
        if (
            self.callmanager_everywhere
            and node.runs_callmanager
            and SVC_CALLMANAGER not in services
        ):
            services.append(SVC_CALLMANAGER)  # a dial plan is loaded by CallManager
        return services

    def restart_step(self, stage: str, node: NodeFacts, scope: RestartScope, reason: str) -> Step:
        timeouts = self.playbook.timeouts
        if scope is RestartScope.REBOOT:
            return self.step(
                stage,
                Action.REBOOT,
                node,
                self.est.reboot + self.est.services_back,
                reason,
                timeout_seconds=timeouts.reboot + timeouts.services,
            )
        services = self.services_for(node)
        where = {SVC_TFTP: "TFTP node", SVC_TOMCAT: "every node"}
        if self.callmanager_everywhere:
            where[SVC_CALLMANAGER] = "every node running it: dial plan"
        why = ", ".join(f"{s} ({where.get(s, 'publisher')})" for s in services)
        return self.step(
            stage,
            Action.RESTART_SERVICES,
            node,
            len(services) * self.est.service_restart,
            f"{reason}; {why}",
            services=services,
            timeout_seconds=timeouts.services,
        )

    def gate(self, scope: RestartScope) -> Gate | None:
        gates = self.playbook.gates
        if scope is RestartScope.REBOOT and gates.replication and not self.single_node:
            return Gate(
                settle_seconds=gates.settle_seconds,
                replication=True,
                estimated_seconds=math.ceil(gates.settle_seconds + self.est.replication_settle),
                timeout_seconds=self.playbook.timeouts.replication,
                reason="Cisco: wait for database replication (state 2 on every "
                "node) before the next change",
            )
        if gates.settle_seconds:
            return Gate(
                settle_seconds=gates.settle_seconds,
                estimated_seconds=gates.settle_seconds,
                reason="let services settle (playbook gates.settle_seconds)",
            )
        return None

    def restarts(self, scope: RestartScope, targets: set[str]) -> None:
        pub = self.facts.publisher
        name = "restart-publisher"
        if pub.name in targets:
            step = self.restart_step(
                name,
                pub,
                scope,
                "publisher first: Cisco restarts the publisher before the subscribers",
            )
            if scope is RestartScope.SERVICES and not pub.runs_callmanager:
                self.notes.append(
                    f"{SVC_CALLMANAGER} does not run on the publisher: not "
                    "restarted there, as Cisco says"
                )
            self.stages.append(
                Stage(
                    name=name,
                    kind=StageKind.RESTART_PUBLISHER,
                    steps=[step],
                    gate=self.gate(scope),
                    reason="the publisher alone, and wait until it is back",
                )
            )
        else:
            self.notes.append(
                f"publisher {pub.name} already picked up {self.base} "
                "(restarted after the install): not restarted again"
            )
        schedule = schedule_waves(self.wave_problem(targets))
        self.notes.extend(schedule.notes)
        total = len(schedule.waves)
        for index, wave in enumerate(schedule.waves):
            stage = f"restart-wave-{index + 1}"
            steps = [
                self.restart_step(
                    stage, self.facts.node(n), scope, self.wave_reason(n, wave, schedule)
                )
                for n in wave
            ]
            rules = (
                f"wave {index + 1} of {total}: at most "
                f"{self.playbook.waves.max_parallel} nodes, never two members of one "
                "CallManager group, at least one TFTP node up"
            )
            if schedule.optimal:
                rules += f"; {total} is the fewest waves these rules allow"
            self.stages.append(
                Stage(
                    name=stage,
                    kind=StageKind.RESTART_WAVE,
                    steps=steps,
                    gate=self.gate(scope),
                    reason=rules,
                )
            )

    def wave_problem(self, targets: set[str]) -> WaveProblem:
        return wave_problem(self.facts, targets, self.playbook.waves.max_parallel)

    def wave_reason(self, name: str, wave: list[str], schedule: WaveSchedule) -> str:
        parts = []
        groups = self.facts.groups
        dropped = {(b, g) for b, _, g in schedule.dropped}
        backup_of = sorted(g for g, m in groups.items() if name in m[1:])
        primary_of = sorted(g for g, m in groups.items() if m and m[0] == name)
        for group in backup_of:
            primary = groups[group][0]
            if (name, group) in dropped:
                parts.append(
                    f"backup of group {group}, after its primary {primary} "
                    "(they back each other up)"
                )
            elif primary == self.facts.publisher.name:
                parts.append(f"backup of group {group}, whose primary is the publisher")
            else:
                parts.append(f"backup of group {group} before its primary {primary}")
        for group in primary_of:
            backups = [m for m in groups[group][1:] if m != self.facts.publisher.name]
            later = [b for b in backups if (b, group) in dropped]
            earlier = [b for b in backups if b not in later]
            text = f"primary of group {group}"
            if earlier:
                text += f" after its backups {', '.join(earlier)}"
            if later:
                text += f"; its backup {', '.join(later)} restarts later (they back each other up)"
            parts.append(text)
        if not backup_of and not primary_of:
            parts.append("in no CallManager group")
        node = self.facts.node(name)
        if node.runs_tftp:
            up = [n.name for n in self.facts.nodes if n.runs_tftp and n.name not in wave]
            if up:
                parts.append(f"TFTP stays up on {', '.join(up)}")
        return "; ".join(parts)

    def postchecks(self) -> None:
        name = "postchecks"
        replication = "" if self.single_node else "replication state 2, "
        steps = [
            self.step(
                name,
                Action.POSTCHECK,
                node,
                self.est.precheck,
                f"services STARTED, {replication}COP listed in show version active",
            )
            for node in self.facts.nodes
        ]
        self.stages.append(
            Stage(
                name=name,
                kind=StageKind.POSTCHECKS,
                steps=steps,
                reason="prove every node is healthy and has the pack",
            )
        )

    def check_sha512(self) -> None:
        if not any(c.file_name.endswith(".sha512") for c in self.playbook.all_cops):
            return
        # a signing-key COP in this playbook is installed first, before any .sha512 file
        brings_key = any(
            c.kind is CopKind.SIGNING_KEY or c.file_name.startswith(SIGNING_KEY_PREFIX)
            for c in self.playbook.all_cops
        )
        for node in self.facts.nodes:
            has_key = brings_key or any(
                o.startswith(SIGNING_KEY_PREFIX) for o in node.installed_options
            )
            if (
                not has_key
                and not supports_sha512_files(Release.parse(node.release))
                and not self.has_cop(node)
            ):
                self.warnings.append(
                    f"{node.name} runs {node.release}: .cop.sha512 files need "
                    "ciscocm.enable-sha512sum-2021-signing-key-v1.0.cop.sgn installed first "
                    "(otherwise 'The selected file is not valid.')"
                )
