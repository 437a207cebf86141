"""`utils dbreplication runtimestate` runs a replication status check that takes time.

Reference 9.4: the output's header says when the check started and, once it has
finished, `Replication status command COMPLETED 682 tables checked out of 682`; while it
runs, `IN PROGRESS` with a smaller count, and the table's states are not final. The lab
shows, during a check, the states the previous check found (what a client that does not
wait would wrongly judge), and the states of the moment the check ends once it is
COMPLETED. A finished check is printed at least once, and again for ``shown`` seconds (at
least as long as it took); then the command starts a new one (how long a real result is
reused is inferred).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

TABLES = 682  # the reference's example cluster


@dataclass
class CheckView:
    started: float
    checked: int  # tables checked so far
    total: int
    completed: bool
    states: dict[str, int]  # per node name, as the table shows them


@dataclass
class _Check:
    started: float
    ends: float
    shown: dict[str, int]  # while running: what the previous check found
    found: dict[str, int] | None = None
    reported: bool = False  # a COMPLETED result has been printed at least once


class ReplicationStatusCommand:
    """One node's (the publisher's) status check, shared by every session."""

    def __init__(
        self, duration: float, live: Callable[[], dict[str, int]], shown: float = 0.0
    ) -> None:
        self.duration = duration
        self.shown = max(duration, shown)
        self._live = live
        self._check: _Check | None = None
        self._last_found: dict[str, int] | None = None

    def forget(self) -> None:
        """A node went down: the next command runs a new check (the old one's table
        no longer describes the cluster)."""
        if self._check is not None and self._check.found is not None:
            self._check = None

    def view(self, now: float) -> CheckView:
        """What the command prints at ``now`` (call under the world's lock)."""
        check = self._check
        if check is not None and check.found is None and now >= check.ends:
            check.found = self._live()
            self._last_found = check.found
        stale = check is not None and check.reported and now - check.ends > self.shown
        if check is None or stale:
            previous = self._last_found if self._last_found is not None else self._live()
            check = self._check = _Check(now, now + self.duration, dict(previous))
            if self.duration <= 0:
                check.found = self._last_found = self._live()
        if check.found is not None:
            check.reported = True
            return CheckView(check.started, TABLES, TABLES, True, dict(check.found))
        share = (now - check.started) / self.duration if self.duration > 0 else 1.0
        checked = min(TABLES - 1, int(TABLES * share))
        return CheckView(check.started, checked, TABLES, False, dict(check.shown))
