"""``EntitySpec`` parsing, lenient positions, and find's value matching."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import AwareDatetime, field_validator

from connectors.base.entity import (
    MISSING_ID,
    EntitySpec,
    same_value,
    spec_for,
)
from connectors.base.records import RecordLimits
from connectors.errors import ConfigurationError, InvalidRecordError
from schemas.base import WireModel
from schemas.envelope import Operation
from schemas.paths import get_value


class Thing(WireModel):
    Id: int
    Name: str | None = None
    UpdatedAt: AwareDatetime
    Gone: bool = False


SPEC = EntitySpec("Things", "things", Thing, "Id", "UpdatedAt", deleted_field="Gone")
ROW = {"Id": 7, "Name": "Ann", "UpdatedAt": "2024-03-01T11:00:00+01:00", "X": 1}


def test_to_event_wraps_the_validated_record() -> None:
    event = SPEC.to_event("demo", ROW)
    assert (event.system, event.entity, event.id) == ("demo", "Things", "7")
    assert event.op is Operation.UPSERT
    assert event.modified_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert event.data == {
        "Id": 7,
        "Name": "Ann",
        "UpdatedAt": "2024-03-01T11:00:00+01:00",
        "Gone": False,
    }


def test_a_deleted_flag_makes_a_delete_without_data() -> None:
    event = SPEC.to_event("demo", {**ROW, "Gone": True})
    assert event.op is Operation.DELETE
    assert event.data is None


@pytest.mark.parametrize(
    ("row", "record_id", "reason"),
    [
        ({**ROW, "Id": "seven"}, "seven", "Id: Input should be a valid integer"),
        ({**ROW, "Id": None}, MISSING_ID, "Id:"),
        ({**ROW, "UpdatedAt": "yesterday"}, "7", "UpdatedAt:"),
        ({**ROW, "UpdatedAt": "2024-03-01T11:00:00"}, "7", "timezone"),
        (["not", "an", "object"], MISSING_ID, "expected a JSON object, got list"),
    ],
)
def test_invalid_records_raise_with_coordinates(
    row: object, record_id: str, reason: str
) -> None:
    with pytest.raises(InvalidRecordError) as caught:
        SPEC.to_event("demo", row)
    error = caught.value
    assert (error.system, error.entity, error.record_id) == (
        "demo",
        "Things",
        record_id,
    )
    assert reason in str(error)


def test_an_empty_text_id_is_invalid() -> None:
    class Named(WireModel):
        Key: str
        UpdatedAt: AwareDatetime

    spec = EntitySpec("Named", "named", Named, "Key", "UpdatedAt")
    with pytest.raises(InvalidRecordError, match="Key is empty"):
        spec.to_event("demo", {"Key": "", "UpdatedAt": "2024-03-01T10:00:00Z"})


def test_position_reads_id_and_time_leniently() -> None:
    assert SPEC.position({"Id": "x", "UpdatedAt": "2024-03-01T11:00:00+01:00"}) == (
        "x",
        datetime(2024, 3, 1, 10, tzinfo=UTC),
    )
    assert SPEC.position({"Id": 1, "UpdatedAt": "2024-03-01T11:00:00"}) is None
    assert SPEC.position({"Id": 1, "UpdatedAt": "garbage"}) is None
    assert SPEC.position({"Id": 1, "UpdatedAt": 5}) is None
    assert SPEC.position("row") is None


def test_a_record_without_id_is_positioned_by_its_fingerprint() -> None:
    row = {"Name": "No Id AS", "UpdatedAt": "2024-03-01T11:00:00Z"}
    position = SPEC.position(row)
    assert position is not None
    record_id, when = position
    assert record_id.startswith("<missing>#")
    assert when == datetime(2024, 3, 1, 11, tzinfo=UTC)
    assert SPEC.position(dict(reversed(row.items()))) == position  # key order
    other = SPEC.position({**row, "Name": "Another AS"})
    assert other is not None
    assert other[0] != record_id


def test_a_spec_must_name_real_fields() -> None:
    with pytest.raises(ConfigurationError, match="no field 'Nope'"):
        EntitySpec("Things", "things", Thing, "Nope", "UpdatedAt")


def test_spec_for() -> None:
    assert spec_for((SPEC,), "demo", "Things") is SPEC
    with pytest.raises(ConfigurationError, match="known: Things"):
        spec_for((SPEC,), "demo", "Other")


def test_finds_read_record_fields_by_dotted_path() -> None:
    # The sinks' find loops read fields through the one dotted-path reader.
    row = {"A": {"B": "x"}, "C": 1, "L": [{"M": "y"}]}
    assert get_value(row, "A.B") == "x"
    assert get_value(row, "C") == 1
    assert get_value(row, "C.D") is None
    assert get_value(row, "Z") is None
    assert get_value(row, "L.0.M") == "y"


@pytest.mark.parametrize(
    ("left", "right", "same"),
    [
        ("Kari@X.no", "kari@x.no", True),
        (42, "42", True),
        ("42", 42, True),
        (1.5, 1.5, True),
        (None, None, True),
        (None, "", False),
        (True, 1, False),
        (True, True, True),
        (False, "false", False),
        ({"a": 1}, {"a": 1}, True),
        ({"a": 1}, "a", False),
        ("a", "b", False),
    ],
)
def test_same_value(left: object, right: object, same: bool) -> None:
    assert same_value(left, right) is same


def test_check_passes_what_the_source_itself_sent() -> None:
    SPEC.check("demo", SPEC.to_event("demo", ROW))
    SPEC.check("demo", SPEC.to_event("demo", {**ROW, "Gone": True}))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"data": {**ROW, "Id": 9}}, "Id 9 in the data is not the event's id"),
        ({"data": {**ROW, "Name": 5}}, "Name:"),
        ({"data": {**ROW, "Name": "x" * 50}}, "Name:"),
        (
            {"modified_at": datetime(9999, 12, 31, tzinfo=UTC)},
            "in the future",
        ),
    ],
)
def test_check_refuses_a_change_its_source_would_not_send(
    change: dict[str, object], reason: str
) -> None:
    forged = SPEC.to_event("demo", ROW).model_copy(update=change)
    limits = RecordLimits(max_text_chars=20)
    with pytest.raises(InvalidRecordError, match=reason) as caught:
        SPEC.check("demo", forged, limits)
    assert (caught.value.system, caught.value.record_id) == ("demo", "7")


class Fragile(WireModel):
    Id: int
    UpdatedAt: AwareDatetime
    Stamp: int | None = None

    @field_validator("Stamp")
    @classmethod
    def _overflows(cls, value: int | None) -> int | None:
        if value is not None and value > 10**12:
            datetime.fromtimestamp(value, UTC)  # OverflowError/ValueError, unwrapped
        return value


def test_a_validator_that_overflows_costs_the_record_not_the_page() -> None:
    spec = EntitySpec("Fragile", "fragile", Fragile, "Id", "UpdatedAt")
    row = {"Id": 1, "UpdatedAt": "2024-03-01T10:00:00Z", "Stamp": 10**18}
    with pytest.raises(InvalidRecordError, match="cannot be read") as caught:
        spec.to_event("demo", row)
    assert caught.value.record_id == "1"
