"""The replication status check behind `utils dbreplication runtimestate` / `status`.

Faithful (reference 9.4, Cisco TAC's CLI guide, field transcripts): runtimestate shows
the *last* status check -- its start (`started at: YYYY-MM-DD-HH-MM`, node-local), its
progress (`in PROGRESS. Checked 680 tables out of 749`) or result (`COMPLETED ...`), and
the result file `ReplicationStatus.YYYY_MM_DD_HH_MM_SS.out` named after the second it
started; `utils dbreplication status` starts a new check in the background. Field
transcripts show a finished check still shown an hour and months after it ran.

Inferred, and switchable: while a check runs, the table shows the states the previous
check found (what a client that does not wait would wrongly judge); a finished check is
shown for ``shown`` seconds (None: until a new one is started, the field's case; a
number: then runtimestate itself starts a new one); runtimestate starts a check when none
was ever run; `status` while a check runs leaves that check running; whether a node going
down ends the reuse (``Rules.replication_check_survives_reboot``; the lab's default is the
field's, it survives).
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
        self, duration: float, live: Callable[[], dict[str, int]], shown: float | None = None
    ) -> None:
        self.duration = duration
        self.shown = None if shown is None else max(duration, shown)
        self._live = live
        self._check: _Check | None = None
        self._last_found: dict[str, int] | None = None

    def forget(self) -> None:
        """A node went down: the next command runs a new check (the old one's table
        no longer describes the cluster)."""
        if self._check is not None and self._check.found is not None:
            self._check = None

    def seed(self, started: float) -> None:
        """A check that finished before the lab started (at ``started``), finding the
        states the nodes have now: what runtimestate shows until a new one starts."""
        found = self._live()
        self._check = _Check(started, started, dict(found), dict(found))
        self._last_found = found

    def _begin(self, now: float) -> _Check:
        previous = self._last_found if self._last_found is not None else self._live()
        check = self._check = _Check(now, now + self.duration, dict(previous))
        if self.duration <= 0:
            check.found = self._last_found = self._live()
        return check

    def start(self, now: float) -> float:
        """`utils dbreplication status`: a new check, unless one is running (then that
        one goes on); returns when the running check started (call under the lock)."""
        check = self._check
        if check is not None and check.found is None and now < check.ends:
            return check.started
        return self._begin(now).started

    def view(self, now: float) -> CheckView:
        """What the command prints at ``now`` (call under the world's lock)."""
        check = self._check
        if check is not None and check.found is None and now >= check.ends:
            check.found = self._live()
            self._last_found = check.found
        stale = (
            check is not None
            and check.reported
            and self.shown is not None
            and now - check.ends > self.shown
        )
        if check is None or stale:
            check = self._begin(now)
        if check.found is not None:
            check.reported = True
            return CheckView(check.started, TABLES, TABLES, True, dict(check.found))
        share = (now - check.started) / self.duration if self.duration > 0 else 1.0
        checked = min(TABLES - 1, int(TABLES * share))
        return CheckView(check.started, checked, TABLES, False, dict(check.shown))
