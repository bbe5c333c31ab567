"""Source polling: the cursor moves after each flushed page, and only forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.base.protocols import BadRecord, SourcePage
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
