"""One small runner for "the same thing on every node (or cluster) at once".

Every task runs in a copy of the caller's ``contextvars`` context, so a log line written
on a worker thread keeps what the caller bound (structlog's ``run`` id: fleet mode routes
each line to its run's log by it). Without the copy, worker threads start empty and
their lines land in the fleet's fallback log.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Reading a node is I/O bound; more threads than this only queue at the cluster.
DEFAULT_LIMIT = 16


@dataclass(frozen=True)
class Settled(Generic[R]):
    """One task's end: its value, or the exception it raised."""

    value: R | None = None
    error: BaseException | None = None


def _pool(count: int, limit: int | None, name: str) -> ThreadPoolExecutor:
    workers = max(1, min(count, limit or count))
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)


def _submit(pool: ThreadPoolExecutor, fn: Callable[[T], R], item: T) -> Future[R]:
    return pool.submit(contextvars.copy_context().run, fn, item)


def each(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    limit: int | None = DEFAULT_LIMIT,
    name: str = "node",
) -> list[R]:
    """``fn`` over ``items``, at most ``limit`` at once; results in the items' order. The
    first exception (in the items' order) is raised once every task has ended."""
    if not items:
        return []
    with _pool(len(items), limit, name) as pool:
        futures = [_submit(pool, fn, item) for item in items]
        return [future.result() for future in futures]


def settle(
    fn: Callable[[T], R],
    items: Sequence[T],
    *,
    limit: int | None = None,
    name: str = "node",
    on_interrupt: Callable[[], None] | None = None,
    reraise_interrupt: bool = True,
) -> list[Settled[R]]:
    """``fn`` over ``items``; every task runs to its end and each one's value or
    exception is returned in the items' order.

    Ctrl-C / SIGTERM reach only the calling thread: ``on_interrupt`` is called there (to
    tell tasks still queued not to start), the tasks under way are waited for, and the
    interrupt is raised again (or, with ``reraise_interrupt=False``, every task's end
    is returned as usual)."""
    if not items:
        return []
    futures: list[Future[R]] = []
    with _pool(len(items), limit, name) as pool:
        try:
            for item in items:
                futures.append(_submit(pool, fn, item))
            for future in futures:
                future.exception()  # waits
        except BaseException:
            if on_interrupt is not None:
                on_interrupt()
            if reraise_interrupt:
                raise
            # interrupted while submitting: the rest still get their turn (after
            # on_interrupt, a task that checks for it ends at once), so each item has an end
            futures += [_submit(pool, fn, item) for item in items[len(futures) :]]
    return [
        Settled(error=f.exception()) if f.exception() is not None else Settled(value=f.result())
        for f in futures
    ]
