"""``FreshRead``: a write checked against a fresh read of its record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import AwareDatetime

from connectors.base.entity import EntitySpec
from connectors.base.fresh import FreshRead, leaves, overwritten
from connectors.errors import TransientError
from schemas.base import WireModel
from schemas.envelope import ChangeEvent, Operation

T0 = datetime(2024, 3, 1, 10, tzinfo=UTC)


class Thing(WireModel):
    id: int
    name: str | None = None
    city: str | None = None
    lines: list[dict[str, Any]] | None = None
    at: AwareDatetime | None = None
    gone: bool = False


TIMED = EntitySpec("Things", "things", Thing, "id", "at", deleted_field="gone")
UNTIMED = EntitySpec("Things", "things", Thing, "id", None)


def state(minutes: int = 0, **fields: Any) -> ChangeEvent:
    data = {"id": 1, "name": "A", "city": "Oslo", "at": None, **fields}
    return ChangeEvent(
        system="demo",
        entity="Things",
        id="1",
        data=data,
        modified_at=T0 + timedelta(minutes=minutes),
    )


def test_leaves_are_the_paths_a_body_sets() -> None:
    body = {"name": "B", "lines": [{"q": 1}, {}], "addr": {"zip": "0150"}, "e": []}
    assert list(leaves(body)) == [
        ("name", "B"),
        ("lines.0.q", 1),
        ("lines.1", {}),
        ("addr.zip", "0150"),
        ("e", []),
    ]


def test_a_record_not_modified_since_by_its_own_clock_changed_nothing() -> None:
    at = T0.isoformat()
    expected = state(at=at, city="Oslo ")
    fresh = state(at=at, city="Oslo")  # spelled differently by another endpoint
    assert overwritten(TIMED, {"city": "Bergen"}, expected, fresh) == []


def test_a_field_the_write_sets_changed_since_is_named() -> None:
    expected = state(at=T0.isoformat())
    fresh = state(1, at=(T0 + timedelta(minutes=1)).isoformat(), city="Molde")
    assert overwritten(TIMED, {"city": "Bergen"}, expected, fresh) == ["city"]
    # Another field changed only: the merge keeps it, nothing to refuse.
    other = state(1, at=(T0 + timedelta(minutes=1)).isoformat(), name="Human")
    assert overwritten(TIMED, {"city": "Bergen"}, expected, other) == []
    # Already holding the value being written: an earlier attempt got through.
    done = state(1, at=(T0 + timedelta(minutes=1)).isoformat(), city="Bergen")
    assert overwritten(TIMED, {"city": "Bergen"}, expected, done) == []


def test_without_an_own_time_values_decide() -> None:
    expected, fresh = state(), state(5, city="Molde")
    assert overwritten(UNTIMED, {"city": "Bergen"}, expected, fresh) == ["city"]
    assert overwritten(UNTIMED, {"city": "Bergen"}, expected, state(5)) == []
    numbers = state(5, name=25)
    assert overwritten(UNTIMED, {"name": "x"}, state(name="25"), numbers) == []
    assert overwritten(UNTIMED, {"name": "x"}, state(name=None), state(name="")) == []
    flag = state(5, name=True)
    assert overwritten(UNTIMED, {"name": "x"}, state(name="True"), flag) == ["name"]


def test_a_deleted_expected_state_checks_nothing() -> None:
    gone = ChangeEvent(
        system="demo", entity="Things", id="1", op=Operation.DELETE, modified_at=T0
    )
    assert overwritten(TIMED, {"city": "x"}, gone, state(1, city="y")) == []


def fresh_read(rows: list[dict[str, Any]], expected: ChangeEvent | None) -> FreshRead:
    queue = iter(rows)

    async def read() -> dict[str, Any]:
        return next(queue)

    def to_event(row: dict[str, Any]) -> ChangeEvent:
        return TIMED.to_event("demo", row)

    return FreshRead(
        system="demo",
        spec=TIMED,
        record_id="1",
        changes={"city": "Bergen"},
        expected=expected,
        read=read,
        to_event=to_event,
    )


def row(minutes: int, **fields: Any) -> dict[str, Any]:
    at = (T0 + timedelta(minutes=minutes)).isoformat()
    return {"id": 1, "name": "A", "city": "Oslo", "at": at, **fields}


async def test_each_read_is_checked_against_expected() -> None:
    expected = TIMED.to_event("demo", row(0))
    check = fresh_read([row(0), row(1, name="Human"), row(2, city="Molde")], expected)
    assert (await check.row())["city"] == "Oslo"
    assert (await check.row())["name"] == "Human"  # merged, not refused
    with pytest.raises(TransientError, match="city changed") as caught:
        await check.row()
    assert caught.value.retry_after == 0.0
    assert "demo Things 1: changed underneath" in str(caught.value)
    assert check.reads == 3


async def test_without_expected_the_first_read_is_the_base() -> None:
    check = fresh_read([row(0), row(1, city="Molde")], None)
    await check.check()
    with pytest.raises(TransientError, match="city changed"):
        await check.check()


async def test_a_record_deleted_since_is_not_written() -> None:
    check = fresh_read([row(1, gone=True)], None)
    with pytest.raises(TransientError, match="it was deleted"):
        await check.row()


async def test_a_retry_that_finds_the_write_landed_sends_nothing() -> None:
    rows = [
        {"id": 1, "name": "A", "city": "Oslo"},  # the first attempt's read
        {"id": 1, "name": "A", "city": "Bergen"},  # its answer was lost: it landed
    ]

    async def read() -> Any:
        return rows.pop(0)

    fresh = FreshRead(
        system="demo",
        spec=UNTIMED,
        record_id="1",
        changes={"city": "Bergen"},
        expected=None,
        read=read,
        to_event=lambda row: UNTIMED.to_event("demo", row, observed=T0),
    )
    assert (await fresh.row())["city"] == "Oslo"
    with pytest.raises(TransientError, match="answer was lost"):
        await fresh.row()
