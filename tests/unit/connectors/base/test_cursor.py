"""``CursorTracker``: the source cursor only moves forward."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from connectors.base.source import CursorTracker
from schemas.envelope import Cursor

T0 = datetime(2024, 3, 1, 10, tzinfo=UTC)


def test_starts_from_nothing() -> None:
    tracker = CursorTracker(None)
    assert tracker.cursor == Cursor()
    assert not tracker.seen("1", T0)


def test_moves_forward_and_collects_ids_at_the_newest_time() -> None:
    tracker = CursorTracker(None)
    tracker.observe("1", T0)
    tracker.observe("2", T0 + timedelta(seconds=1))
    tracker.observe("3", T0 + timedelta(seconds=1))
    assert tracker.cursor == Cursor(
        since=T0 + timedelta(seconds=1), boundary_ids=("2", "3")
    )


def test_never_moves_back() -> None:
    tracker = CursorTracker(Cursor(since=T0, boundary_ids=("9",)))
    tracker.observe("1", T0 - timedelta(days=1))
    assert tracker.cursor == Cursor(since=T0, boundary_ids=("9",))
    assert tracker.seen("9", T0)
    assert not tracker.seen("9", T0 + timedelta(seconds=1))
    assert not tracker.seen("1", T0)
