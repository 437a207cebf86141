"""Blocking until the cluster reaches a state: bounded polling with backoff (tenacity)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    RetryError,
    Retrying,
    retry_if_exception_type,
    stop_after_delay,
    wait_exponential,
)

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
    """First poll after ``first`` s, doubling up to ``ceiling`` s between polls."""

    first: float = 0.05
    ceiling: float = 5.0


def wait_until(
    what: str,
    probe: Callable[[], T],
    timeout: float,
    policy: PollPolicy,
    retry_on: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``probe`` until it returns without raising NotYet (or a ``retry_on`` error).

    Errors not listed propagate at once: bad credentials or a changed host key must
    not be retried for the whole timeout.
    """
    retrying = Retrying(
        stop=stop_after_delay(timeout),
        wait=wait_exponential(multiplier=policy.first, min=policy.first, max=policy.ceiling),
        retry=retry_if_exception_type((NotYet, *retry_on)),
        reraise=False,
    )
    try:
        return retrying(probe)
    except RetryError as exc:
        last = exc.last_attempt.exception()
        reason = last.reason if isinstance(last, NotYet) else str(last)
        raise WaitTimeout(what, timeout, reason) from None
