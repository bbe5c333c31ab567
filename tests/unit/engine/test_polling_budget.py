"""Polling within a budget: a failing type starves no other, idle polls back off."""

from __future__ import annotations

from typing import Any

from connectors.base.ratelimit import Deployment, SlidingWindowLimiter, polling
from connectors.errors import TransientError
from engine.cursors import CursorTable
from engine.pacing import PollPacer, PollPacing, budget_of, even_pace_of
from engine.polling import SourcePoller
from tests.unit.engine.test_ingest import PagedSource
from tests.unit.engine.test_polling_delivery import Clock, Outputs


class TwoTypes(PagedSource):
    """Organisations fail while ``down``; Persons list one record."""

    def __init__(self) -> None:
        super().__init__([[1]])
        self.down = True
        self.read_types: list[str] = []

    def entities(self) -> tuple[str, ...]:
        return ("Organisations", "Persons")

    async def read(self, entity, cursor):
        self.read_types.append(entity)
        if entity == "Organisations" and self.down:
            msg = "webcrm GET /Organisations -> 503"
            raise TransientError(msg)
        async for page in super().read(entity, cursor):
            yield page


async def test_a_failing_type_does_not_starve_the_types_after_it() -> None:
    outputs = Outputs(set())
    source = TwoTypes()
    poller = SourcePoller(
        source, ["Organisations", "Persons"], outputs.ports(), CursorTable({})
    )
    await poller.poll()
    assert source.read_types == ["Organisations", "Persons"]
    assert outputs.published == ["1"]  # the Persons page
    source.down = False
    await poller.poll()
    assert source.read_types[2:] == ["Organisations", "Persons"]


class Budget:
    def __init__(self, free: float) -> None:
        self.free = free

    def __call__(self) -> float:
        return self.free


def pacer(budget: Budget | None, clock: Clock) -> PollPacer:
    return PollPacer(
        1.0, budget, PollPacing(max_interval_seconds=8.0, tight_share=0.5), clock=clock
    )


def test_idle_polls_back_off_only_on_a_tight_budget() -> None:
    clock, budget = Clock(), Budget(0.9)
    made = pacer(budget, clock)
    made.done(changed=False)
    assert made.interval == 1.0  # plenty left: keep the pace
    budget.free = 0.2
    for expected in (2.0, 4.0, 8.0, 8.0):
        made.done(changed=False)
        assert made.interval == expected
    assert not made.due()
    clock.now += 7.0
    assert not made.due()
    clock.now += 1.0  # the tick 8 s after the last poll
    assert made.due()
    made.done(changed=True)  # a change: poll again at once
    assert made.interval == 1.0
    assert made.due()


def test_a_tick_without_budget_for_polls_is_skipped() -> None:
    clock, budget = Clock(), Budget(0.0)
    made = pacer(budget, clock)
    assert not made.due()
    budget.free = 0.1
    assert made.due()
    assert pacer(None, clock).due()


async def test_the_poller_skips_the_ticks_its_pacer_refuses() -> None:
    clock, budget = Clock(), Budget(0.1)
    outputs = Outputs(set())
    source = PagedSource([])  # nothing ever changes
    poller = SourcePoller(
        source,
        ["Organisations"],
        outputs.ports(),
        CursorTable({}),
        pacer=pacer(budget, clock),
    )
    for _ in range(8):
        await poller.poll()
        clock.now += 1.0
    # Polled at 0, 2 and 6 (intervals 2, then 4): 3 polls in 8 ticks.
    assert len(source.asked) == 3


async def test_the_budget_is_what_the_polls_share_of_the_limiter_leaves() -> None:
    clock = Clock()
    clock.now = 100.0

    async def sleep(seconds: float) -> None:
        clock.now += seconds

    limiter = SlidingWindowLimiter(
        10,
        clock=clock,
        sleep=sleep,
        deployment=Deployment(poll_share=0.5),
        margin=0,
    )

    class Client:
        pass

    class Source:
        client: Any = Client()

    Source.client.limiter = limiter
    budget = budget_of(Source())  # type: ignore[arg-type]
    assert budget is not None
    assert budget() == 1.0
    with polling():
        await limiter.acquire()
    await limiter.acquire()  # a write counts against the polls' share too
    assert budget() == 3 / 5
    Source.client.limiter = None
    assert budget_of(Source()) is None  # type: ignore[arg-type]


class Pace:
    """An even pace whose poll requests the test counts itself."""

    def __init__(self, per_request: float) -> None:
        self.seconds, self.count = per_request, 0

    def per_request(self) -> float:
        return self.seconds

    def made(self) -> int:
        return self.count


def test_a_busy_source_is_polled_evenly_over_the_window() -> None:
    # Webcrm: 250 a minute, half of it for polls: 125, so a poll that costs
    # three requests every 1.44 s at the fastest, not a burst of 40 polls and
    # then a stall for the rest of the minute.
    clock, budget, pace = Clock(), Budget(0.9), Pace(60.0 / 125)
    made = PollPacer(
        1.0,
        budget,
        PollPacing(max_interval_seconds=8.0, tight_share=0.5),
        clock=clock,
        even=pace,  # type: ignore[arg-type]
    )
    polls = 0
    for _ in range(60):  # a minute of 1 s ticks, every poll finding a change
        if made.due():
            polls += 1
            pace.count += 3  # its three types, one page each
            made.done(changed=True)
        clock.now += 1.0
    assert polls == 30  # every other tick: 90 requests, within the 125
    pace.seconds = 0.1
    made.due()
    pace.count += 3
    made.done(changed=True)
    clock.now += 1.0
    assert made.due()  # an even pace faster than the timer: the timer's


async def test_the_even_pace_is_the_window_over_the_polls_share() -> None:
    limiter = SlidingWindowLimiter(
        250, deployment=Deployment(poll_share=0.5), margin=1.0
    )

    class Source:
        client: Any = type("Client", (), {"limiter": limiter})()

    pace = even_pace_of(Source())  # type: ignore[arg-type]
    assert pace is not None
    assert pace.per_request() == 61.0 / 125
    with polling():
        await limiter.acquire()
    await limiter.acquire()  # a write is not a poll
    assert pace.made() == 1
