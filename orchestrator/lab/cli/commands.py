"""The admin CLI commands a device-pack rollout uses, printing what CUCM prints.

Output layouts follow the reference (docs: cucm-platform.md); where it gives only the
shape, the layout is modelled on real CUCM output and marked *(inferred)*.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from orchestrator.cucm import texts
from orchestrator.lab.cli import reports
from orchestrator.lab.database import SqlError
from orchestrator.lab.nodes import STARTED, STOPPED
from orchestrator.lab.shell import Logout, SessionClosed, Shell

Handler = Callable[[Shell, list[str]], None]


def dispatch(shell: Shell, line: str) -> None:
    words = line.split()
    lowered = [w.lower() for w in words]
    for pattern, handler in _COMMANDS:
        if lowered[: len(pattern)] == list(pattern):
            shell.delay()
            handler(shell, words[len(pattern) :])
            return
    shell.delay()
    shell.term.line(texts.UNKNOWN_COMMAND)


def _upgrade_running(shell: Shell) -> bool:
    """Restarts and upgrades are refused while an install runs (reference 2)."""
    if shell.node.upgrade.status == "Running":
        shell.term.line(texts.ALREADY_IN_PROGRESS)  # wording for non-upgrade commands inferred
        return True
    return False


# ----- session ---------------------------------------------------------------------------


def _exit(shell: Shell, args: list[str]) -> None:
    raise Logout


def _session_timeout(shell: Shell, args: list[str]) -> None:
    if len(args) != 1 or not args[0].isdigit() or not 5 <= int(args[0]) <= 99999:
        shell.term.line(texts.COMMAND_FAILED)  # range inferred
        return
    if not shell.world.config.rules.session_timeout_applies_to_current:
        shell.term.line(texts.SESSION_TIMEOUT_NEW_ONLY)
    if not shell.ask_yes_no(texts.SESSION_TIMEOUT_CONTINUE):
        return
    with shell.world.lock:
        shell.node.cli_session_timeout_minutes = int(args[0])
    shell.world.events.emit(shell.node_name, "cli_session_timeout_set", minutes=int(args[0]))
    shell.term.line(texts.SUCCESSFUL)


def _show_session_timeout(shell: Shell, args: list[str]) -> None:
    shell.out([texts.SESSION_TIMEOUT_SHOW.format(minutes=shell.node.cli_session_timeout_minutes)])


def _pagination(shell: Shell, args: list[str]) -> None:
    if args and args[0].lower() == "off":
        shell.pagination = False
        shell.term.line(texts.PAGINATION_OFF)
    elif args and args[0].lower() == "on":
        shell.pagination = True
        shell.term.line(texts.PAGINATION_ON)
    else:
        shell.term.line(texts.COMMAND_FAILED)


# ----- show ------------------------------------------------------------------------------


def _show_version(shell: Shell, args: list[str]) -> None:
    which = args[0].lower() if args else ""
    node = shell.node
    if which == "active":
        with shell.world.lock:
            options = sorted(node.options, key=node.options.__getitem__)
        lines = [texts.ACTIVE_MASTER.format(version=node.release_text), texts.ACTIVE_OPTIONS]
        lines += options or [texts.NO_OPTIONS]
    elif which == "inactive":
        # The lab does not model the inactive partition's history: it holds the same
        # release with no options (inferred).
        lines = [
            texts.INACTIVE_MASTER.format(version=node.release_text),
            texts.INACTIVE_OPTIONS,
            texts.NO_OPTIONS,
        ]
    else:
        lines = [texts.COMMAND_FAILED]
    shell.out(lines)


def _show_myself(shell: Shell, args: list[str]) -> None:
    text = texts.SHOW_MYSELF.format(host=shell.node.name, account=shell.username)
    shell.out(text.rstrip(texts.CRLF).split(texts.CRLF))


def _show_status(shell: Shell, args: list[str]) -> None:
    shell.out(reports.show_status(shell.world, shell.node))


def _show_network_cluster(shell: Shell, args: list[str]) -> None:
    shell.out(reports.network_cluster(shell.world, shell.node))


def _dbreplication(shell: Shell, args: list[str]) -> None:
    shell.out(reports.dbreplication(shell.world, shell.node))


def _dbreplication_status(shell: Shell, args: list[str]) -> None:
    shell.out(reports.replication_check_started(shell.world))


# `utils dbreplication repair all` / `reset all`: the reference gives no transcript; the
# wording below is modelled on real CUCM output (inferred). Both run in the background
# and return at once; `runtimestate` shows the states moving. Run on the publisher.
REPAIR_STARTED = [
    " -------------------- utils dbreplication repair --------------------",
    "",
    "Replication Repair is now running in the background.",
    "Use command 'utils dbreplication runtimestate' to check its progress",
    "",
    "Output will be in file cm/trace/dbl/sdi/ReplicationRepair.{stamp}.out",
    "",
    'Please use "file view activelog cm/trace/dbl/sdi/ReplicationRepair.{stamp}.out "'
    " command to see the output",
]
RESET_STARTED = [
    "This command will try to start Replication reset and will return in 1-2 minutes.",
    "Background repair of replication will continue after that for 1 hour.",
    "Please watch RTMT replication state. It should go from 0 to 2. When all subs",
    "have a state of 2, replication is complete.",
    "If Replication status remains in state 4 after many hours, contact TAC.",
]
PUBLISHER_ONLY = "This command can only be run on the publisher."  # inferred


def _dbreplication_repair(shell: Shell, args: list[str], reset: bool) -> None:
    if [a.lower() for a in args] != ["all"]:  # per-node forms are not modelled
        shell.term.line(texts.COMMAND_FAILED)
        return
    if not shell.node.is_publisher:
        shell.out([PUBLISHER_ONLY, texts.COMMAND_FAILED])
        return
    shell.world.repair_replication(reset=reset)
    stamp = time.strftime("%Y_%m_%d_%H_%M_%S", time.gmtime())
    lines = RESET_STARTED if reset else REPAIR_STARTED
    shell.out([line.format(stamp=stamp) for line in lines])


def _dbreplication_repair_all(shell: Shell, args: list[str]) -> None:
    _dbreplication_repair(shell, args, reset=False)


def _dbreplication_reset_all(shell: Shell, args: list[str]) -> None:
    _dbreplication_repair(shell, args, reset=True)


def _ntp(shell: Shell, args: list[str]) -> None:
    shell.out(reports.ntp_status(shell.node))


def _timezone(shell: Shell, args: list[str]) -> None:
    shell.out(reports.timezone_config(shell.node))


def _backup_status(shell: Shell, args: list[str]) -> None:
    shell.out(reports.backup_status(shell.world, shell.node))


# ----- services --------------------------------------------------------------------------


def _service_list(shell: Shell, args: list[str]) -> None:
    node = shell.node
    with shell.world.lock:
        services = [s for s in node.services.values() if s.name not in reports.PLATFORM]
        lines = [
            f"{s.name}[{s.state}]" + (f"  {s.reason}" if s.reason else "")
            for s in sorted(services, key=lambda s: s.name)
        ]
    head = texts.SERVICE_LIST_HEAD.rstrip(texts.CRLF).split(texts.CRLF)
    value = "true" if node.is_publisher else "false"
    shell.out([*head, *lines, texts.PRIMARY_NODE.format(value=value), texts.COMMAND_SUCCESSFUL])


def _service_restart(shell: Shell, args: list[str]) -> None:
    _service_control(shell, args, "restart")


def _service_stop(shell: Shell, args: list[str]) -> None:
    _service_control(shell, args, "stop")


def _service_start(shell: Shell, args: list[str]) -> None:
    _service_control(shell, args, "start")


# What each command drives the service to; stop and start print the restart's state
# lines without its Ctrl-C notice (inferred: the reference shows only the restart).
_CONTROL_TARGET = {"restart": STARTED, "stop": STOPPED, "start": STARTED}


def _service_control(shell: Shell, args: list[str], verb: str) -> None:
    name = " ".join(args)
    world, node = shell.world, shell.node
    service = next((s for s in node.services.values() if s.name.lower() == name.lower()), None)
    if service is None:
        shell.term.line(texts.COMMAND_FAILED)
        return
    if _upgrade_running(shell):
        return
    if verb == "restart":
        shell.term.line(texts.SERVICE_RESTART_NOTICE)
    shell.term.line(texts.SERVICE_MANAGER_RUNNING)
    target = _CONTROL_TARGET[verb]
    if verb != "restart" and service.activated and service.state == target:
        shell.term.line(f"{service.name}[{target}]")  # nothing to do (inferred)
        return
    events = world.events
    control = {
        "restart": world.restart_service,
        "stop": world.stop_service,
        "start": world.start_service,
    }[verb]
    with world.lock:
        seen = len(events.select("service_state", node.name, service=service.name))
        controlling = control(node.name, service.name)
    if not controlling:
        # not activated or out of service: the real CLI reports the state and fails (inferred)
        shell.term.line(f"{service.name}[{service.state}]  {service.reason}".rstrip())
        shell.term.line(texts.COMMAND_FAILED)
        return
    # Follow the world's own state changes (from the event log, so no state is missed);
    # a state line repeats while it lasts, and the command gives up, leaving the service
    # where it is (STARTING, say), after a few restart durations (inferred).
    step = max(world.timing.service_restart_seconds / 3, 0.01)
    deadline = time.monotonic() + world.timing.service_restart_seconds * 4 + step

    def states() -> list[str]:
        return [e.data["state"] for e in events.select("service_state", node.name, service=name)]

    name, state = service.name, ""
    while time.monotonic() < deadline:
        new = states()[seen:]
        seen += len(new)
        for state in new:
            shell.term.line(f"{name}[{state}]")
        if state == target:
            return
        if not new and state:
            shell.term.line(f"{name}[{state}]")
        count = seen
        world.wait_for(lambda: len(states()) > count, step)  # noqa: B023


# ----- system ----------------------------------------------------------------------------


def _system_restart(shell: Shell, args: list[str]) -> None:
    if _upgrade_running(shell):
        return
    shell.term.write(texts.RESTART_WARNING)
    # ground truth for tests that stop a client between asking and confirming
    shell.world.events.emit(shell.node_name, "restart_confirmation_asked")
    shell.extra_prompts("restart")
    if not shell.ask_yes_no(texts.RESTART_CONFIRM):
        return
    shell.term.write(_restart_banner(shell))
    shell.world.restart_node(shell.node_name)
    shell.term.line(texts.GOING_DOWN)
    # The prompt never comes back: the node's SSH server cuts this session when the node
    # goes down (after closing its listener, so a client never sees the channel close
    # while connects still succeed). The grace period covers a shell with no server.
    down_since: float | None = None
    while shell.alive:
        shell.world.wait_for(lambda: shell.node.phase == "down", 0.2)
        if shell.node.phase == "down":
            down_since = down_since or time.monotonic()
            if time.monotonic() - down_since > 2.0:
                shell.disconnect()
    raise SessionClosed


def _restart_banner(shell: Shell) -> str:
    banner = shell.world.config.rules.restart_banner
    if banner == "auto":
        release = shell.node.release
        banner = "service_manager" if (release.major, release.minor) >= (12, 5) else "appliance"
    return texts.RESTART_BANNERS[banner]


def _upgrade(shell: Shell, args: list[str]) -> None:
    from orchestrator.lab import upgrade_wizard

    action = args[0].lower() if args else ""
    if action == "initiate":
        upgrade_wizard.initiate(shell)
    elif action == "status":
        upgrade_wizard.status(shell)
    elif action == "cancel":
        upgrade_wizard.cancel(shell)
    else:
        shell.term.line(texts.COMMAND_FAILED)


# ----- files and SQL ---------------------------------------------------------------------


def _file_view(shell: Shell, args: list[str]) -> None:
    if [a.lower() for a in args] != ["install", "system-history.log"]:
        shell.term.line(texts.COMMAND_FAILED)
        return
    with shell.world.lock:
        lines = shell.world.history_lines(shell.node)
    # `file view` pages with its own prompt even with pagination off (reference 9.5,
    # inferred from clients that always handle it): a rule, on by default.
    if not shell.pagination and not shell.world.config.rules.file_view_always_pages:
        for text in lines:
            shell.term.line(text)
        return
    _file_pager(shell, lines)


def _file_pager(shell: Shell, lines: list[str]) -> None:
    """The `file view` pager: q, n(ext), p(rev), b(egin), e(nd), 20 lines a page."""
    size, total = 20, len(lines)
    first = 0
    while True:
        page = lines[first : first + size]
        for text in page:
            shell.term.line(text)
        last = first + len(page)
        shell.term.write(texts.FILE_VIEW_PAGER.format(first=first + 1, last=last, total=total))
        key = shell.term.read_key().lower()
        shell.term.write(texts.CRLF)
        if key == "q" or (key in "n\r " and last >= total):
            return
        if key in "n\r ":
            first = last
        elif key == "p":
            first = max(0, first - size)
        elif key == "b":
            first = 0
        elif key == "e":
            first = max(0, total - size)


def _run_sql(shell: Shell, args: list[str]) -> None:
    try:
        columns, rows = shell.world.db.query(" ".join(args))
    except SqlError as exc:
        shell.term.line(str(exc))
        shell.term.line(texts.COMMAND_FAILED)
        return
    widths = [max([len(c), *(len(r[i]) for r in rows)]) for i, c in enumerate(columns)]
    lines = [
        " ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
        " ".join("=" * w for w in widths),
        *(" ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows),
    ]
    shell.out(lines)


_COMMANDS: list[tuple[tuple[str, ...], Handler]] = [
    (("exit",), _exit),
    (("quit",), _exit),
    (("set", "cli", "pagination"), _pagination),
    (("set", "cli", "session", "timeout"), _session_timeout),
    (("show", "cli", "session", "timeout"), _show_session_timeout),
    (("show", "version"), _show_version),
    (("show", "myself"), _show_myself),
    (("show", "status"), _show_status),
    (("show", "network", "cluster"), _show_network_cluster),
    (("utils", "service", "list"), _service_list),
    (("utils", "service", "restart"), _service_restart),
    (("utils", "service", "stop"), _service_stop),
    (("utils", "service", "start"), _service_start),
    (("utils", "system", "restart"), _system_restart),
    (("utils", "system", "upgrade"), _upgrade),
    (("utils", "dbreplication", "runtimestate"), _dbreplication),
    (("utils", "dbreplication", "status"), _dbreplication_status),
    (("utils", "dbreplication", "repair"), _dbreplication_repair_all),
    (("utils", "dbreplication", "reset"), _dbreplication_reset_all),
    (("utils", "ntp", "status"), _ntp),
    (("show", "timezone", "config"), _timezone),
    (("utils", "disaster_recovery", "status", "backup"), _backup_status),
    (("file", "view"), _file_view),
    (("run", "sql"), _run_sql),
]
