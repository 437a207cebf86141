"""The polling pace of engine/waits.py: policy pace, and quiet until near the estimate."""

from __future__ import annotations

import pytest

from orchestrator.engine.waits import NotYet, PollPolicy, WaitTimeout, wait_until


class FakeTime:
    """A clock that only moves when the wait sleeps; records each look's time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.looks: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def probe_ready_at(self, ready: float):
        def probe() -> str:
            self.looks.append(self.now)
            if self.now < ready:
                raise NotYet("not yet")
            return "ready"

        return probe


def wait(
    fake: FakeTime, ready: float, policy: PollPolicy, expected: float = 0.0, timeout: float = 10_000
) -> str:
    return wait_until(
        "x",
        fake.probe_ready_at(ready),
        timeout,
        policy,
        expected=expected,
        clock=lambda: fake.now,
        sleep=fake.sleep,
    )


def test_without_an_estimate_looks_at_the_policy_pace() -> None:
    fake = FakeTime()
    assert wait(fake, 40, PollPolicy(first=2, ceiling=15, quiet_share=0.5)) == "ready"
    assert fake.looks == [0, 2, 6, 14, 29, 44]


def test_a_phase_with_an_estimate_is_looked_at_once_then_left_until_its_share() -> None:
    fake = FakeTime()
    # a 900 s reboot estimate, back after 600 s: look, quiet 450 s, then 2, 4, 8, 15, ...
    assert wait(fake, 600, PollPolicy(first=2, ceiling=15, quiet_share=0.5), 900) == "ready"
    assert fake.looks[:5] == [0, 450, 452, 456, 464]
    assert fake.looks[-1] - 600 < 15  # noticed within one ceiling
    from_the_start = FakeTime()
    wait(from_the_start, 600, PollPolicy(first=2, ceiling=15), 900)  # quiet_share 0
    assert len(fake.looks) < len(from_the_start.looks) / 2 + 3


def test_a_phase_already_over_is_seen_by_the_first_look() -> None:
    fake = FakeTime()
    assert wait(fake, 0, PollPolicy(first=2, ceiling=15, quiet_share=0.5), 1800) == "ready"
    assert fake.looks == [0]


def test_the_quiet_pause_never_runs_past_the_timeout() -> None:
    fake = FakeTime()
    with pytest.raises(WaitTimeout, match="timed out after 100 s waiting for x: not yet"):
        wait(fake, 10_000, PollPolicy(first=2, ceiling=15, quiet_share=0.5), 900, timeout=100)
    assert fake.looks == [0, 100]


def test_errors_not_listed_propagate_at_once() -> None:
    def probe() -> None:
        raise PermissionError("bad credentials")

    with pytest.raises(PermissionError):
        wait_until("x", probe, 100, PollPolicy(first=1, ceiling=1), sleep=lambda s: None)
