"""Status reports of the admin CLI: `show status`, `show network cluster`,
`utils dbreplication runtimestate`, `utils ntp status`.

The reference gives their key lines; the surrounding layout is modelled on real
CUCM 11.5/12.5 output *(inferred)*, with the lab's own values.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from orchestrator.cucm import texts
from orchestrator.lab.nodes import PLATFORM_SERVICES, Node
from orchestrator.lab.world import World

PLATFORM = set(PLATFORM_SERVICES)
_CTIME = "%a %b %d %H:%M:%S %Y"
_DATE = "%a %b %d %H:%M:%S UTC %Y"
_LOCAL_DATE = "%a %b %d %H:%M:%S %Z %Y"
REPLICATION_FILE_STAMP = "%Y_%m_%d_%H_%M_%S"

_STATUS_LAYOUT = f"""\
{texts.STATUS_HOST}
Date               : {{date}}
Time Zone          : {{zone}}
Locale             : en_US.UTF-8
{texts.STATUS_PRODUCT}
Unified OS Version : 7.0.0.0-4

Uptime:
{{uptime}}

CPU Idle:   95.45%  System:   02.02%    User:   02.53%
  IOWAIT:   00.00%     IRQ:   00.00%    Soft:   00.00%

Memory Total:        8062756K
        Free:         216468K
        Used:        7846288K
       Cached:        2317544K
       Shared:         285616K
      Buffers:         178828K

                        Total            Free            Used
{{active}}
{{inactive}}
{{logging}}"""


def _utc(epoch: float, fmt: str) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime(fmt)


def _local(node: Node, epoch: float, fmt: str) -> str:
    return node.clock(epoch).strftime(fmt)


def backup_status(world: World, here: Node) -> list[str]:
    """`utils disaster_recovery status backup`: the cluster's last DRS backup, stamped in
    the publisher's local time (layout inferred, reference 9.6)."""
    spec = world.config.backup
    at = world.backup_at
    if at is None:
        return ["", texts.DRS_NO_STATUS, ""]
    pub = world.publisher
    stamp = _local(pub, at, texts.DRS_TAR_STAMP_FORMAT)
    ok = spec.status == "SUCCESS"
    return [
        texts.DRS_STATUS.format(
            status=spec.status, summary=texts.DRS_COMPLETED if ok else texts.DRS_FAILED
        ),
        texts.DRS_TAR.format(stamp=stamp),
        texts.DRS_LOCATION,
        texts.DRS_OPERATION,
        texts.DRS_PERCENT,
        texts.DRS_COMPONENT.format(
            host=pub.name,
            status=spec.status,
            date=_local(pub, at + 4, "%a %b %d %H:%M:%S %Z %Y"),
            stamp=stamp,
        ),
    ]


def timezone_config(node: Node) -> list[str]:
    """`show timezone config` (wording inferred, reference 9.6)."""
    return [texts.TIMEZONE_CURRENT.format(zone=node.timezone), texts.TIMEZONE_VERSION]


def uptime_line(now: float, boot: float) -> str:
    """Linux `uptime`: ` 16:07:17 up 72 days, 21:01,  1 user,  load average: ...`."""
    seconds = max(0, int(now - boot))
    days, rest = divmod(seconds, 86400)
    hours, minutes = rest // 3600, rest % 3600 // 60
    clock = f"{hours}:{minutes:02d}" if hours else f"{minutes} min"
    since = f"{days} day{'s' if days != 1 else ''}, {clock}" if days else clock
    return texts.STATUS_UPTIME.format(time=_utc(now, "%H:%M:%S"), since=since)


def _disk(label: str, total_k: int, used_k: int) -> str:
    pct = round(100 * used_k / total_k) if total_k else 0
    return f"{label:<14}{total_k:>14}K{total_k - used_k:>14}K{used_k:>14}K ({pct}%)"


def show_status(world: World, node: Node) -> list[str]:
    now = time.time()
    active_total = 19_805_412
    logging_total = max(69_234_984, node.common_free_mb * 1024 + 1_000_000)
    text = _STATUS_LAYOUT.format(
        host=node.name,
        zone=node.timezone,
        date=_local(node, now, "%a %b %d, %Y %H:%M:%S"),
        version=node.release_text,
        uptime=uptime_line(now, node.boot_time),
        active=_disk("Disk/active", active_total, active_total * node.spec.disk_active_pct // 100),
        inactive=_disk("Disk/inactive", active_total, 91_956),
        logging=_disk("Disk/logging", logging_total, logging_total - node.common_free_mb * 1024),
    )
    return text.split("\n")


def network_cluster(world: World, here: Node) -> list[str]:
    """The peers as ``here`` sees them: a subscriber's connection was authenticated when
    the later of the two last booted (current boots, not the lab's first ones)."""
    domain = world.config.domain
    lines: list[str] = []
    with world.lock:
        nodes = list(world.nodes.values())
        for node in nodes:
            if node.phase == "down":
                auth = texts.CLUSTER_NOT_AUTH
            elif node.is_publisher:
                auth = texts.CLUSTER_AUTH_PUB
            else:
                since = max(node.boot_time, here.boot_time)
                auth = texts.CLUSTER_AUTH_SUB.format(since=_utc(since, _CTIME))
            lines.append(
                texts.CLUSTER_ROW.format(
                    ip=node.address,
                    fqdn=f"{node.name}.{domain}",
                    host=node.name,
                    role="Publisher" if node.is_publisher else "Subscriber",
                    dbrole="DBPub" if node.is_publisher else "DBSub",
                    auth=auth,
                )
            )
    for name, address in world.im_presence:
        lines.append(
            texts.CLUSTER_ROW.format(
                ip=address,
                fqdn=f"{name}.{domain}",
                host=name,
                role="Subscriber",
                dbrole="DBSub",
                auth=texts.CLUSTER_AUTH_SUB.format(since=_utc(here.boot_time, _CTIME)),
            ).replace(f" {texts.PRODUCT_CALLMANAGER} ", f" {texts.PRODUCT_IM_PRESENCE} ", 1)
        )
    # one spelling per cluster, as its servers are defined (server_names)
    table = [world.server_name(n) for n in nodes]
    table += [world.config.server_name(name, address) for name, address in world.im_presence]
    return [*lines, "", *texts.CLUSTER_TABLE_HEAD.split(texts.CRLF), *table, "", texts.SUCCESSFUL]


def dbreplication(world: World, here: Node) -> list[str]:
    now = time.time()
    with world.lock:
        nodes = list(world.nodes.values())
    if len(nodes) == 1:  # a publisher-only cluster (reference 9.4)
        return ["", texts.DBREPL_SINGLE_NODE, ""]
    with world.lock:
        check = world.replication_check.view(now)
        rows = []
        for index, node in enumerate(nodes):
            state = check.states.get(node.name, node.replication)
            rows.append(
                texts.DBREPL_ROW.format(
                    host=node.name,
                    ip=node.address,
                    ping="" if node.phase == "down" else f"{0.035 + 0.1 * index:.3f}",
                    rpc="N/N/N" if node.phase == "down" else "Y/Y/Y",
                    queue="--" if node.phase == "down" else "0",
                    group=f"(g_{index + 2})",
                    state=state,
                    text=texts.REPLICATION_STATES.get(state, "Unknown"),
                ).rstrip()
            )
    # the check is the publisher's: its stamps are the publisher's local time (9.4)
    publisher = world.publisher
    started = _local(publisher, check.started, "%Y-%m-%d-%H-%M")
    result_file = _local(publisher, check.started, REPLICATION_FILE_STAMP)
    if check.completed:
        header = [
            texts.DBREPL_STATUS_COMPLETED.format(total=check.total),
            *texts.DBREPL_STATUS_DONE.format(stamp=result_file).split(texts.CRLF),
        ]
    else:
        header = [
            texts.DBREPL_STATUS_IN_PROGRESS.format(checked=check.checked, total=check.total),
            texts.DBREPL_STATUS_FILE.format(stamp=result_file),
        ]
    return [
        "",
        texts.DBREPL_SERVER_TIME.format(time=_local(here, now, _LOCAL_DATE)),
        "",
        texts.DBREPL_STATUS_STARTED.format(at=started),
        *header,
        "",
        texts.DBREPL_DB_VERSION.format(
            version=here.release_text.replace(".", "_").replace("-", "_")
        ),
        texts.DBREPL_TIMEOUT,
        texts.DBREPL_PROCESS,
        "",
        texts.DBREPL_DETAILED.format(host=here.name, count=len(nodes)),
        "",
        *texts.DBREPL_HEAD.split(texts.CRLF),
        *rows,
        "",
    ]


def replication_check_started(world: World) -> list[str]:
    """`utils dbreplication status`: a new status check (or the one running) starts."""
    with world.lock:
        started = world.replication_check.start(time.time())
        publisher = world.publisher
    stamp = _local(publisher, started, REPLICATION_FILE_STAMP)
    return ["", "", *texts.DBREPL_CHECK_STARTED.format(stamp=stamp).split(texts.CRLF), ""]


def ntp_status(node: Node) -> list[str]:
    server = "127.0.0.1"
    synced = node.spec.ntp_synchronised
    lines = [
        texts.NTP_DAEMON.format(pid=28435),
        "",
        *texts.NTP_TABLE.split(texts.CRLF),
        texts.NTP_PEER.format(
            mark="*" if synced else " ", server=server, reach=377 if synced else 0
        ),
        "",
    ]
    if synced:
        lines.append(texts.NTP_SYNCHRONISED.format(server=server, stratum=3))
        lines += texts.NTP_SYNC_DETAIL.split(texts.CRLF)
    else:
        lines.append(texts.NTP_UNSYNCHRONISED)
        lines += texts.NTP_UNSYNC_DETAIL.split(texts.CRLF)
    return [*lines, "", texts.NTP_CURRENT_TIME.format(time=_utc(time.time(), _DATE))]
