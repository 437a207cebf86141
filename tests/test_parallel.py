"""The per-node runner: results in order, errors after every task ended, and the
caller's logging context (the bound run id) on every worker thread."""

from __future__ import annotations

import os
import signal
import threading
import time

import pytest
import structlog

from orchestrator import parallel


def test_each_keeps_the_order_and_carries_the_callers_context():
    def seen(item: int) -> tuple[int, object]:
        time.sleep(0.01 * (3 - item))  # finish out of order
        return item, structlog.contextvars.get_contextvars().get("run")

    with structlog.contextvars.bound_contextvars(run="run-7"):
        results = parallel.each(seen, [0, 1, 2])
    assert results == [(0, "run-7"), (1, "run-7"), (2, "run-7")]


def test_each_raises_the_first_error_after_every_task_ended():
    ended: list[int] = []

    def work(item: int) -> int:
        if item == 0:
            raise ValueError("node 0 broke")
        time.sleep(0.05)
        ended.append(item)
        return item

    with pytest.raises(ValueError, match="node 0 broke"):
        parallel.each(work, [0, 1, 2])
    assert sorted(ended) == [1, 2]


def test_settle_returns_each_value_or_error_and_bounds_the_workers():
    running = 0
    most = 0
    lock = threading.Lock()

    def work(item: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)
        with lock:
            running -= 1
        if item == 2:
            raise RuntimeError("two")
        return item * 10

    settled = parallel.settle(work, [0, 1, 2, 3], limit=2)
    assert [s.value for s in settled] == [0, 10, None, 30]
    assert [type(s.error) for s in settled] == [type(None), type(None), RuntimeError, type(None)]
    assert most == 2


def test_settle_on_interrupt_tells_the_queued_tasks_and_raises_again():
    """A signal reaches only the waiting thread: ``on_interrupt`` runs there (the queued
    task sees it and does not start), the running task ends, the interrupt goes on."""
    stop = threading.Event()
    started: list[int] = []
    ended: list[int] = []

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    def work(item: int) -> None:
        if stop.is_set():
            return
        started.append(item)
        if item == 0:
            time.sleep(0.1)  # the caller is waiting by now
            os.kill(os.getpid(), signal.SIGUSR1)  # as Ctrl-C / SIGTERM would arrive
            time.sleep(0.2)
        ended.append(item)

    previous = signal.signal(signal.SIGUSR1, interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            parallel.settle(work, [0, 1], limit=1, on_interrupt=stop.set)
    finally:
        signal.signal(signal.SIGUSR1, previous)
    assert stop.is_set()
    assert started == [0] and ended == [0]  # the running task ended; the queued never began
