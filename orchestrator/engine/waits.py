"""Blocking until the cluster reaches a state: bounded polling (tenacity) that follows
the plan.

A phase the plan expects to take many minutes (a reboot, replication settling) is
looked at once at the start (a resumed run may find it over already), then not again
until ``quiet_share`` of its estimate has passed, then at the policy's pace: ``first``
s, doubling up to ``ceiling`` s. Each poll is an SSH exchange the orchestrator pays CPU
for (docs/performance.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import RetryCallState, RetryError, Retrying, retry_if_exception_type

T = TypeVar("T")


class NotYet(Exception):
    """The awaited condition does not hold yet; ``reason`` says what is still missing."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class WaitTimeout(Exception):
    def __init__(self, what: str, seconds: float, last: str) -> None:
        super().__init__(f"timed out after {seconds:.0f} s waiting for {what}: {last}")
        self.what = what
        self.last = last


@dataclass(frozen=True)
class PollPolicy:
    """First poll after ``first`` s, doubling up to ``ceiling`` s between polls; a phase
    with an estimate is left alone for ``quiet_share`` of it after the first look."""

    first: float = 0.05
    ceiling: float = 5.0
    quiet_share: float = 0.0

    def quiet(self, expected: float) -> float:
        """Seconds to leave a phase expected to take ``expected`` s before looking again."""
        return self.quiet_share * expected

    def pace(self, expected: float) -> Callable[[int], float]:
        """The pause after the n-th look: ``first``, doubling up to ``ceiling``; when the
        phase is expected to last, the first pause is the quiet share of it instead, and
        the doubling starts after it."""
        quiet = self.quiet(expected)
        skip = 1 if quiet > self.first else 0

        def after(look: int) -> float:
            if skip and look == 1:
                return quiet
            doublings = min(look - 1 - skip, 60)
            return min(self.first * 2**doublings, self.ceiling)

        return after


def wait_until(
    what: str,
    probe: Callable[[], T],
    timeout: float,
    policy: PollPolicy,
    retry_on: tuple[type[BaseException], ...] = (),
    expected: float = 0.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``probe`` until it returns without raising NotYet (or a ``retry_on`` error).

    ``expected`` is how long the plan expects the phase to take from now (0: unknown);
    see the module's docstring for the pace. Errors not listed propagate at once: bad
    credentials or a changed host key must not be retried for the whole timeout.
    """
    deadline = clock() + timeout
    pace = policy.pace(expected)

    def pause(state: RetryCallState) -> float:
        return max(0.0, min(pace(state.attempt_number), deadline - clock()))

    retrying = Retrying(
        stop=lambda _state: clock() >= deadline,
        wait=pause,
        sleep=sleep,
        retry=retry_if_exception_type((NotYet, *retry_on)),
        reraise=False,
    )
    try:
        return retrying(probe)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        reason = last.reason if isinstance(last, NotYet) else str(last)
        raise WaitTimeout(what, timeout, reason) from None
