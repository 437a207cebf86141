"""Pure parsers for CUCM CLI outputs.

Tolerant by design: they accept CRLF, ANSI leftovers, extra spaces, an echoed command
line and the trailing ``admin:`` prompt, skip lines they do not understand, and raise
only ``ParseError`` (when the one thing a caller needs is missing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from orchestrator.cucm import services as services_rule
from orchestrator.cucm import texts
from orchestrator.drivers.ssh.channel import normalize
from orchestrator.drivers.ssh.errors import ParseError
from orchestrator.drivers.ssh.patterns import either, line_of, words

_BUILD = r"\d+\.\d+\.\d+\.\d+(?:[-(]\d+\)?)?"


def _lines(text: str) -> list[str]:
    text = normalize(text)
    return [ln.rstrip() for ln in text.split("\n") if not re.fullmatch(r"\s*admin:.*", ln)]


# -- show version active|inactive -------------------------------------------------------


@dataclass(frozen=True)
class VersionInfo:
    partition: str  # "active" | "inactive"
    master_version: str
    options: list[str] = field(default_factory=list)  # as listed (no .sgn / .sha512)


_MASTER = re.compile(
    r"^\s*(?P<part>"
    + either(words(texts.ACTIVE_MASTER, 0, 1), words(texts.INACTIVE_MASTER, 0, 1))
    + r")\s+"
    + words(texts.ACTIVE_MASTER, 1, version=r"(?P<v>\S+)"),
    re.I,
)
_OPTIONS_HEAD = re.compile(words(texts.ACTIVE_OPTIONS, 2), re.I)
_NO_OPTIONS = re.compile(words(texts.NO_OPTIONS), re.I)


def parse_show_version(text: str) -> VersionInfo:
    partition = version = None
    options: list[str] = []
    in_options = False
    for ln in _lines(text):
        m = _MASTER.match(ln)
        if m:
            partition, version = m.group("part").lower(), m.group("v")
            in_options = False
            continue
        if _OPTIONS_HEAD.search(ln):
            in_options = True
            continue
        if _NO_OPTIONS.search(ln):
            in_options = False
            continue
        token = ln.strip()
        if in_options and token and " " not in token:
            options.append(token)
        elif in_options and token:
            in_options = False  # a sentence: the list is over
    if version is None or partition is None:
        raise ParseError("show version (no 'Master Version' line)", text)
    return VersionInfo(partition, version, options)


# -- utils service list / utils service restart -----------------------------------------


@dataclass(frozen=True)
class ListedService:
    """One service as ``utils service list`` prints it (Control Center's own status of a
    service is ``drivers.soap.controlcenter.ServiceStatus``)."""

    name: str
    state: str  # STARTED, STOPPED, STARTING, STOPPING, NOTRUNNING (or what was printed)
    reason: str = ""  # e.g. "Service Not Activated", "Commanded Out of Service"
    platform: bool = False  # platform services print a space before "["

    @property
    def deliberately_down(self) -> bool:
        """Deactivated or out of service: not running, but not "down" either (only these
        two reasons; ``Component is not running`` is down: ``cucm.services``)."""
        return self.state != "STARTED" and services_rule.is_deliberate(self.reason)


@dataclass(frozen=True)
class ServiceList:
    services: list[ListedService]
    primary_node: bool | None = None
    successful: bool = False

    def get(self, name: str) -> ListedService | None:
        wanted = name.strip().lower()
        for svc in reversed(self.services):  # last one wins: platform services print twice
            if svc.name.lower() == wanted:
                return svc
        return None


_SERVICE = re.compile(
    r"^(?P<name>[A-Za-z0-9][^\[\]]*?)(?P<space>\s*)\[(?P<state>[A-Z_ ]+)\]"
    r"(?:\s+(?P<reason>\S.*))?\s*$"  # two spaces; one in flattened documents
)
_PRIMARY = re.compile(words(texts.PRIMARY_NODE, value=r"(?P<v>true|false)"), re.I)
_COMMAND_SUCCESSFUL = re.compile(words(texts.COMMAND_SUCCESSFUL), re.I)


def _service(ln: str) -> ListedService | None:
    m = _SERVICE.match(ln.strip())
    if not m:
        return None
    return ListedService(
        name=m.group("name").strip(),
        state=m.group("state").strip(),
        reason=(m.group("reason") or "").strip(),
        platform=bool(m.group("space")),
    )


def parse_service_list(text: str) -> ServiceList:
    services: list[ListedService] = []
    primary: bool | None = None
    ok = False
    for ln in _lines(text):
        m = _PRIMARY.search(ln)
        if m:
            primary = m.group("v").lower() == "true"
            continue
        if _COMMAND_SUCCESSFUL.search(ln):
            ok = True
            continue
        svc = _service(ln)
        if svc is not None:
            services.append(svc)
    return ServiceList(services, primary, ok)


@dataclass(frozen=True)
class ServiceRestart:
    name: str
    states: list[str]  # in order, repeats collapsed

    @property
    def final_state(self) -> str | None:
        return self.states[-1] if self.states else None


def parse_service_restart(text: str, name: str | None = None) -> ServiceRestart:
    """State lines of ``utils service restart NAME`` (``Cisco Tftp[STOPPING]`` ...)."""
    states: list[str] = []
    seen_name = name
    for ln in _lines(text):
        svc = _service(ln)
        if svc is None:
            continue
        if name is not None and svc.name.lower() != name.strip().lower():
            continue
        seen_name = seen_name or svc.name
        if not states or states[-1] != svc.state:
            states.append(svc.state)
    if not states:
        raise ParseError(f"service restart of {name or '?'} (no state line)", text)
    return ServiceRestart(seen_name or "", states)


# -- utils dbreplication runtimestate ---------------------------------------------------


@dataclass(frozen=True)
class ReplicationRow:
    server: str
    ip: str
    ping_ms: float | None
    db_rpc_dbmon: str  # e.g. "Y/Y/Y"
    queue: str
    group_id: str
    state: int | None  # 0..4, 2 is good
    details: str


@dataclass(frozen=True)
class ReplicationStatus:
    rows: list[ReplicationRow]
    db_version: str | None = None
    # The status check's header (reference 9.4): True once `COMPLETED n tables checked
    # out of n`, False while `IN PROGRESS` (the table's states are not final yet), None
    # when the output has no such header.
    status_completed: bool | None = None
    tables_checked: int | None = None
    tables_total: int | None = None
    # "Runtime state cannot be performed on a cluster with a single active node" (9.4)
    single_active_node: bool = False
    # When the status check shown was started, node-local and naive: the header's
    # `started at: 2026-11-30-10-12` (to the minute) and, when printed, the seconds of its
    # result file `ReplicationStatus.2026_11_30_10_12_34.out` (None when not printed).
    started_minute: datetime | None = None
    started_file: datetime | None = None

    @property
    def still_checking(self) -> bool:
        """The check is running: do not judge the table yet."""
        return self.status_completed is False

    @property
    def all_good(self) -> bool:
        return bool(self.rows) and all(r.state == 2 for r in self.rows)

    def state_of(self, server: str) -> int | None:
        for row in self.rows:
            if row.server.lower() == server.lower() or row.ip == server:
                return row.state
        return None


_IP = r"\d{1,3}(?:\.\d{1,3}){3}"
# Two wordings are seen in the field: `COMPLETED 682 tables checked out of 682` (8.x to
# 12.x transcripts) and `COMPLETED. Checked 754 tables out of 754` / `in PROGRESS. Checked
# 680 tables out of 749` (14/15 transcripts); the lab's older `IN PROGRESS 12 tables
# checked out of 682` is accepted too.
_REPL_CHECK = re.compile(
    words(texts.DBREPL_STATUS_COMPLETED, 0, 3)  # Replication status command
    + r"\s+(?P<word>COMPLETED|IN\s*PROGRESS)\.?\s+"
    + either(
        # older: COMPLETED 681 tables checked out of 681
        r"(?P<checked>\d+)\s+tables?\s+"
        + words(texts.DBREPL_STATUS_COMPLETED, 6, total=r"(?P<total>\d+)"),
        # 14/15: in PROGRESS. Checked 680 tables out of 749
        words(
            texts.DBREPL_STATUS_IN_PROGRESS,
            5,
            checked=r"(?P<checked2>\d+)",
            total=r"(?P<total2>\d+)",
        ),
    ),
    re.I,
)
_REPL_STARTED = re.compile(
    words(
        texts.DBREPL_STATUS_STARTED,
        3,
        at=r"(?P<stamp>\d{4}-\d{1,2}-\d{1,2}-\d{1,2}-\d{1,2})\b",
    ),
    re.I,
)
# the status check's result file, named after the second it started (node-local); its
# folder differs between releases (cm/trace/... or /var/log/active/er/trace/...)
_REPL_FILE = re.compile(
    r"ReplicationStatus\.(?P<stamp>\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2})\.out", re.I
)
_DB_VERSION = re.compile(words(texts.DBREPL_DB_VERSION, 0, 2) + r"\s*(\S+)", re.I)
_REPL_ROW = re.compile(
    rf"^\s*(?P<server>[A-Za-z0-9][\w.-]*)\s+(?P<ip>{_IP})\s+(?P<middle>.*?)\s*"
    r"\(\s*(?P<state>\d+)\s*\)\s*(?P<details>[^()]*?)\s*$"
)


_SINGLE_NODE = re.compile(words(texts.DBREPL_SINGLE_NODE, 2, 11), re.I)


def parse_dbreplication_runtimestate(text: str) -> ReplicationStatus:
    rows: list[ReplicationRow] = []
    db_version = None
    completed: bool | None = None
    checked: int | None = None
    total: int | None = None
    started_minute: datetime | None = None
    started_file: datetime | None = None
    single = bool(_SINGLE_NODE.search(normalize(text)))
    for ln in _lines(text):
        m = _DB_VERSION.search(ln)
        if m:
            db_version = m.group(1)
            continue
        started = _REPL_STARTED.search(ln)
        if started:
            started_minute = _stamp(started.group("stamp"), "%Y-%m-%d-%H-%M")
        named = _REPL_FILE.search(ln)
        if named and started_file is None:
            started_file = _stamp(named.group("stamp"), "%Y_%m_%d_%H_%M_%S")
        check = _REPL_CHECK.search(ln)
        if check:
            checked = int(check.group("checked") or check.group("checked2"))
            total = int(check.group("total") or check.group("total2"))
            # COMPLETED counts only when every table was checked
            completed = check.group("word").upper() == "COMPLETED" and checked >= total
            continue
        m = _REPL_ROW.match(ln)
        if not m:
            continue
        tokens = m.group("middle").split()
        ping: float | None = None
        if tokens:
            try:
                ping = float(tokens[0])
            except ValueError:
                ping = None
        dbmon = next((t for t in tokens if re.fullmatch(r"[YN?-]/[YN?-]/[YN?-]", t)), "")
        group = next((t for t in tokens if t.startswith("(") and t.endswith(")")), "")
        rest = [t for t in tokens[1:] if t not in (dbmon, group)]
        rows.append(
            ReplicationRow(
                server=m.group("server"),
                ip=m.group("ip"),
                ping_ms=ping,
                db_rpc_dbmon=dbmon,
                queue=rest[0] if rest else "",
                group_id=group,
                state=int(m.group("state")),
                details=m.group("details"),
            )
        )
    return ReplicationStatus(
        rows,
        db_version,
        status_completed=completed,
        tables_checked=checked,
        tables_total=total,
        single_active_node=single,
        started_minute=started_minute,
        started_file=started_file,
    )


def _stamp(text: str, fmt: str) -> datetime | None:
    try:
        return datetime.strptime(text, fmt)
    except ValueError:  # e.g. a month 13: no stamp rather than a crash
        return None


@dataclass(frozen=True)
class ReplicationCheckStarted:
    """``utils dbreplication status``: a new status check runs in the background; its
    result file is named after the second it started (node-local, naive)."""

    started_file: datetime | None


def parse_dbreplication_status(text: str) -> ReplicationCheckStarted:
    named = _REPL_FILE.search(normalize(text))
    stamp = _stamp(named.group("stamp"), "%Y_%m_%d_%H_%M_%S") if named else None
    if stamp is None:
        raise ParseError("utils dbreplication status (no ReplicationStatus file named)", text)
    return ReplicationCheckStarted(stamp)


# -- show network cluster ---------------------------------------------------------------


@dataclass(frozen=True)
class ClusterNode:
    ip: str
    fqdn: str
    hostname: str
    role: str  # Publisher | Subscriber
    product: str
    db_role: str
    auth: str  # rest of the line, e.g. "authenticated using TCP since ..."

    @property
    def is_publisher(self) -> bool:
        return self.role.lower() == "publisher"


@dataclass(frozen=True)
class NetworkCluster:
    nodes: list[ClusterNode]
    processnodes: list[str]


_CLUSTER_TABLE = re.compile(words(line_of(texts.CLUSTER_TABLE_HEAD, 0), 0, 3), re.I)
_SUCCESSFUL = re.compile(words(texts.SUCCESSFUL) + r"\.?", re.I)
_CLUSTER_ROW = re.compile(
    rf"^\s*(?P<ip>{_IP}|[0-9a-fA-F:]+:[0-9a-fA-F:]+)\s+(?P<fqdn>\S+)\s+(?P<host>\S+)\s+"
    r"(?P<role>Publisher|Subscriber)\s+(?P<product>\S+)\s+(?P<db>\S+)\s*(?P<auth>.*?)\s*$",
    re.I,
)


def parse_network_cluster(text: str) -> NetworkCluster:
    nodes: list[ClusterNode] = []
    processnodes: list[str] = []
    in_table = False
    for ln in _lines(text):
        m = _CLUSTER_ROW.match(ln)
        if m and not in_table:
            nodes.append(
                ClusterNode(
                    m.group("ip"),
                    m.group("fqdn"),
                    m.group("host"),
                    m.group("role").capitalize(),
                    m.group("product"),
                    m.group("db"),
                    m.group("auth"),
                )
            )
            continue
        if _CLUSTER_TABLE.search(ln):
            in_table = True
            continue
        token = ln.strip()
        if in_table and token and not set(token) <= {"-"}:
            if _SUCCESSFUL.fullmatch(token):
                in_table = False
            elif " " not in token:
                processnodes.append(token)
    return NetworkCluster(nodes, processnodes)


# -- show status ------------------------------------------------------------------------


@dataclass(frozen=True)
class DiskUsage:
    name: str  # "active", "inactive", "logging"
    total_kb: int | None
    free_kb: int | None
    used_kb: int | None
    percent: int


@dataclass(frozen=True)
class SystemStatus:
    hostname: str | None
    product_version: str | None
    uptime: str | None  # the raw uptime line
    uptime_days: int | None
    disks: list[DiskUsage]

    def disk(self, name: str) -> DiskUsage | None:
        return next((d for d in self.disks if d.name == name), None)


_KB = r"(\d+)\s*K?"
_DISK = re.compile(
    rf"^\s*Disk/(?P<name>\w+)\s+(?:{_KB}\s+{_KB}\s+{_KB}\s*)?\(\s*(?P<pct>\d+)\s*%\s*\)",
    re.I,
)


def common_partition(status: SystemStatus) -> DiskUsage | None:
    """The common partition (/common), where the upgrade wizard downloads and unpacks a
    COP. ``show status`` names it ``Disk/logging`` on the releases we have transcripts
    of (inferred: the logging partition is /common on VOS); a ``Disk/common`` row, if a
    release prints one, wins."""
    return status.disk("common") or status.disk("logging")


_STATUS_HOST = re.compile(r"^\s*" + words(texts.STATUS_HOST, host=r"(\S+)"), re.I)
_STATUS_PRODUCT = re.compile(r"^\s*" + words(texts.STATUS_PRODUCT, version=r"(\S+)"), re.I)
_UPTIME = re.compile(r"\bup\b.*" + words(texts.STATUS_UPTIME, 5, 7))  # ... load average:


def parse_show_status(text: str) -> SystemStatus:
    hostname = version = uptime = None
    days: int | None = None
    disks: list[DiskUsage] = []
    for ln in _lines(text):
        m = _STATUS_HOST.match(ln)
        if m:
            hostname = m.group(1)
            continue
        m = _STATUS_PRODUCT.match(ln)
        if m:
            version = m.group(1)
            continue
        if _UPTIME.search(ln):
            uptime = ln.strip()
            m = re.search(r"\bup\s+(\d+)\s+days?", ln)
            days = int(m.group(1)) if m else 0
            continue
        m = _DISK.match(ln)
        if m:
            total, free, used = (int(g) if g else None for g in m.group(2, 3, 4))
            disks.append(DiskUsage(m.group("name").lower(), total, free, used, int(m.group("pct"))))
    return SystemStatus(hostname, version, uptime, days, disks)


# -- utils ntp status -------------------------------------------------------------------


@dataclass(frozen=True)
class NtpStatus:
    synchronised: bool
    server: str | None = None
    stratum: int | None = None


_NTP_SYNC = re.compile(
    r"\bsynchroni[sz]ed\s+to\s+(?:NTP\s+)?server\s*\((?P<server>[^)]*)\)\s*at\s+stratum\s+(?P<stratum>\d+)",
    re.I,
)


def parse_ntp_status(text: str) -> NtpStatus:
    flat = " ".join(_lines(text))
    m = _NTP_SYNC.search(flat)
    if m and not re.search(r"\bunsynchroni[sz]ed\b", flat[: m.start()], re.I):
        return NtpStatus(True, m.group("server").strip(), int(m.group("stratum")))
    return NtpStatus(False)


# -- file view install system-history.log -----------------------------------------------


@dataclass(frozen=True)
class HistoryEntry:
    timestamp: datetime
    kind: str  # "install" | "boot" | "other"
    subject: str  # file name, version, or the rest of the line
    outcome: str  # "Success", "Start", "Failure", ... ("" if none)
    line: str


_HISTORY = re.compile(
    r"^\s*(?P<stamp>\d{1,2}/\d{1,2}/\d{4}\s+\d{1,2}:\d{2}:\d{2})\s*\|\s*(?:(?P<who>[^:|]+):\s*)?"
    r"(?P<rest>.*?)\s*$"
)


def parse_system_history(text: str) -> list[HistoryEntry]:
    entries: list[HistoryEntry] = []
    for ln in _lines(text):
        m = _HISTORY.match(ln)
        if not m:
            continue
        try:
            stamp = datetime.strptime(re.sub(r"\s+", " ", m.group("stamp")), "%m/%d/%Y %H:%M:%S")
        except ValueError:
            continue
        rest = m.group("rest")
        kind, subject, outcome = "other", rest, ""
        mm = re.match(
            r"(?P<kind>Install|Boot|Upgrade|Uninstall)\s+(?P<subj>\S+)(?:\s+(?P<out>.*))?$",
            rest,
            re.I,
        )
        if mm:
            kind = mm.group("kind").lower()
            subject = mm.group("subj")
            outcome = (mm.group("out") or "").strip()
        entries.append(HistoryEntry(stamp, kind, subject, outcome, ln.strip()))
    return entries


# -- show timezone config (wording inferred, reference 9.6) ---------------------------------

_ZONE_NAME = re.compile(r"\b(?P<zone>[A-Z][A-Za-z_+-]*(?:/[A-Za-z0-9_+-]+){1,2}|UTC|GMT)\b")


def parse_timezone_config(text: str) -> str | None:
    """The IANA zone name the node runs in (``Current timezone: Europe/Berlin``), or None.

    The wording is inferred: the value is taken from a line that mentions the time zone
    (``Etc/UTC`` and ``(Europe/Berlin)`` forms included), else the first zone-shaped word
    anywhere; a description without an IANA name (``Central European Time``) gives None.
    """
    lines = _lines(text)
    candidates = [ln for ln in lines if re.search(r"time\s*zone", ln, re.I)] + lines
    for ln in candidates:
        value = ln.split(":", 1)[1] if re.search(r"time\s*zone\s*:", ln, re.I) else ln
        m = _ZONE_NAME.search(value)
        if m:
            return m.group("zone")
    return None


# -- utils disaster_recovery status backup (layout inferred, reference 9.6) -----------------


@dataclass(frozen=True)
class BackupStatus:
    available: bool  # False: "drfCliMsg: No backup status available"
    status: str | None = None  # SUCCESS | ERROR | ... as printed after "Status:"
    stamp: datetime | None = None  # when the backup ran, node-local (the tar file's name)
    percent: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.available and (self.status or "").upper() == "SUCCESS"


_DRS_TAR = re.compile(
    words(texts.DRS_TAR, 0, 2) + r"\s*(?P<stamp>\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2})", re.I
)
_DRS_NO_STATUS = re.compile(words(texts.DRS_NO_STATUS, 1), re.I)
_DRS_STATUS = re.compile(
    r"^\s*" + words(texts.DRS_STATUS, 0, 2, status=r"(?P<status>[A-Za-z_]+)"), re.I
)
_DRS_PERCENT = re.compile(r"^\s*" + words(texts.DRS_PERCENT, 0, 2) + r"\s*(\d+)", re.I)


def parse_backup_status(text: str) -> BackupStatus:
    """Tolerant: only ``No backup status available``, the ``Status:`` word, the tar
    file's name stamp and the percentage are read; anything else is skipped."""
    flat = normalize(text)
    if _DRS_NO_STATUS.search(flat):
        return BackupStatus(False)
    status = stamp = percent = None
    for ln in _lines(text):
        m = _DRS_STATUS.match(ln)
        if m and status is None:
            status = m.group("status").upper()
            continue
        m = _DRS_TAR.search(ln)
        if m:
            try:
                stamp = datetime.strptime(m.group("stamp"), "%Y-%m-%d-%H-%M-%S")
            except ValueError:
                stamp = None
            continue
        m = _DRS_PERCENT.match(ln)
        if m:
            percent = int(m.group(1))
    if status is None:
        raise ParseError("disaster_recovery status backup (no 'Status:' line)", text)
    return BackupStatus(True, status, stamp, percent)


# -- utils system upgrade status --------------------------------------------------------


@dataclass(frozen=True)
class UpgradeStatus:
    state: str  # Idle | Running | Completed | Failed | (as printed)
    file: str | None = None
    log: str | None = None

    @property
    def busy(self) -> bool:
        return self.state.lower() not in ("idle", "completed", "failed", "canceled", "cancelled")


_UPGRADE_FIELD = re.compile(
    r"^\s*"
    + either(
        f"(?P<status>{words(texts.UPGRADE_STATUS, 0, 2)})",
        f"(?P<file>{words(texts.UPGRADE_STATUS_FILE, 0, 2)})",
        f"(?P<log>{words(texts.UPGRADE_STATUS_LOG, 0, 2)})",
    )
    + r"\s*(?P<value>.*?)\s*$",
    re.I,
)


def parse_upgrade_status(text: str) -> UpgradeStatus:
    fields: dict[str, str] = {}
    for ln in _lines(text):
        m = _UPGRADE_FIELD.match(ln)
        if m:
            name = next(n for n in ("status", "file", "log") if m.group(n) is not None)
            fields[name] = m.group("value")
    if "status" not in fields or not fields["status"]:
        raise ParseError("upgrade status (no 'Upgrade status:' line)", text)
    return UpgradeStatus(fields["status"], fields.get("file") or None, fields.get("log") or None)


# -- show myself ------------------------------------------------------------------------


@dataclass(frozen=True)
class Myself:
    machine_name: str | None
    account_name: str | None
    privilege_level: int | None
    fields: dict[str, str]


def parse_show_myself(text: str) -> Myself:
    fields: dict[str, str] = {}
    for ln in _lines(text):
        m = re.match(r"^\s*([A-Za-z][A-Za-z ]*?)\s*:\s*(.*?)\s*$", ln)
        if m:
            fields[m.group(1).lower()] = m.group(2)
    level = fields.get("privilege level", "")
    return Myself(
        fields.get("machine name"),
        fields.get("account name"),
        int(level) if level.isdigit() else None,
        fields,
    )


# -- build strings ----------------------------------------------------------------------


def find_build(text: str) -> str | None:
    """First CUCM build number in ``text`` (``12.5.1.14900-63`` or ``15.0.1.10000(1)``)."""
    m = re.search(_BUILD, text)
    return m.group(0) if m else None


__all__ = [
    "BackupStatus",
    "ClusterNode",
    "DiskUsage",
    "HistoryEntry",
    "ListedService",
    "Myself",
    "NetworkCluster",
    "NtpStatus",
    "ReplicationCheckStarted",
    "ReplicationRow",
    "ReplicationStatus",
    "ServiceList",
    "ServiceRestart",
    "SystemStatus",
    "UpgradeStatus",
    "VersionInfo",
    "find_build",
    "parse_backup_status",
    "parse_dbreplication_runtimestate",
    "parse_dbreplication_status",
    "parse_network_cluster",
    "parse_ntp_status",
    "parse_service_list",
    "parse_service_restart",
    "parse_show_myself",
    "parse_show_status",
    "parse_show_version",
    "parse_system_history",
    "parse_timezone_config",
    "parse_upgrade_status",
]
