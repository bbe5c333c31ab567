"""Cursors of any size: a 100,000-record listing snapshot kept in chunks that fit."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base.records import fingerprint
from connectors.base.snapshot import Snapshot
from engine.cursors import CHUNK_MARK, CursorTable
from schemas.envelope import Cursor

T0 = datetime(2024, 1, 1, tzinfo=UTC)
LIMIT = 250_000  # what a worker uses with the default 1 MB message limit
HEAD = "membercare/Organizations"


class CountingStore(dict[str, Any]):
    """A dict that remembers every write, as a changelog would carry them."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[tuple[str, int]] = []
        self.deletes: list[str] = []

    def __setitem__(self, key: str, value: Any) -> None:
        self.writes.append((key, len(json.dumps(value))))
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.deletes.append(key)
        super().__delitem__(key)

    def chunk_keys(self) -> set[str]:
        return {key for key in self if CHUNK_MARK in key}


def listing(n: int) -> dict[str, str]:
    return {str(i): fingerprint({"id": i, "name": f"Org {i}"}) for i in range(1, n + 1)}


async def test_a_100000_record_snapshot_round_trips_in_values_that_fit():
    hashes = listing(100_000)
    cursor = Snapshot(T0, hashes).to_cursor()
    whole = len(json.dumps(cursor.model_dump(mode="json")))
    assert whole > 1_000_000  # one value would not fit a default Kafka message
    store = CountingStore()
    table = CursorTable(store, max_value_bytes=LIMIT)
    await table.save("membercare", "Organizations", cursor)
    assert max(size for _, size in store.writes) <= LIMIT
    assert len(store.chunk_keys()) >= whole // LIMIT
    assert len(json.dumps(store[HEAD])) < 10_000
    loaded = table.load("membercare", "Organizations")
    assert loaded == cursor
    assert Snapshot.from_cursor(loaded).hashes == hashes
    # A table over the same store (a restarted worker) reads it back too.
    fresh = CursorTable(dict(store), max_value_bytes=LIMIT)
    assert fresh.load("membercare", "Organizations") == cursor


async def test_one_changed_record_rewrites_one_chunk_not_the_listing():
    hashes = listing(100_000)
    store = CountingStore()
    table = CursorTable(store, max_value_bytes=LIMIT)
    await table.save("membercare", "Organizations", Snapshot(T0, hashes).to_cursor())
    before = store.chunk_keys()
    store.writes.clear()
    hashes["54321"] = fingerprint({"id": 54321, "name": "Renamed AS"})
    hashes["100001"] = fingerprint({"id": 100001, "name": "New AS"})
    del hashes["777"]
    later = Snapshot(T0 + timedelta(minutes=1), hashes).to_cursor()
    await table.save("membercare", "Organizations", later)
    written = [key for key, _ in store.writes]
    assert written[-1] == HEAD  # the head last: it names only chunks already there
    assert len(written) <= 7  # three changes touch at most three chunks (and a split)
    assert sum(size for _, size in store.writes) < 3 * LIMIT
    assert set(store.deletes) == before - store.chunk_keys()
    assert store.chunk_keys() == {
        f"{HEAD}{CHUNK_MARK}{name}" for name in store[HEAD]["chunks"]
    }
    assert Snapshot.from_cursor(table.load("membercare", "Organizations")).hashes == (
        hashes
    )


async def test_small_cursors_stay_one_plain_value():
    store = CountingStore()
    table = CursorTable(store, max_value_bytes=LIMIT)
    cursor = Cursor(since=T0, boundary_ids=("7", "8"))
    await table.save("webcrm", "Persons", cursor)
    assert dict(store) == {"webcrm/Persons": cursor.model_dump(mode="json")}
    assert table.load("webcrm", "Persons") == cursor
    assert table.load("webcrm", "Organisations") is None


async def test_a_snapshot_that_shrinks_leaves_no_chunks_behind():
    store = CountingStore()
    table = CursorTable(store, max_value_bytes=10_000)
    await table.save("membercare", "Products", Snapshot(T0, listing(2_000)).to_cursor())
    assert store.chunk_keys()
    small = Snapshot(T0, listing(10)).to_cursor()
    await table.save("membercare", "Products", small)
    assert store.chunk_keys() == set()
    assert table.load("membercare", "Products") == small


async def test_stray_chunks_of_a_crash_are_removed_on_the_next_save():
    store = CountingStore()
    table = CursorTable(store, max_value_bytes=10_000)
    store[f"{HEAD}{CHUNK_MARK}deadbeef"] = ["1=aaaaaaaa"]  # written, head never was
    store["membercare/Organizations2#cafe"] = ["kept"]  # another type's, similar name
    await table.save(
        "membercare", "Organizations", Snapshot(T0, listing(2_000)).to_cursor()
    )
    assert f"{HEAD}{CHUNK_MARK}deadbeef" not in store
    assert "membercare/Organizations2#cafe" in store


async def test_a_missing_chunk_reads_as_no_cursor(caplog):
    store = CountingStore()
    table = CursorTable(store, max_value_bytes=10_000)
    await table.save(
        "membercare", "Organizations", Snapshot(T0, listing(2_000)).to_cursor()
    )
    dict.pop(store, sorted(store.chunk_keys())[0])
    with caplog.at_level(logging.WARNING):
        assert table.load("membercare", "Organizations") is None
    assert "reading everything again" in caplog.text


async def test_every_chunk_fits_whatever_the_ids_hold():
    odd = {f'"{n}\\ø\u00e9\U0001f600' * 20: "x" for n in range(3_000)}
    cursor = Snapshot(T0, odd).to_cursor()
    store = CountingStore()
    table = CursorTable(store, max_value_bytes=8_000)
    await table.save("membercare", "Organizations", cursor)
    assert max(size for _, size in store.writes) <= 8_000
    assert table.load("membercare", "Organizations") == cursor
