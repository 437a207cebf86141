"""The seed's mechanic: which models a node's CallManager knows, and where phones land.

A node's CallManager knows a device pack's models only if it started after that pack
was installed on that node (releases that need a reboot); on 11.5(1)SU5+/12.0(1)SU2+ a
subscriber learns them through the database (configurable: ``rules``), the publisher's
CallManager still needs its restart. Phones register to the first member of their
CallManager group whose CallManager knows their model; the others reject them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from orchestrator.cucm import texts
from orchestrator.cucm.release import Release
from orchestrator.lab.nodes import STARTED, Node

if TYPE_CHECKING:
    from orchestrator.lab.world_state import WorldState

REJECTED_REASON = "No typemodel table-entry for device"

# The lab's own copy of Cisco's table (reference section 7), deliberately not the
# product's ``cucm.release.restart_rule``: a wrong threshold there must fail the e2e tests
# instead of agreeing with itself. Per train, the first build from which a subscriber
# learns new models without a restart (11.5(1)SU5, 12.0(1)SU2); trains before 11.5 never,
# later trains always.
LEARNS_WITHOUT_RESTART_FROM: dict[tuple[int, int], tuple[int, int, int, int]] = {
    (11, 5): (11, 5, 1, 15900),
    (12, 0): (12, 0, 1, 22900),
}


def release_learns_without_restart(release: Release) -> bool:
    """Whether CUCM ``release`` lets a subscriber learn models with no restart at all."""
    train = (release.major, release.minor)
    if train < (11, 5):
        return False
    first = LEARNS_WITHOUT_RESTART_FROM.get(train)
    return first is None or (release.major, release.minor, release.maint, release.build) >= first


def cm_knows(world: WorldState, node: Node, model: str) -> bool:
    if any(m.name == model for m in world.config.base_models):
        return True
    cm = node.services.get(texts.SVC_CALLMANAGER)
    if cm is None or cm.state != STARTED or cm.start_time is None:
        return False
    for base, pack in world.packs.items():
        if not any(m.name == model for m in pack.models):
            continue
        installed_here = node.options.get(base)
        installed_pub = world.publisher.options.get(base)
        if installed_here is None or installed_pub is None:
            continue
        if (
            release_learns_without_restart(node.release)
            and not node.is_publisher
            and world.config.rules.subscriber_learns_models_without_restart
        ):
            return True
        if cm.start_time > installed_here:
            return True
    return False


def recompute(world: WorldState, emit: bool = True) -> None:
    """Re-home every phone after a change; registration changes become events."""
    for phone in world.phones.values():
        status, where, reason = "UnRegistered", None, ""
        for member in world.config.groups.get(phone.group, []):
            node = world.nodes[member]
            cm = node.services.get(texts.SVC_CALLMANAGER)
            if cm is None or cm.state != STARTED:
                continue
            if cm_knows(world, node, phone.model):
                status, where, reason = "Registered", node.name, ""
                break
            if status != "Rejected":
                status, where, reason = "Rejected", node.name, REJECTED_REASON
        if (status, where) != (phone.status, phone.node):
            phone.status, phone.node, phone.reason = status, where, reason
            if emit:
                world.events.emit(
                    where or "-", "phone_registration", phone=phone.name, status=status
                )
