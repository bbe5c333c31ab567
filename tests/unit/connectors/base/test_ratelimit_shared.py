"""Rate limits per deployment: each worker's part, and the part polls may use."""

from __future__ import annotations

import asyncio

import pytest

from connectors.base.ratelimit import Deployment, SlidingWindowLimiter, polling


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(
    limit: int, members: int = 1, poll_share: float = 1.0
) -> tuple[SlidingWindowLimiter, Clock, Deployment]:
    clock = Clock()
    deployment = Deployment(members=members, poll_share=poll_share)
    made = SlidingWindowLimiter(
        limit, 60.0, clock=clock, sleep=clock.sleep, deployment=deployment, margin=0
    )
    return made, clock, deployment


async def acquire_many(limiter: SlidingWindowLimiter, n: int) -> None:
    for _ in range(n):
        await limiter.acquire()


async def test_a_request_stays_counted_a_margin_beyond_the_window() -> None:
    clock = Clock()
    made = SlidingWindowLimiter(1, 60.0, clock=clock, sleep=clock.sleep, margin=1.5)
    await acquire_many(made, 2)
    assert clock.slept == [61.5]


@pytest.mark.parametrize(
    ("limit", "members", "part"),
    [(250, 1, 250), (250, 2, 125), (250, 3, 83), (2, 5, 1)],
)
def test_each_worker_takes_its_part_never_less_than_one(limit, members, part) -> None:
    assert Deployment(members=members).part(limit) == part


async def test_two_workers_together_stay_within_the_limit() -> None:
    workers = [limiter(10, members=2) for _ in range(2)]
    for made, clock, _ in workers:
        await acquire_many(made, 5)
        assert clock.slept == []  # five each: the limit of ten, together
        await made.acquire()
        assert clock.slept == [60.0]  # the sixth waits for the window


async def test_a_worker_joining_shrinks_the_part_at_once() -> None:
    made, clock, deployment = limiter(10)
    await acquire_many(made, 6)
    deployment.members = 2
    clock.now += 30
    await made.acquire()
    # Five may be in the window now: two of the six must leave it first.
    assert clock.slept == [30.0]


async def test_a_worker_leaving_grows_the_part() -> None:
    made, clock, deployment = limiter(10, members=2)
    await acquire_many(made, 5)
    deployment.members = 1
    await acquire_many(made, 5)
    assert clock.slept == []


async def test_polls_use_at_most_their_share_and_writes_the_rest() -> None:
    made, clock, _ = limiter(10, poll_share=0.5)
    with polling():
        await acquire_many(made, 5)
        assert clock.slept == []
        await made.acquire()
        assert clock.slept == [60.0]
    clock.slept.clear()
    await acquire_many(made, 4)  # writes: what the polls left
    assert clock.slept == []


async def test_a_waiting_poll_never_holds_up_a_write() -> None:
    clock = Clock()
    woke = asyncio.Event()

    async def sleep(seconds: float) -> None:
        clock.slept.append(seconds)
        await woke.wait()
        clock.now += seconds

    made = SlidingWindowLimiter(
        4,
        60.0,
        clock=clock,
        sleep=sleep,
        deployment=Deployment(poll_share=0.5),
        margin=0,
    )

    async def poll() -> None:
        with polling():
            await acquire_many(made, 3)

    polls = asyncio.create_task(poll())
    await asyncio.sleep(0)
    assert clock.slept == [60.0]  # the third poll waits
    await asyncio.wait_for(acquire_many(made, 2), 1.0)  # writes go on meanwhile
    woke.set()
    await polls


async def test_polling_marks_only_what_runs_within() -> None:
    made, clock, _ = limiter(2, poll_share=0.5)
    with polling():
        await made.acquire()
    await made.acquire()  # a write: the full part
    assert clock.slept == []
