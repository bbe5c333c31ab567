"""A poller over outputs that acknowledge, refuse or fail: what its cursor does."""

from __future__ import annotations

from typing import Any

from connectors.errors import InvalidRecordError, RejectedRecordError, TransientError
from engine.cursors import CursorTable
from engine.delivery import dead_letter, letter_key
from engine.polling import PollOutputs, SourcePoller
from schemas.envelope import DeadLetter
from tests.unit.engine.test_ingest import PagedSource


class Outputs:
    """Publishes into a list; ``too_large`` ids raise, ``unacked`` flushes fail."""

    def __init__(self, too_large: set[str], unacked: int = 0) -> None:
        self.too_large = too_large
        self.unacked = unacked
        self.published: list[str] = []
        self.letters: list[DeadLetter] = []

    async def publish(self, event) -> None:
        if event.id in self.too_large:
            msg = f"{event.id}: the change is too large for Kafka"
            raise RejectedRecordError(
                msg, system=event.system, entity=event.entity, record_id=event.id
            )
        self.published.append(event.id)

    async def dead_letter(self, letter: DeadLetter) -> None:
        self.letters.append(letter)

    async def flush(self) -> None:
        if self.unacked:
            self.unacked -= 1
            msg = "1 of 2 changes not acknowledged by Kafka within 60s"
            raise TransientError(msg)

    def ports(self) -> PollOutputs:
        return PollOutputs(self.publish, self.dead_letter, self.flush)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_change_too_large_is_dead_lettered_once_and_the_rest_flows():
    outputs, store, clock = Outputs({"2"}), dict[str, Any](), Clock()
    poller = SourcePoller(
        PagedSource([[1, 2, 3]]),
        ["Organisations"],
        outputs.ports(),
        CursorTable(store),
        resync_interval=10.0,
        clock=clock,
    )
    await poller.poll()
    clock.now = 11.0  # the next poll is a full re-read: the same record again
    await poller.poll()
    assert outputs.published == ["1", "3", "1", "3"]
    [letter] = outputs.letters
    assert (letter.system, letter.entity, letter.record_id, letter.stage) == (
        "webcrm",
        "Organisations",
        "2",
        "source",
    )
    assert "too large" in letter.reason
    assert store["webcrm/Organisations"]["since"] == "2024-01-01T00:03:00Z"


async def test_an_unacknowledged_page_moves_no_cursor_until_a_poll_gets_through():
    outputs, store = Outputs(set(), unacked=1), dict[str, Any]()
    source = PagedSource([[1, 2]])
    poller = SourcePoller(
        source, ["Organisations"], outputs.ports(), CursorTable(store)
    )
    await poller.poll()  # logged and left for the next tick
    assert store == {}
    await poller.poll()
    assert source.asked == [None, None]
    assert outputs.published == ["1", "2", "1", "2"]
    assert store["webcrm/Organisations"]["since"] == "2024-01-01T00:02:00Z"


async def test_a_bad_record_read_by_a_poll_has_the_letter_key_of_a_read_by_id():
    outputs = Outputs(set())
    poller = SourcePoller(
        PagedSource([[0, 1]]), ["Organisations"], outputs.ports(), CursorTable({})
    )
    await poller.poll()
    [polled] = outputs.letters
    # What a webhook's fetch of the same record dead-letters (``engine.push``).
    error = InvalidRecordError(
        "bad", system="webcrm", entity="Organisations", record_id="x"
    )
    fetched = dead_letter(
        error, stage="source", system="webcrm", entity="Organisations"
    )
    assert polled.error_type == "InvalidRecordError"
    assert letter_key(polled) == letter_key(fetched)
