"""Is a service down? The one rule for the services gate, prechecks, discovery and audit. Pure.

``utils service list`` prints a reason after a stopped service (reference sections 5 and
9.3). Only two reasons are deliberate -- ``Service Not Activated`` and ``Commanded Out of
Service`` -- and every other one (``Component is not running``, Control Center reason
-1019, anything unknown) means "down". Even a deliberate reason is judged against the
service's state before a restart: Cisco TAC documents services that were STARTED before
a reboot coming back ``Commanded Out of Service``; that is a failure to report (start the
service by hand), not a pass.

Reasons are compared without regard to case or runs of spaces, so the one-space
separator of flattened documents parses to the same reason (the parser accepts it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from orchestrator.cucm.texts import REASON_NOT_ACTIVATED, REASON_OUT_OF_SERVICE

STARTED = "STARTED"
STARTING = "STARTING"

#: The only reasons that say a stopped service is meant to be stopped.
DELIBERATE_REASONS: tuple[str, ...] = (REASON_NOT_ACTIVATED, REASON_OUT_OF_SERVICE)


def _norm(reason: str) -> str:
    return re.sub(r"\s+", " ", reason).strip().casefold()


_DELIBERATE = {_norm(r) for r in DELIBERATE_REASONS}
_OUT_OF_SERVICE = _norm(REASON_OUT_OF_SERVICE)


def is_deliberate(reason: str) -> bool:
    """``Service Not Activated`` / ``Commanded Out of Service`` (any case or spacing)."""
    return _norm(reason) in _DELIBERATE


def is_activated(reason: str) -> bool:
    """Meant to run here: no deliberate reason. A service ``Component is not running`` is
    activated (and down)."""
    return not is_deliberate(reason)


def counts_as_down(state: str, reason: str) -> bool:
    """Without knowing the state before a restart: not STARTED and not deliberately so."""
    return state != STARTED and not is_deliberate(reason)


@dataclass(frozen=True)
class ServiceProblem:
    name: str
    state: str
    reason: str
    was_started: bool  # STARTED before the restart (what the gate expects back)

    @property
    def commanded_out(self) -> bool:
        """Came back out of service although it ran before (Cisco TAC, after reboots)."""
        return self.was_started and is_deliberate(self.reason)

    @property
    def starting(self) -> bool:
        return self.state == STARTING

    @property
    def stays_down(self) -> bool:
        """Ran before the restart and is back stopped ``Commanded Out of Service``
        (reference 9.3): Cisco TAC says to start it by hand (``remedy``); it does not
        start by itself, so waiting for it only burns the timeout."""
        return (
            self.was_started
            and _norm(self.reason) == _OUT_OF_SERVICE
            and self.state not in (STARTED, STARTING)
        )

    def describe(self) -> str:
        text = f"{self.name} {self.state}"
        if self.reason:
            text += f" ({self.reason})"
        if self.commanded_out:
            text += ", STARTED before the restart"
        return text

    def remedy(self, node: str) -> str:
        return f"utils service start {self.name} on {node}"


class ServiceLike(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def state(self) -> str: ...

    @property
    def reason(self) -> str: ...


def judge(
    services: Iterable[ServiceLike], started_before: Iterable[str] | None = None
) -> list[ServiceProblem]:
    """The services that are down, in the order given.

    ``started_before`` names the services STARTED before a restart (the prechecks record
    them): each of them must be STARTED again whatever its reason says, and one that is
    absent is reported as ``absent``. Without it (None) only the reason decides.
    """
    expected = {n.lower(): n for n in started_before} if started_before is not None else {}
    problems: list[ServiceProblem] = []
    seen: set[str] = set()
    for svc in services:
        key = svc.name.lower()
        seen.add(key)
        if svc.state == STARTED:
            continue
        was_started = key in expected
        if was_started or not is_deliberate(svc.reason):
            problems.append(ServiceProblem(svc.name, svc.state, svc.reason, was_started))
    for key, name in expected.items():
        if key not in seen:
            problems.append(ServiceProblem(name, "absent", "", True))
    return problems


def started(services: Iterable[ServiceLike]) -> list[str]:
    """The names of the services STARTED now (what a later restart must bring back)."""
    return sorted(s.name for s in services if s.state == STARTED)


__all__ = [
    "DELIBERATE_REASONS",
    "ServiceLike",
    "ServiceProblem",
    "counts_as_down",
    "is_activated",
    "is_deliberate",
    "judge",
    "started",
]
