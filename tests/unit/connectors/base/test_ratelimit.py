"""The client-side sliding-window rate limiter."""

from __future__ import annotations

import pytest

from connectors.base.ratelimit import SlidingWindowLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


async def test_waits_only_when_the_window_is_full() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(2, 60.0, clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    clock.now += 10
    await limiter.acquire()
    assert clock.slept == []
    await limiter.acquire()  # the first stamp leaves the window at 1061
    assert clock.slept == [51.0]  # the window and the 1 s margin
    clock.now += 11  # past 1071: the second stamp left too
    await limiter.acquire()
    assert clock.slept == [51.0]


@pytest.mark.parametrize(("limit", "window"), [(0, 60.0), (5, 0.0)])
def test_rejects_nonsense(limit: int, window: float) -> None:
    with pytest.raises(ValueError, match="rate limit"):
        SlidingWindowLimiter(limit, window)


async def test_counts_the_requests_that_waited_and_for_how_long() -> None:
    clock = Clock()
    limiter = SlidingWindowLimiter(1, 60.0, clock=clock, sleep=clock.sleep)
    await limiter.acquire()
    assert (limiter.waits, limiter.waited_seconds) == (0, 0.0)
    await limiter.acquire()  # the first stamp leaves the window at 1061
    assert (limiter.waits, limiter.waited_seconds) == (1, 61.0)
