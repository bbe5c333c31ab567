"""The match index: one listing, then changed-since reads, at most once per max age."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

from connectors.base.protocols import BadRecord, SourcePage
from connectors.base.snapshot import SNAPSHOT_MARK
from connectors.errors import MalformedResponseError
from engine.matchindex import MatchIndex, MatchIndexSettings, match_index
from schemas.envelope import ChangeEvent, Cursor, Operation
from tests.unit.engine.memory_sink import MemorySink


class MemorySource:
    """Reads a ``MemorySink``'s records changed after the cursor, as one page."""

    system = "customcrm"

    def __init__(self, sink: MemorySink) -> None:
        self.sink = sink
        self.reads: list[Cursor | None] = []
        self.deleted: dict[str, datetime] = {}
        self.bad: list[BadRecord] = []
        self.snapshot = False

    def entities(self) -> tuple[str, ...]:
        return ("Customer",)

    def check(self, event: ChangeEvent) -> None:
        return None

    async def read(
        self, entity: str, cursor: Cursor | None
    ) -> AsyncIterator[SourcePage]:
        self.reads.append(cursor)
        since = cursor.since if cursor else None
        events = [
            self.sink.event(entity, rid)
            for rid in self.sink.records.get(entity, {})
            if since is None or self.sink.modified[(entity, rid)] > since
        ]
        events += [
            ChangeEvent(
                system=self.system, entity=entity, id=rid, op=Operation.DELETE,
                modified_at=at,
            )
            for rid, at in self.deleted.items()
            if since is None or at > since
        ]  # fmt: skip
        marks = (SNAPSHOT_MARK,) if self.snapshot else ()
        yield SourcePage(events, Cursor(since=self.sink.clock, boundary_ids=marks),
                         list(self.bad))  # fmt: skip


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def index(max_age: float = 2.0) -> tuple[MatchIndex, MemorySource, MemorySink, Clock]:
    sink = MemorySink("customcrm")
    source = MemorySource(sink)
    clock = Clock()
    settings = MatchIndexSettings(max_age_seconds=max_age)
    return MatchIndex(lambda _s: source, settings, clock), source, sink, clock


async def lookup(matches: MatchIndex, vat: str) -> Any:
    return await matches.lookup("customcrm", "Customer", "VatNumber", "alnum", vat)


async def test_lists_once_then_answers_from_memory_within_max_age():
    matches, source, sink, clock = index()
    sink.put("Customer", "C-1", {"VatNumber": "NO 1"})
    [hit] = await lookup(matches, "NO1")
    assert hit.id == "C-1"
    assert await lookup(matches, "NO2") == []
    clock.now += 1.5
    assert await lookup(matches, "NO3") == []
    assert source.reads == [None]


async def test_a_target_created_since_the_listing_is_found_after_max_age():
    matches, source, sink, clock = index()
    assert await lookup(matches, "NO1") == []
    sink.put("Customer", "C-7", {"VatNumber": "NO1"})  # a person, meanwhile
    clock.now += 2.5
    [hit] = await lookup(matches, "NO1")
    assert hit.id == "C-7"
    # The second read asked only for what changed since the first.
    assert len(source.reads) == 2
    assert source.reads[1] is not None


async def test_max_age_zero_reads_changes_before_every_lookup():
    matches, source, sink, _ = index(max_age=0.0)
    assert await lookup(matches, "NO1") == []
    sink.put("Customer", "C-7", {"VatNumber": "NO1"})
    [hit] = await lookup(matches, "NO1")
    assert hit.id == "C-7"


async def test_own_creates_match_at_once():
    matches, source, sink, _ = index()
    assert await lookup(matches, "NO1") == []
    created = sink.put("Customer", "C-9", {"VatNumber": "NO1"})
    matches.created("customcrm", "Customer", created)
    [hit] = await lookup(matches, "NO1")
    assert hit.id == "C-9"
    assert len(source.reads) == 1


async def test_changed_key_and_delete_move_the_record():
    matches, source, sink, clock = index()
    sink.put("Customer", "C-1", {"VatNumber": "NO1"})
    sink.put("Customer", "C-2", {"VatNumber": "NO2"})
    assert [h.id for h in await lookup(matches, "NO1")] == ["C-1"]
    sink.put("Customer", "C-1", {"VatNumber": "NO5"})
    source.deleted["C-2"] = sink.tick()
    clock.now += 3
    assert await lookup(matches, "NO1") == []
    assert [h.id for h in await lookup(matches, "NO5")] == ["C-1"]
    assert await lookup(matches, "NO2") == []
    matches.gone("customcrm", "Customer", "C-1")
    assert await lookup(matches, "NO5") == []


async def test_an_unreadable_record_that_may_hold_the_key_means_cannot_tell():
    matches, source, sink, _ = index()
    sink.put("Customer", "C-1", {"VatNumber": "NO1"})
    source.bad = [
        BadRecord("customcrm", "Customer", "C-2", "bad time", {"VatNumber": "NO 2"}),
        BadRecord("customcrm", "Customer", "C-3", "bad", {"VatNumber": "NO3"}),
    ]
    assert await lookup(matches, "NO2") is None
    assert [h.id for h in await lookup(matches, "NO1")] == ["C-1"]
    assert await lookup(matches, "") is None  # no key: never "all the keyless"


async def test_an_unreadable_record_of_unknown_shape_blocks_every_lookup():
    matches, source, _, _ = index()
    source.bad = [BadRecord("customcrm", "Customer", "C-2", "not an object", [1])]
    assert await lookup(matches, "NO1") is None


async def test_types_listed_in_full_fall_back_to_searching():
    matches, source, sink, clock = index()
    source.snapshot = True
    sink.put("Customer", "C-1", {"VatNumber": "NO1"})
    assert await lookup(matches, "NO1") is None
    clock.now += 10
    assert await lookup(matches, "NO1") is None
    assert len(source.reads) == 1


async def test_concurrent_lookups_share_one_read():
    matches, source, sink, _ = index()
    sink.put("Customer", "C-1", {"VatNumber": "NO1"})
    found = await asyncio.gather(*(lookup(matches, "NO1") for _ in range(5)))
    assert all(len(f) == 1 for f in found)
    assert source.reads == [None]


async def test_a_type_its_source_does_not_publish_is_searched():
    matches, source, _, _ = index()
    assert await matches.lookup("customcrm", "Other", "VatNumber", "alnum", "1") is None
    assert source.reads == []


async def test_an_unusable_listing_is_searched_around_for_a_while():
    matches, source, sink, clock = index()
    sink.put("Customer", "C-1", {"VatNumber": "NO1"})
    broken = MalformedResponseError("GET /customers: an HTML page")

    async def read(entity: str, cursor: Cursor | None) -> AsyncIterator[SourcePage]:
        source.reads.append(cursor)
        raise broken
        yield  # an async generator

    source.read = read  # type: ignore[method-assign]
    assert await lookup(matches, "NO1") is None
    assert await lookup(matches, "NO1") is None
    assert len(source.reads) == 1
    clock.now += 61
    assert await lookup(matches, "NO1") is None
    assert len(source.reads) == 2


def test_the_worker_index_follows_its_settings(monkeypatch):
    monkeypatch.setenv("TETHER_MATCH_INDEX_MAX_AGE_SECONDS", "0.5")
    assert match_index(lambda _s: MemorySource(MemorySink("customcrm"))) is not None
    monkeypatch.setenv("TETHER_MATCH_INDEX_ENABLED", "false")
    assert match_index(lambda _s: MemorySource(MemorySink("customcrm"))) is None
