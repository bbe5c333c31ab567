"""Shared record parsing: type lookup, ids, validation errors, events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import Field

from connectors.base.records import (
    MISSING_ID,
    declared_type,
    invalid_record,
    parse_record,
    record_event,
    record_id_at,
)
from connectors.errors import ConfigurationError, InvalidRecordError
from schemas.base import WireModel


class Thing(WireModel):
    key: str
    full_name: str = Field(alias="fullName")


class Declared:
    def __init__(self, name: str) -> None:
        self.name = name


WHEN = datetime(2024, 3, 1, 10, tzinfo=UTC)


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


def test_parse_record_returns_the_id_and_the_record() -> None:
    rid, record = parse_record(
        "demo", "Things", Thing, "key", {"key": "k", "fullName": "A"}
    )
    assert rid == "k"
    assert isinstance(record, Thing)
    assert record.full_name == "A"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (None, "demo Things <missing>: expected a JSON object, got NoneType"),
        ([1], "demo Things <missing>: expected a JSON object, got list"),
        ({"key": "k"}, "demo Things k: fullName: Field required"),
        ({"fullName": "A"}, "demo Things <missing>: key: Field required"),
        ({"key": "", "fullName": "A"}, "demo Things <missing>: key is empty"),
    ],
)
def test_parse_record_refuses(row: object, message: str) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        parse_record("demo", "Things", Thing, "key", row)
    assert str(caught.value) == message
    assert (caught.value.system, caught.value.entity) == ("demo", "Things")


def test_record_event_keeps_the_api_field_names() -> None:
    record = Thing.model_validate({"key": "k", "fullName": "A"})
    event = record_event("demo", "Things", "k", record, WHEN)
    assert (event.system, event.entity, event.id) == ("demo", "Things", "k")
    assert event.data == {"key": "k", "fullName": "A"}
    assert event.modified_at == WHEN
