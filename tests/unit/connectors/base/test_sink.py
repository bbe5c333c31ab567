"""The sink helpers: refusing operations, record coordinates, paths, find matches."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from connectors.base.protocols import Capabilities
from connectors.base.sink import (
    item_path,
    matching_events,
    record_context,
    require_operation,
)
from connectors.errors import InvalidRecordError, RecordError, RejectedRecordError
from schemas.envelope import ChangeEvent

WHEN = datetime(2024, 3, 1, tzinfo=UTC)
READ_ONLY = Capabilities(create=False, update=False, delete=False)


def test_require_operation_allows_what_the_api_offers() -> None:
    require_operation(Capabilities(create=True), "demo", "Things", "create")


@pytest.mark.parametrize(("record_id", "which"), [("", "(new)"), ("7", "7")])
def test_require_operation_refuses_the_rest(record_id: str, which: str) -> None:
    with pytest.raises(RejectedRecordError) as caught:
        require_operation(READ_ONLY, "demo", "Things", "update", record_id)
    assert str(caught.value) == f"demo Things {which}: the API cannot update it"
    error = caught.value
    assert (error.system, error.entity, error.record_id) == (
        "demo",
        "Things",
        record_id,
    )


def test_record_context_fills_in_missing_coordinates() -> None:
    with pytest.raises(RecordError) as caught, record_context("demo", "Things", "7"):
        raise RejectedRecordError("no")
    error = caught.value
    assert (error.system, error.entity, error.record_id) == ("demo", "Things", "7")


def test_record_context_keeps_coordinates_already_set() -> None:
    inner = RejectedRecordError("no", system="x", entity="Other", record_id="1")
    with pytest.raises(RecordError) as caught, record_context("demo", "Things", "7"):
        raise inner
    error = caught.value
    assert (error.system, error.entity, error.record_id) == ("x", "Other", "1")


def test_record_context_leaves_other_errors_alone() -> None:
    with pytest.raises(ValueError, match="boom"), record_context("demo", "Things"):
        raise ValueError("boom")


def test_item_path_escapes_the_id() -> None:
    assert item_path("v1/things", "a/b c") == "v1/things/a%2Fb%20c"


def event(row: Any) -> ChangeEvent:
    if "bad" in row:
        msg = "demo Things x: bad"
        raise InvalidRecordError(msg)
    return ChangeEvent(
        system="demo", entity="Things", id=str(row["id"]), data=row, modified_at=WHEN
    )


def test_matching_events_keeps_hits_and_skips_invalid_ones(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rows = [{"id": 1, "n": "a"}, {"id": 2, "n": "b"}, {"id": 3, "n": "a", "bad": 1}]
    found = matching_events(rows, lambda row: row["n"] == "a", event)
    assert [e.id for e in found] == ["1"]
    assert "skipping a match that fails validation: demo Things x: bad" in caplog.text
