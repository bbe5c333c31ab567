"""In-place retries: Retry-After honoured, references awaited, record errors escape."""

from __future__ import annotations

import pytest

from connectors.errors import (
    FatalError,
    InvalidRecordError,
    RateLimitedError,
    TransientError,
    UnresolvedReferenceError,
)
from engine.delivery import ReferenceWaits, dead_letter, with_retries
from schemas.envelope import ChangeEvent


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


def failing(*errors: Exception):
    pending = list(errors)

    async def attempt() -> str:
        if pending:
            raise pending.pop(0)
        return "done"

    return attempt


async def test_transient_errors_are_retried_honouring_retry_after():
    clock = Clock()
    attempt = failing(RateLimitedError("429", retry_after=7.0), TransientError("503"))
    result = await with_retries(
        attempt, what="x", reference_wait=5, sleep=clock.sleep, clock=clock
    )
    assert result == "done"
    assert 7.0 <= clock.sleeps[0] < 7.2
    assert len(clock.sleeps) == 2


async def test_transient_errors_back_off_exponentially_up_to_the_cap():
    clock = Clock()
    errors = [TransientError("503") for _ in range(8)]
    await with_retries(
        failing(*errors),
        what="x",
        reference_wait=5,
        max_backoff=10.0,
        sleep=clock.sleep,
        clock=clock,
        rng=lambda: 0.999999,
    )
    # The shared backoff: ceilings of 1, 2, 4, 8 seconds, then the cap.
    assert clock.sleeps == pytest.approx([1, 2, 4, 8, 10, 10, 10, 10], rel=1e-5)


async def test_backoff_is_jittered_down_to_half_the_ceiling():
    clock = Clock()
    await with_retries(
        failing(TransientError("503"), TransientError("503")),
        what="x",
        reference_wait=5,
        sleep=clock.sleep,
        clock=clock,
        rng=lambda: 0.0,
    )
    assert clock.sleeps == [0.5, 1.0]


async def test_a_long_retry_after_is_capped():
    clock = Clock()
    await with_retries(
        failing(RateLimitedError("429", retry_after=3600.0)),
        what="x",
        reference_wait=5,
        max_backoff=10.0,
        sleep=clock.sleep,
        clock=clock,
        rng=lambda: 0.0,
    )
    assert clock.sleeps == [40.0]


async def test_unresolved_reference_is_waited_for_then_raised():
    clock = Clock()

    async def never() -> str:
        raise UnresolvedReferenceError("no link", system="webcrm", record_id="5")

    with pytest.raises(UnresolvedReferenceError):
        await with_retries(
            never, what="x", reference_wait=3, sleep=clock.sleep, clock=clock
        )
    assert clock.now >= 3


async def test_record_and_fatal_errors_are_not_retried():
    clock = Clock()
    for error in (InvalidRecordError("bad"), FatalError("auth")):
        with pytest.raises(type(error)):
            await with_retries(
                failing(error),
                what="x",
                reference_wait=3,
                sleep=clock.sleep,
                clock=clock,
            )
    assert clock.sleeps == []


def test_dead_letter_names_system_type_id_and_reason():
    event = ChangeEvent(
        system="webcrm", entity="Products", id="9", modified_at="2024-01-01T00:00:00Z"
    )
    error = InvalidRecordError(
        "price: expected a number", system="webcrm", entity="Products"
    )
    letter = dead_letter(error, stage="flow", event=event, flow="f")
    assert (letter.system, letter.entity, letter.record_id) == (
        "webcrm",
        "Products",
        "9",
    )
    assert letter.reason == "price: expected a number"
    assert letter.error_type == "InvalidRecordError"
    assert letter.payload["id"] == "9"


def person(modified: str, id: str = "7777") -> ChangeEvent:
    return ChangeEvent(
        system="webcrm", entity="Persons", id=id, modified_at=f"2024-01-01T{modified}Z"
    )


def test_a_version_that_waited_in_vain_is_not_waited_for_again() -> None:
    waits = ReferenceWaits()
    assert waits.wait_for("f", person("10:00:00"), 30.0) == 30.0
    waits.waited_in_vain("f", person("10:00:00"))
    # The same version re-read (a resync), or an older one (a replay): no wait.
    assert waits.wait_for("f", person("10:00:00"), 30.0) == 0.0
    assert waits.wait_for("f", person("09:00:00"), 30.0) == 0.0
    # A newer version, another record, another flow: they wait.
    assert waits.wait_for("f", person("11:00:00"), 30.0) == 30.0
    assert waits.wait_for("f", person("10:00:00", id="8"), 30.0) == 30.0
    assert waits.wait_for("g", person("10:00:00"), 30.0) == 30.0


def test_a_resolved_record_waits_again_and_the_memory_is_bounded() -> None:
    waits = ReferenceWaits(limit=2)
    waits.waited_in_vain("f", person("10:00:00"))
    waits.resolved("f", person("10:00:00"))
    assert waits.wait_for("f", person("10:00:00"), 30.0) == 30.0
    for id in ("1", "2", "3"):
        waits.waited_in_vain("f", person("10:00:00", id=id))
    assert waits.wait_for("f", person("10:00:00", id="1"), 30.0) == 30.0
    assert waits.wait_for("f", person("10:00:00", id="3"), 30.0) == 0.0


def test_letter_keys_keep_each_distinct_failure_of_a_record():
    from engine.delivery import dead_letter, letter_key

    first = dead_letter(
        "Price: not a number", stage="source", system="s", entity="T", record_id="7"
    )
    again = dead_letter(
        "Price: not a number", stage="source", system="s", entity="T", record_id="7"
    )
    refused = dead_letter(
        "422 after 3 attempt(s)", stage="flow", system="s", entity="T", record_id="7"
    )
    later = dead_letter(
        "422 after 4 attempt(s)", stage="flow", system="s", entity="T", record_id="7"
    )
    assert letter_key(first) == letter_key(again)
    assert letter_key(refused) == letter_key(later)  # counts do not make a new cause
    assert letter_key(first) != letter_key(refused)
    assert letter_key(first).startswith("s/T/7#")


async def test_a_flow_paused_longer_than_the_budget_does_not_spend_it():
    from connectors.errors import TransientError
    from engine.breakers import FlowResumedError
    from engine.delivery import with_retries

    now = [0.0]
    outcomes: list[Exception | None] = [
        TransientError("503"),
        FlowResumedError("the flow was resumed"),  # after an hour paused
        TransientError("503"),
        None,
    ]

    async def attempt() -> str:
        now[0] += 3600 if len(outcomes) == 3 else 1
        outcome = outcomes.pop(0)
        if outcome is not None:
            raise outcome
        return "done"

    async def no_sleep(seconds: float) -> None:
        return None

    result = await with_retries(
        attempt,
        what="t",
        reference_wait=0,
        max_attempts=3,
        max_seconds=60,
        sleep=no_sleep,
        clock=lambda: now[0],
    )
    assert result == "done"


async def test_429s_spend_a_records_time_never_its_attempts():
    clock = Clock()
    throttled = [RateLimitedError("429", retry_after=1.0) for _ in range(10)]
    result = await with_retries(
        failing(*throttled, TransientError("503"), TransientError("503")),
        what="x",
        reference_wait=5,
        max_attempts=3,
        max_seconds=300,
        sleep=clock.sleep,
        clock=clock,
    )
    assert result == "done"  # ten 429s and two 503s: within 3 attempts
    with pytest.raises(TransientError):
        await with_retries(
            failing(*[RateLimitedError("429", retry_after=30.0) for _ in range(20)]),
            what="x",
            reference_wait=5,
            max_attempts=3,
            max_seconds=300,
            sleep=clock.sleep,
            clock=clock,
        )  # but the record's time runs out all the same
