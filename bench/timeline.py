"""Where a rollout's time goes: lab phases vs the gaps the engine adds between them."""

from __future__ import annotations

from orchestrator.lab.events import Event

MARKS = {"install_started", "install_finished", "reboot_started", "node_down", "ssh_up"}


def back_times(events: list[Event]) -> dict[tuple[str, float], float]:
    """Per (node, ssh_up time): when that node was fully back (services + replication)."""
    result: dict[tuple[str, float], float] = {}
    ups = [e for e in events if e.event == "ssh_up"]
    for up in ups:
        later = [
            e.time
            for e in events
            if e.node == up.node
            and e.time >= up.time
            and (
                (e.event == "service_state" and e.data.get("state") == "STARTED")
                or (e.event == "replication_state" and e.data.get("state") == 2)
            )
        ]
        result[(up.node, up.time)] = max(later, default=up.time)
    return result


def describe(events: list[Event]) -> list[str]:
    """One line per lab milestone, with the time since the previous one."""
    start = min(e.time for e in events if e.event == "install_started")
    marks = [e for e in events if e.event in MARKS and e.time >= start]
    for (node, _), at in back_times(events).items():
        marks.append(Event(at, node, "back"))
    marks.sort(key=lambda e: e.time)
    lines, previous = [], start
    for e in marks:
        lines.append(f"{e.time - start:7.3f} (+{e.time - previous:.3f}) {e.node} {e.event}")
        previous = e.time
    return lines
