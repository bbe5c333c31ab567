"""Source polling: the cursor moves after each acknowledged page, and only forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connectors.base.protocols import BadRecord, SourcePage
from connectors.errors import RejectedRecordError, TransientError
from engine.ingest import PollPorts, poll_entity
from schemas.envelope import ChangeEvent, Cursor

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def event(n: int) -> ChangeEvent:
    return ChangeEvent(
        system="webcrm", entity="Organisations", id=str(n),
        modified_at=T0 + timedelta(minutes=n),
    )  # fmt: skip


class PagedSource:
    system = "webcrm"

    def __init__(self, pages: list[list[int]]) -> None:
        self.pages = pages
        self.asked: list[Cursor | None] = []

    def entities(self) -> tuple[str, ...]:
        return ("Organisations",)

    async def read(self, entity, cursor):
        self.asked.append(cursor)
        for ids in self.pages:
            newest = T0 + timedelta(minutes=max(ids))
            yield SourcePage(
                [event(n) for n in ids],
                Cursor(since=newest),
                [BadRecord("webcrm", entity, "x", "bad")] if 0 in ids else [],
            )


class Recorder:
    def __init__(self, saved: Cursor | None = None) -> None:
        self.log: list[str] = []
        self.saved = saved
        self.ports = PollPorts(
            publish=self.publish, reject=self.reject, flush=self.flush,
            load_cursor=lambda s, e: self.saved, save_cursor=self.save,
        )  # fmt: skip

    async def publish(self, e):
        self.log.append(f"event {e.id}")

    async def reject(self, bad):
        self.log.append(f"bad {bad.record_id}")

    async def flush(self):
        self.log.append("flush")

    async def save(self, system, entity, cursor):
        self.log.append(f"cursor {cursor.since.minute}")
        self.saved = cursor


async def test_cursor_is_saved_only_after_its_page_is_flushed():
    source, recorder = PagedSource([[0, 1], [2]]), Recorder()
    stats = await poll_entity(source, "Organisations", recorder.ports)
    assert recorder.log == [
        "event 0", "event 1", "bad x", "flush", "cursor 1",
        "event 2", "flush", "cursor 2",
    ]  # fmt: skip
    assert (stats.events, stats.bad_records, stats.pages) == (3, 1, 2)


async def test_a_full_re_read_starts_from_nothing_and_never_moves_the_cursor_back():
    saved = Cursor(since=T0 + timedelta(minutes=5))
    source, recorder = PagedSource([[1, 2], [6]]), Recorder(saved)
    await poll_entity(source, "Organisations", recorder.ports, full=True)
    assert source.asked == [None]
    assert [line for line in recorder.log if line.startswith("cursor")] == ["cursor 6"]
    assert recorder.saved.since == T0 + timedelta(minutes=6)


class Unacknowledged(Recorder):
    """The broker does not acknowledge the first ``failures`` pages."""

    def __init__(self, failures: int, saved: Cursor | None = None) -> None:
        super().__init__(saved)
        self.failures = failures

    async def flush(self):
        await super().flush()
        if self.failures:
            self.failures -= 1
            raise TransientError("1 of 2 changes not acknowledged by Kafka within 60s")


async def test_an_unacknowledged_page_keeps_the_cursor_and_is_read_again():
    saved = Cursor(since=T0)
    source, recorder = PagedSource([[1, 2], [3]]), Unacknowledged(1, saved)
    with pytest.raises(TransientError, match="not acknowledged"):
        await poll_entity(source, "Organisations", recorder.ports)
    assert recorder.saved == saved
    assert not any(line.startswith("cursor") for line in recorder.log)
    recorder.log.clear()
    await poll_entity(source, "Organisations", recorder.ports)
    assert source.asked == [saved, saved]  # the same page again
    assert recorder.log == [
        "event 1", "event 2", "flush", "cursor 2", "event 3", "flush", "cursor 3",
    ]  # fmt: skip


class TooLarge(Recorder):
    """Events whose id is in ``refused`` are too large for a Kafka message."""

    def __init__(self, refused: set[str]) -> None:
        super().__init__()
        self.refused = refused
        self.letters: list[BadRecord] = []

    async def publish(self, e):
        if e.id in self.refused:
            msg = f"webcrm Organisations {e.id}: the change is too large for Kafka"
            raise RejectedRecordError(
                msg, system=e.system, entity=e.entity, record_id=e.id
            )
        await super().publish(e)

    async def reject(self, bad):
        self.letters.append(bad)
        await super().reject(bad)


async def test_a_change_too_large_to_send_is_dead_lettered_and_the_page_goes_on():
    source, recorder = PagedSource([[1, 2, 3], [4]]), TooLarge({"2"})
    stats = await poll_entity(source, "Organisations", recorder.ports)
    assert recorder.log == [
        "event 1", "event 3", "bad 2", "flush", "cursor 3",
        "event 4", "flush", "cursor 4",
    ]  # fmt: skip
    [letter] = recorder.letters
    assert (letter.system, letter.entity, letter.record_id) == (
        "webcrm",
        "Organisations",
        "2",
    )
    assert "too large" in letter.reason
    assert letter.payload is None  # the event's data (none in this test)
    assert (stats.events, stats.bad_records) == (3, 1)
