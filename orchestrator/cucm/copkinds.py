"""What each kind of COP needs once installed: how it is verified, what restart it needs.

One table, read by the planner (the plan takes the strongest restart of the COPs it
installs) and shown in the plan's notes.

Sources: the device pack rule is Cisco's procedure (reference section 7). For the other
kinds no primary Cisco text was found while writing this (the search tool turned up
nothing); what follows is *inferred* and errs on the side of restarting more:

- locale installer: Cisco's locale installer instructions say to install it on every
  node and then restart (reboot) every node, publisher first, for the new locale to
  take effect. Treated as a reboot. *(inferred from memory of Cisco's locale installer
  readme)*
- dial plan (e.g. ``dp-ffr...cop.sgn``): loaded by Cisco CallManager; restart Cisco
  CallManager on every node where it runs. *(inferred)*
- signing-key COP (``ciscocm.enable-sha512sum-2021-signing-key``): only lets the node
  accept ``.cop.sha512`` files; no restart. *(inferred)*
- other: unknown contents, so the strongest: a reboot. *(inferred, conservative)*
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from orchestrator.config.playbook import CopKind
from orchestrator.cucm.release import Release, RestartScope, restart_rule


class RestartNeed(IntEnum):
    """Ordered: the plan takes the largest of its COPs' needs."""

    NONE = 0
    SERVICES = 1
    REBOOT = 2


@dataclass(frozen=True)
class KindRule:
    verify: str  # how devpack proves the COP took
    need: RestartNeed | None  # None: Cisco's rule for the cluster's release (device packs)
    restart: str  # what the restart is, in words
    callmanager_everywhere: bool = False  # with service restarts: CallManager on every node


RULES: dict[CopKind, KindRule] = {
    CopKind.DEVICEPACK: KindRule(
        "listed in show version active, and its models in typemodel (AXL)",
        None,
        "Cisco's rule for the release (reference section 7)",
    ),
    CopKind.LOCALE: KindRule(
        "listed in show version active",
        RestartNeed.REBOOT,
        "reboot every node, publisher first (Cisco's locale installer instructions; inferred)",
    ),
    CopKind.DIALPLAN: KindRule(
        "listed in show version active",
        RestartNeed.SERVICES,
        "restart Cisco CallManager on every node where it runs (inferred)",
        callmanager_everywhere=True,
    ),
    CopKind.SIGNING_KEY: KindRule(
        "listed in show version active", RestartNeed.NONE, "none (inferred)"
    ),
    CopKind.OTHER: KindRule(
        "listed in show version active",
        RestartNeed.REBOOT,
        "unknown contents: a reboot, the strongest (inferred)",
    ),
}


def need_of(kind: CopKind, lowest_release: Release) -> RestartNeed:
    rule = RULES[kind]
    if rule.need is not None:
        return rule.need
    scope = restart_rule(lowest_release).scope
    return RestartNeed.REBOOT if scope is RestartScope.REBOOT else RestartNeed.SERVICES


def strongest(kinds: list[CopKind], lowest_release: Release) -> RestartNeed:
    return max((need_of(kind, lowest_release) for kind in kinds), default=RestartNeed.NONE)
