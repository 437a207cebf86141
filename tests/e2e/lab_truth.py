"""Assertions on the lab's ground-truth events (not on the engine's own claims)."""

from __future__ import annotations

from collections import Counter

from orchestrator.lab.events import Event
from orchestrator.lab.runner import LabCluster
from orchestrator.lab.world import World

MODELS = ["Cisco 8851", "Cisco 8865"]
REBOOT_RELEASE = "9.1.2.10000-28"
SERVICE_RELEASE = "12.5.1.14900-63"

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


def assert_once_each(cluster: LabCluster, restart: str) -> None:
    events = cluster.lab.events
    for node in cluster.world.nodes:
        assert len(events.select("install_started", node)) == 1, f"{node} installed twice"
        assert len(events.select("install_finished", node)) == 1, f"{node} not installed once"
    if restart == "reboot":
        for node in cluster.world.nodes:
            assert len(events.select("reboot_started", node)) == 1, f"{node} rebooted twice"
    else:
        assert not events.select("reboot_started")
        counts = Counter(
            (e.node, e.data["service"]) for e in events.select("service_restart_requested")
        )
        twice = {key: n for key, n in counts.items() if n != 1}
        assert not twice, f"services restarted more than once: {twice}"
        pub = cluster.world.publisher.name
        assert (pub, CM) in counts
        for name, node in cluster.world.nodes.items():
            assert (name, "Cisco Tomcat") in counts
            assert ((name, TFTP) in counts) == node.spec.tftp


def assert_cluster_right(cluster: LabCluster) -> None:
    log = cluster.lab.events.all()
    world = cluster.world
    for node in world.nodes:
        installed = first(log, node, "install_finished").time
        restarts = [
            e.time
            for e in log
            if e.node == node and e.event in ("reboot_started", "service_restart_requested")
        ]
        assert all(t > installed for t in restarts), f"{node} restarted before its install"
    assert_groups_never_fully_down(world, log)
    assert_one_tftp_always_up(world, log)
    assert_all_know(world, MODELS)
    assert_phones_home(world)
