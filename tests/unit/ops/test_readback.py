"""Reading back tether's own topics: unreadable values are skipped and named."""

from __future__ import annotations

import logging

from ops.readback import each_readable, id_order, readable
from schemas.envelope import Cursor


def test_each_readable_skips_and_names_what_does_not_validate(caplog):
    latest = {
        "a": {"since": "2024-01-01T00:00:00Z"},
        "b": {"since": "not a time"},
        "c": {},
    }
    with caplog.at_level(logging.WARNING, logger="ops.readback"):
        found = dict(each_readable(Cursor, latest, "cursor"))
    assert sorted(found) == ["a", "c"]
    assert found["c"] == Cursor()
    assert caplog.messages == ["skipping an unreadable cursor b"]


def test_readable_gives_none_for_an_unreadable_value(caplog):
    with caplog.at_level(logging.WARNING, logger="ops.readback"):
        assert readable(Cursor, {"unknown": 1}, "cursor x") is None
        assert readable(Cursor, {}, "cursor y") == Cursor()
    assert caplog.messages == ["skipping an unreadable cursor x"]


def test_ids_sort_by_number_first_then_as_text():
    ids = ["b", "10", "9", "a", "010x", "100"]
    assert sorted(ids, key=id_order) == ["9", "10", "100", "010x", "a", "b"]
