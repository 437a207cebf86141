"""Gather an audit's facts from a live cluster. Read-only; all the I/O of an audit.

Reads over the cluster's ``ConnectionPool`` (after a run: the run's own sessions) and
``cluster.snapshot``, the node reader discovery uses too; parsing stays in the drivers.
A source that fails (Control Center, AXL, RisPort70) is recorded as unavailable and the
checks that need it are skipped; only an unreachable publisher makes the whole audit
impossible.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import structlog

from orchestrator import logs, parallel
from orchestrator.access import ClusterAccess, login_error
from orchestrator.audit.model import (
    AuditFacts,
    InstallFact,
    NodeFact,
    PhoneFact,
    ServiceFact,
    Unavailable,
)
from orchestrator.cluster.pool import ConnectionPool
from orchestrator.cluster.snapshot import (
    NodeNames,
    group_members,
    process_nodes,
    read_node,
    sql_quoted,
)
from orchestrator.config.inventory import Node
from orchestrator.config.playbook import Playbook
from orchestrator.cucm import pickup, replication, servers
from orchestrator.cucm.replication import CheckStart
from orchestrator.cucm.texts import SVC_CALLMANAGER, SVC_TFTP, SVC_TOMCAT
from orchestrator.drivers.soap.axl import AxlClient
from orchestrator.drivers.soap.risport import RisClient
from orchestrator.drivers.soap.transport import RetryPolicy
from orchestrator.drivers.ssh.errors import DriverError

log = structlog.get_logger(__name__)

START_TIME_SERVICES = [SVC_CALLMANAGER, SVC_TFTP, SVC_TOMCAT]
NAMES_PER_SQL = 200
# An audit is a look, not a fight: few quick retries, then report the source unavailable.
AUDIT_RETRY = RetryPolicy(attempts=2, initial_wait=0.5, max_wait=2.0)


class AuditUnavailable(Exception):
    """The cluster could not be audited at all (exit status 2)."""

    def __init__(self, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.hint = hint


@dataclass
class AuditInputs(ClusterAccess):
    """The cluster access, plus the playbook whose pack to audit (None: the newest)."""

    playbook: Playbook | None = None
    ris_rate_per_minute: int = 15
    # node -> services STARTED before a run's restarts (its prechecks), for a post-run
    # audit: they must run again whatever their stop reason says (cucm.services)
    started_before: dict[str, list[str]] = field(default_factory=dict)


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    return logs.REDACTOR.scrub(str(text))


class Gatherer:
    """All of an audit's reading: every node at once over the CLI (a node that does not
    answer becomes a finding, not a crash), replication from the publisher, then AXL
    (the cluster's own nodes and groups, typemodel, defaults) and RisPort70 (phones).
    Each source that fails is recorded in ``unavailable`` and the checks needing it are
    skipped; only an unreadable publisher raises ``AuditUnavailable``."""

    def __init__(self, inputs: AuditInputs, pool: ConnectionPool) -> None:
        self.inputs = inputs
        self.pool = pool
        self.inventory = inputs.inventory
        self.unavailable: list[Unavailable] = []
        self.excluded_spellings: set[str] = set()
        # any spelling of a node the cluster may use (name, address, AXL description)
        self.keys = NodeNames()
        for node in self.inventory.nodes:
            self.keys.add(node.address, node.label)
            self.keys.add(node.label, node.label)

    def _gap(self, source: str, exc: BaseException) -> None:
        reason = _reason(exc)
        log.warning("audit.source_unavailable", source=source, error=reason)
        self.unavailable.append(Unavailable(source=source, reason=reason))

    # ----- the whole cluster -------------------------------------------------------------

    def gather(self) -> AuditFacts:
        excluded = self._servers(self.inventory.publisher.label)
        # an IM and Presence server the inventory lists is not audited (no pack there)
        nodes = [n for n in self.inventory.nodes if n.label not in excluded]
        facts = parallel.each(self._node, nodes)
        publisher = next(f for f in facts if f.is_publisher)
        if not publisher.reachable:
            raise AuditUnavailable(
                f"cannot read the publisher {publisher.name}: {publisher.problem}",
                publisher.problem_hint
                or "check the publisher's address, SSH port, credentials and known_hosts",
            )
        check = self._replication(publisher, facts)
        playbook = self.inputs.playbook
        expected_models = list(playbook.models) if playbook else []
        cluster = AuditFacts(
            cluster=self.inventory.cluster,
            gathered_at=time.time(),
            expected_pack=playbook.main_cop.file_name if playbook else None,
            other_cops=[c.file_name for c in playbook.all_cops if c is not playbook.main_cop]
            if playbook
            else [],
            expected_models=expected_models,
            nodes=facts,
            groups={g: list(m) for g, m in self.inventory.callmanager_groups.items()},
            out_of_scope=excluded,
            replication_check_started=check.earliest if check else None,
            replication_check_shown=check.describe() if check else None,
        )
        self._axl(cluster)
        return cluster.model_copy(update={"unavailable": self.unavailable})

    # ----- per node ----------------------------------------------------------------------

    def _node(self, node: Node) -> NodeFact:
        name = node.label
        try:
            snapshot = read_node(self.pool, node)
        except (DriverError, OSError) as exc:
            hint = login_error(self.inputs, exc).hint if isinstance(exc, DriverError) else ""
            return NodeFact(
                name=name,
                address=node.address,
                role=str(node.role),
                reachable=False,
                problem=_reason(exc),
                problem_hint=hint,
            )
        version, services, history = snapshot.version, snapshot.services, snapshot.history
        timezone = snapshot.timezone
        zone = pickup.node_zone(timezone)
        starts = self._start_times(node)
        facts = []
        for service in services.services:
            start = starts.get(service.name.lower()) if service.state == "STARTED" else None
            facts.append(
                ServiceFact(
                    name=service.name,
                    state=service.state,
                    reason=service.reason,
                    start_time=start,
                    start_source="control-center" if start is not None else "",
                )
            )
        return NodeFact(
            name=name,
            address=node.address,
            role=str(node.role),
            release=version.master_version,
            options=list(version.options),
            installs=[
                InstallFact(file=i.file, time=i.time, outcome=i.outcome)
                for i in pickup.installs(history, zone)
            ],
            last_boot=pickup.last_boot(history, zone),
            timezone=timezone,
            services=facts,
            started_before=self.inputs.started_before.get(name),
        )

    def _start_times(self, node: Node) -> dict[str, float]:
        """Control Center StartTime of the services a device pack needs restarted."""
        try:
            # the pool's client: after a run it is the one the run already opened
            statuses = self.pool.control_center(node.label).service_status(START_TIME_SERVICES)
        except Exception as exc:  # optional: the boot time stands in
            self._gap(f"control-center {node.label}", exc)
            return {}
        return {s.name.lower(): s.start_time.timestamp() for s in statuses if s.start_time}

    def _servers(self, publisher: str) -> dict[str, str]:
        """``show network cluster``: every spelling of each node (so processnode and
        RisPort70 names match however the cluster defines its servers), and the IM and
        Presence servers, which are out of scope."""
        try:
            with self.pool.cli(publisher) as cli:
                rows = cli.network_cluster().nodes
        except (DriverError, OSError) as exc:
            self._gap("network-cluster", exc)
            return {}
        servers.add_aliases(rows, self.keys)
        self.excluded_spellings = servers.out_of_scope_spellings(rows)
        listed = {n.label: (n.label, n.address) for n in self.inventory.nodes}
        return servers.out_of_scope_named(rows, listed)

    def _replication(self, publisher: NodeFact, nodes: list[NodeFact]) -> CheckStart | None:
        """The states of the status check runtimestate shows, and when it started (the
        publisher's local time; read-only: the audit starts no new check)."""
        try:
            with self.pool.cli(publisher.name) as cli:
                status = cli.dbreplication_runtimestate()
        except (DriverError, OSError) as exc:
            self._gap("replication", exc)
            return None
        for row in status.rows:
            label = self.keys.get(row.server) or self.keys.get(row.ip)
            for index, fact in enumerate(nodes):
                if fact.name == label:
                    nodes[index] = fact.model_copy(update={"replication": row.state})
        zone = publisher.timezone
        return replication.check_start(
            status.started_minute, status.started_file, pickup.node_zone(zone), zone or "UTC"
        )

    # ----- AXL and RisPort70 (publisher) --------------------------------------------------

    def _axl(self, cluster: AuditFacts) -> None:
        axl: AxlClient | None
        try:
            axl = self.pool.axl()
            self._processnodes(axl, cluster)
            groups = self._groups(axl)
            if groups:
                cluster.groups = groups
            if cluster.expected_models:
                cluster.typemodel = {
                    row["name"]: int(row["enum"])
                    for row in axl.sql(
                        "select enum, name from typemodel where name in "
                        f"({sql_quoted(cluster.expected_models)})"
                    )
                }
                enums = sorted(cluster.typemodel.values())
                cluster.defaults = {
                    int(row["tkmodel"]): row.get("loadinformation", "")
                    for row in axl.sql(
                        "select tkmodel, loadinformation from defaults where tkmodel in "
                        f"({', '.join(map(str, enums or [-1]))})"
                    )
                }
        except Exception as exc:  # AXL is one source among several
            self._gap("axl", exc)
            axl = None
        self._phones(cluster, axl)

    def _processnodes(self, axl: AxlClient, cluster: AuditFacts) -> None:
        for row in process_nodes(axl):
            label = self.keys.find(*row.spellings)
            if label is None and set(row.spellings) & self.excluded_spellings:
                continue  # IM and Presence: out of scope, reported as such
            if label is None:
                # Not in the inventory: still one node, whichever spelling (address in
                # processnode, hostname in RisPort70) a group or a phone names it by.
                label = row.name or row.description or "?"
                cluster.unknown_nodes.append(label)
            for key in row.spellings:
                self.keys.add(key, label)

    def _groups(self, axl: AxlClient) -> dict[str, list[str]]:
        groups: dict[str, list[str]] = {}
        for row in group_members(axl):
            member = self.keys.find(*row.spellings) or row.name
            groups.setdefault(row.group, []).append(member)
        return groups

    def _phones(self, cluster: AuditFacts, axl: AxlClient | None) -> None:
        if cluster.expected_models:
            if cluster.typemodel is None:
                return  # without typemodel there are no enums to ask RisPort70 about
            enums: list[int] | None = sorted(cluster.typemodel.values())
            if not enums:
                cluster.phones = []
                return
        else:
            enums = None  # every model
        try:
            devices = self._ris().select_cm_devices(enums)
        except Exception as exc:
            self._gap("risport", exc)
            return
        models = {enum: name for name, enum in (cluster.typemodel or {}).items()}
        groups: dict[str, str] = {}
        if axl is not None:
            try:
                models |= self._model_names(axl, {d.model for d in devices} - set(models))
                groups = self._phone_groups(axl, [d.name for d in devices])
            except Exception as exc:
                self._gap("axl", exc)
        cluster.phones = [
            PhoneFact(
                name=d.name,
                model=models.get(d.model, str(d.model)),
                status=d.status,
                status_reason=d.status_reason,
                node=self.keys.get(d.node, d.node),
                group=groups.get(d.name),
            )
            for d in devices
        ]

    def _ris(self) -> RisClient:
        publisher = self.inventory.publisher
        return RisClient(
            publisher.address,
            publisher.https_port,
            self.inventory.credentials.application.username,
            self.inputs.application_password,
            self.inputs.ca_bundle,
            rate_per_minute=self.inputs.ris_rate_per_minute,
            retry=AUDIT_RETRY,
            tls_name=self.pool.tls_name(publisher.label),
        )

    def registrations(self) -> dict[str, dict[str, int]]:
        """Registered phones per node and model, every model: the change report's before
        and after (``report.changes``). One RisPort70 query (paged), model names from
        typemodel; raises what RisPort70 or AXL raise (the caller records why)."""
        axl = self.pool.axl()
        for row in process_nodes(axl):
            label = self.keys.find(*row.spellings)
            if label is not None:
                for key in row.spellings:
                    self.keys.add(key, label)
        devices = self._ris().select_cm_devices(None)
        names = self._model_names(axl, {d.model for d in devices})
        counts: dict[str, dict[str, int]] = {}
        for device in devices:
            if device.status != "Registered":
                continue
            per_model = counts.setdefault(self.keys.get(device.node, device.node) or "?", {})
            model = names.get(device.model, str(device.model))
            per_model[model] = per_model.get(model, 0) + 1
        return counts

    @staticmethod
    def _model_names(axl: AxlClient, enums: set[int]) -> dict[int, str]:
        if not enums:
            return {}
        rows = axl.sql(
            f"select enum, name from typemodel where enum in ({', '.join(map(str, sorted(enums)))})"
        )
        return {int(row["enum"]): row["name"] for row in rows}

    @staticmethod
    def _phone_groups(axl: AxlClient, names: list[str]) -> dict[str, str]:
        """Each phone's CallManager group, through its device pool (as CUCM links them)."""
        groups: dict[str, str] = {}
        for batch in _batches(names, NAMES_PER_SQL):
            rows = axl.sql(
                "select d.name as devicename, g.name as groupname"
                " from device d, devicepool dp, callmanagergroup g"
                " where d.fkdevicepool = dp.pkid and dp.fkcallmanagergroup = g.pkid"
                f" and d.name in ({sql_quoted(batch)})"
            )
            groups |= {row["devicename"]: row["groupname"] for row in rows}
        return groups


def _batches(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def gather(inputs: AuditInputs, pool: ConnectionPool) -> AuditFacts:
    """The audit's facts of the cluster now (read-only); see ``Gatherer``."""
    return Gatherer(inputs, pool).gather()
