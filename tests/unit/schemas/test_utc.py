"""UTC text: one formatter for cursors, canonical values and what operators read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from schemas.utc import utc_now, utc_text

OSLO_SUMMER = timezone(timedelta(hours=2))
MOMENT = datetime(2024, 5, 1, 12, 0, 0, 250_000, tzinfo=OSLO_SUMMER)


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "2024-05-01T10:00:00.250000Z"),
        ({"timespec": "milliseconds"}, "2024-05-01T10:00:00.250Z"),
        ({"timespec": "seconds", "sep": " "}, "2024-05-01 10:00:00Z"),
        ({"zulu": False}, "2024-05-01T10:00:00.250000+00:00"),
    ],
)
def test_utc_text_converts_to_utc_and_writes_the_zone(options, expected):
    assert utc_text(MOMENT, **options) == expected


def test_auto_leaves_out_zero_microseconds():
    on_the_hour = datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert utc_text(on_the_hour) == "2024-05-01T10:00:00Z"
    assert utc_text(on_the_hour, zulu=False) == on_the_hour.isoformat()


def test_utc_text_refuses_a_naive_time():
    with pytest.raises(ValueError, match="no time zone"):
        utc_text(datetime(2024, 5, 1, 10))


def test_utc_now_is_aware_and_in_utc():
    assert utc_now().utcoffset() == timedelta(0)
