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
from orchestrator.cucm.release import RestartScope, restart_rule
from orchestrator.lab.nodes import STARTED, Node

if TYPE_CHECKING:
    from orchestrator.lab.world import World

REJECTED_REASON = "No typemodel table-entry for device"


def cm_knows(world: World, node: Node, model: str) -> bool:
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
        needs_restart = restart_rule(node.release).scope is RestartScope.REBOOT
        if (
            not needs_restart
            and not node.is_publisher
            and world.config.rules.subscriber_learns_models_without_restart
        ):
            return True
        if cm.start_time > installed_here:
            return True
    return False


def recompute(world: World, emit: bool = True) -> None:
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
