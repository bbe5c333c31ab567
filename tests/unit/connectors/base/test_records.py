"""Raw records: type lookup, ids, validation errors, clocks, records without times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from pydantic import AwareDatetime, Field

from connectors.base.entity import EntitySpec
from connectors.base.records import (
    MISSING_ID,
    UTC_CLOCK,
    LocalClock,
    declared_type,
    invalid_record,
    record_id_at,
)
from connectors.errors import ConfigurationError, InvalidRecordError
from schemas.base import WireModel


class Thing(WireModel):
    key: str
    full_name: str = Field(alias="fullName")


class Stamped(WireModel):
    key: str
    updated: AwareDatetime | None = None


class Declared:
    def __init__(self, name: str) -> None:
        self.name = name


WHEN = datetime(2024, 3, 1, 10, tzinfo=UTC)
# A type whose records carry no modification time (read as full listings).
THINGS = EntitySpec("Things", "things", Thing, "key", None)
OSLO = ZoneInfo("Europe/Oslo")


def test_declared_type_finds_by_name() -> None:
    types = (Declared("A"), Declared("B"))
    assert declared_type(types, "demo", "B") is types[1]


def test_declared_type_names_the_known_types() -> None:
    types = (Declared("A"), Declared("B"))
    with pytest.raises(
        ConfigurationError, match=r"demo has no entity type 'C'; known: A, B"
    ):
        declared_type(types, "demo", "C")


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ({"key": "k1"}, "k1"),
        ({"key": 42}, "42"),
        ({"key": ""}, MISSING_ID),
        ({"key": None}, MISSING_ID),
        ({}, MISSING_ID),
        (["key"], MISSING_ID),
    ],
)
def test_record_id_at(row: object, expected: str) -> None:
    assert record_id_at(row, "key") == expected


def test_invalid_record_carries_the_coordinates() -> None:
    error = invalid_record("demo", "Things", "7", "bad")
    assert str(error) == "demo Things 7: bad"
    assert (error.system, error.entity, error.record_id) == ("demo", "Things", "7")


def test_a_record_without_a_time_of_its_own_is_stamped_when_seen() -> None:
    event = THINGS.to_event("demo", {"key": "k", "fullName": "A"}, observed=WHEN)
    assert (event.system, event.entity, event.id) == ("demo", "Things", "k")
    assert event.data == {"key": "k", "fullName": "A"}  # the API's field names
    assert event.modified_at == WHEN


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (None, "demo Things <missing>: expected a JSON object, got null"),
        ([1], "demo Things <missing>: expected a JSON object, got list"),
        ({"key": "k"}, "demo Things k: fullName: Field required"),
        ({"fullName": "A"}, "demo Things <missing>: key: Field required"),
        ({"key": "", "fullName": "A"}, "demo Things <missing>: key is empty"),
        ({"key": "k", "fullName": "A"}, "demo Things k: the modification time is"),
    ],
)
def test_records_are_refused_naming_why(row: object, message: str) -> None:
    observed = None if row == {"key": "k", "fullName": "A"} else WHEN
    with pytest.raises(InvalidRecordError) as caught:
        THINGS.to_event("demo", row, observed=observed)
    assert str(caught.value).startswith(message)
    assert (caught.value.system, caught.value.entity) == ("demo", "Things")


def test_a_missing_time_is_refused_with_the_hint_unless_seen() -> None:
    spec = EntitySpec(
        "Stamps", "stamps", Stamped, "key", "updated", time_hint="is X wrong?"
    )
    with pytest.raises(InvalidRecordError) as caught:
        spec.to_event("demo", {"key": "k"})
    assert str(caught.value) == "demo Stamps k: updated is missing (is X wrong?)"
    assert spec.to_event("demo", {"key": "k"}, observed=WHEN).modified_at == WHEN
    own = {"key": "k", "updated": "2024-03-01T09:00:00Z"}
    assert spec.to_event("demo", own, observed=WHEN).modified_at < WHEN


def test_the_clock_turns_a_systems_times_into_true_utc() -> None:
    spec = EntitySpec("Stamps", "stamps", Stamped, "key", "updated")
    row = {"key": "k", "updated": "2024-03-01T10:00:00+01:00"}
    late = LocalClock(skew=timedelta(seconds=30))
    event = spec.to_event("demo", row, clock=late)
    assert event.modified_at == datetime(2024, 3, 1, 9, 0, 30, tzinfo=UTC)
    assert spec.position(row, clock=late) == ("k", event.modified_at)


def test_a_time_without_an_offset_is_placed_only_with_a_zone() -> None:
    naive = datetime(2024, 7, 1, 12)
    assert not UTC_CLOCK.places(naive)
    oslo = LocalClock(OSLO)
    assert oslo.places(naive)
    assert oslo.to_utc(naive) == datetime(2024, 7, 1, 10, tzinfo=UTC)
    assert oslo.to_local(datetime(2024, 7, 1, 10, tzinfo=UTC)).hour == 12
    assert oslo.to_local_text(datetime(2024, 7, 1, 10, tzinfo=UTC)) == (
        "2024-07-01T12:00:00.000"
    )
