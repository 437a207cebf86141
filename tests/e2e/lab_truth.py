"""Assertions on the lab's ground-truth events (not on the engine's own claims)."""

from __future__ import annotations

from orchestrator.lab.events import Event
from orchestrator.lab.world import World

CM, TFTP = "Cisco CallManager", "Cisco Tftp"


def first(events: list[Event], node: str, name: str, **match: object) -> Event:
    found = [
        e
        for e in events
        if e.node == node and e.event == name and all(e.data.get(k) == v for k, v in match.items())
    ]
    assert found, f"no {name} event for {node} {match}"
    return found[0]


def outage_intervals(
    events: list[Event], node: str, service: str = CM
) -> list[tuple[float, float]]:
    """Periods in which ``service`` on ``node`` was not STARTED."""
    intervals, down_since = [], None
    for e in events:
        if e.node != node or e.event != "service_state" or e.data.get("service") != service:
            continue
        if e.data["state"] != "STARTED" and down_since is None:
            down_since = e.time
        elif e.data["state"] == "STARTED" and down_since is not None:
            intervals.append((down_since, e.time))
            down_since = None
    if down_since is not None:
        intervals.append((down_since, float("inf")))
    return intervals


def overlaps(a: list[tuple[float, float]], b: list[tuple[float, float]]) -> bool:
    return any(s1 < e2 and s2 < e1 for s1, e1 in a for s2, e2 in b)


def assert_groups_never_fully_down(world: World, events: list[Event]) -> None:
    for group, members in world.config.groups.items():
        for i, left in enumerate(members):
            for right in members[i + 1 :]:
                assert not overlaps(
                    outage_intervals(events, left), outage_intervals(events, right)
                ), f"group {group}: {left} and {right} were down at the same time"


def assert_one_tftp_always_up(world: World, events: list[Event]) -> None:
    tftp = [n for n, node in world.nodes.items() if node.spec.tftp]
    outages = {n: outage_intervals(events, n, TFTP) for n in tftp}
    for name, intervals in outages.items():
        for start, end in intervals:
            others_up = [o for o in tftp if o != name and not overlaps([(start, end)], outages[o])]
            assert others_up, f"every TFTP node was down while {name} was down ({start}..{end})"


def assert_phones_home(world: World) -> None:
    for phone in world.phones.values():
        home = world.config.groups[phone.group][0]
        assert (phone.status, phone.node) == ("Registered", home), (
            f"{phone.name} ({phone.model}) is {phone.status} at {phone.node}, expected {home}"
        )


def assert_all_know(world: World, models: list[str]) -> None:
    for node in world.nodes.values():
        if node.spec.callmanager:
            for model in models:
                assert world.cm_knows(node, model), f"{node.name}'s CallManager rejects {model}"
