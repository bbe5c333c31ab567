"""Snapshot change detection: only changes, deletes guarded, cursors per page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base.entity import MISSING_ID
from connectors.base.protocols import SourcePage
from connectors.base.records import fingerprint
from connectors.base.snapshot import (
    SNAPSHOT_MARK,
    Listing,
    Snapshot,
    SnapshotRules,
    snapshot_pages,
)
from connectors.errors import InvalidRecordError
from schemas.envelope import ChangeEvent, Cursor, Operation

T0 = datetime(2024, 3, 1, 10, tzinfo=UTC)


def _id(row: Any) -> str:
    value = row.get("id") if isinstance(row, dict) else None
    return MISSING_ID if value is None else str(value)


def _event(row: Any, seen: datetime) -> ChangeEvent:
    if not isinstance(row, dict) or not isinstance(row.get("name"), str):
        msg = f"x Thing {_id(row)}: name must be text"
        raise InvalidRecordError(msg, record_id=_id(row))
    if "id" not in row:
        msg = "x Thing: no id"
        raise InvalidRecordError(msg, record_id=MISSING_ID)
    return ChangeEvent(
        system="x", entity="Thing", id=str(row["id"]), data=row, modified_at=seen
    )


RULES = SnapshotRules("x", "Thing", _id, _event, page_size=2, max_delete_fraction=0.5)


def rows(*names: str) -> list[dict[str, Any]]:
    return [{"id": i, "name": name} for i, name in enumerate(names, start=1)]


def read(
    listing: list[Any],
    cursor: Cursor | None = None,
    *,
    complete: bool = True,
    at: datetime = T0,
) -> list[SourcePage]:
    return snapshot_pages(RULES, cursor, Listing(listing, complete), at)


def ids(pages: list[SourcePage]) -> list[str]:
    return [event.id for page in pages for event in page.events]


def test_fingerprint_is_short_stable_and_order_blind() -> None:
    first = fingerprint({"a": 1, "b": [1, 2]})
    assert first == fingerprint({"b": [1, 2], "a": 1})
    assert first != fingerprint({"a": 2, "b": [1, 2]})
    assert len(first) == 8
    assert "=" not in first


def test_a_cursor_round_trips_and_other_cursors_are_empty() -> None:
    snap = Snapshot(T0, {"1": "abc", "a=b": "def"})
    cursor = snap.to_cursor()
    assert cursor.boundary_ids[0] == SNAPSHOT_MARK
    assert Snapshot.from_cursor(cursor) == snap
    assert Snapshot.from_cursor(None) == Snapshot()
    assert Snapshot.from_cursor(Cursor(since=T0, boundary_ids=("7",))) == Snapshot()


def test_first_read_publishes_everything_in_pages_with_growing_cursors() -> None:
    pages = read(rows("a", "b", "c"))
    assert [len(p.events) for p in pages] == [2, 1]
    assert ids(pages) == ["1", "2", "3"]
    assert all(e.modified_at == T0 for p in pages for e in p.events)
    assert [len(Snapshot.from_cursor(p.cursor).hashes) for p in pages] == [2, 3]
    assert all(p.cursor.since == T0 for p in pages)


def test_an_unchanged_listing_publishes_nothing() -> None:
    cursor = read(rows("a", "b", "c"))[-1].cursor
    assert read(rows("a", "b", "c"), cursor, at=T0 + timedelta(minutes=1)) == []


def test_only_changed_and_new_records_are_published() -> None:
    cursor = read(rows("a", "b"))[-1].cursor
    later = T0 + timedelta(minutes=5)
    pages = read(rows("a", "B", "c"), cursor, at=later)
    assert ids(pages) == ["2", "3"]
    assert pages[-1].events[0].modified_at == later
    assert pages[-1].cursor.since == later


def test_a_crash_between_pages_republishes_only_the_unsaved() -> None:
    cursor = read(rows("a", "b", "c"))[-1].cursor
    changed = rows("A", "B", "C")
    first_page = read(changed, cursor)[0]
    assert ids([first_page]) == ["1", "2"]
    # The engine saved the first page's cursor, then crashed.
    assert ids(read(changed, first_page.cursor)) == ["3"]


def test_a_vanished_record_becomes_a_delete() -> None:
    cursor = read(rows("a", "b", "c"))[-1].cursor
    pages = read(rows("a", "b"), cursor)
    [gone] = [e for p in pages for e in p.events]
    assert (gone.id, gone.op, gone.data) == ("3", Operation.DELETE, None)
    assert "3" not in Snapshot.from_cursor(pages[-1].cursor).hashes


@pytest.mark.parametrize(
    ("listing", "complete"),
    [([], True), (rows("a"), False), (rows("a"), True)],
    ids=["empty", "incomplete", "most-vanished"],
)
def test_mass_deletes_are_never_reported(
    listing: list[Any], complete: bool, caplog: pytest.LogCaptureFixture
) -> None:
    cursor = read(rows("a", "b", "c", "d"))[-1].cursor
    pages = read(listing, cursor, complete=complete)
    assert not [e for p in pages for e in p.events if e.op is Operation.DELETE]
    assert "not reported as deleted" in caplog.text
    # The vanished stay in the snapshot, so nothing is lost if they come back.
    if pages:
        assert len(Snapshot.from_cursor(pages[-1].cursor).hashes) == 4


def test_one_vanished_record_of_few_is_still_a_delete() -> None:
    cursor = read(rows("a", "b"))[-1].cursor
    pages = read(rows("a"), cursor)
    assert [(e.id, e.op) for p in pages for e in p.events] == [("2", Operation.DELETE)]


def test_a_bad_row_is_reported_once_and_again_when_it_changes() -> None:
    bad = {"id": 9, "name": 42}
    pages = read([*rows("a"), bad])
    assert [b.record_id for p in pages for b in p.bad_records] == ["9"]
    cursor = pages[-1].cursor
    assert read([*rows("a"), bad], cursor) == []
    fixed = read([*rows("a"), {"id": 9, "name": "nine"}], cursor)
    assert ids(fixed) == ["9"]


def test_a_bad_row_without_id_is_tracked_by_content() -> None:
    headless = {"name": "who"}
    pages = read([*rows("a"), headless])
    assert [b.record_id for p in pages for b in p.bad_records] == [MISSING_ID]
    cursor = pages[-1].cursor
    assert read([*rows("a"), headless], cursor) == []
    # When it disappears nothing is deleted, and its entry goes with the next page.
    after = read(rows("A"), cursor)
    assert ids(after) == ["1"]
    assert list(Snapshot.from_cursor(after[-1].cursor).hashes) == ["1"]


def test_a_record_listed_twice_counts_once() -> None:
    assert ids(read([*rows("a", "b"), {"id": 1, "name": "a"}])) == ["1", "2"]


def test_the_cursor_never_moves_back_when_the_clock_does() -> None:
    cursor = read(rows("a"))[-1].cursor
    pages = read(rows("A"), cursor, at=T0 - timedelta(hours=1))
    assert pages[-1].cursor.since == T0
