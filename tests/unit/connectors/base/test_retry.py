"""Backoff timing and ``Retry-After`` parsing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from connectors.base.retry import RetryPolicy, backoff, parse_retry_after

NOW = datetime(2024, 3, 1, 10, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("5", 5.0),
        (" 1.5 ", 1.5),
        ("0", 0.0),
        ("-3", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_retry_after_seconds(header: str | None, expected: float | None) -> None:
    assert parse_retry_after(header, NOW) == expected


def test_retry_after_http_date_in_the_future() -> None:
    header = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    assert parse_retry_after(header, NOW) == 30.0


def test_retry_after_http_date_in_the_past_means_now() -> None:
    header = format_datetime(NOW - timedelta(minutes=5), usegmt=True)
    assert parse_retry_after(header, NOW) == 0.0


def test_retry_after_date_without_zone_is_ignored() -> None:
    assert parse_retry_after("Fri, 01 Mar 2024 10:00:30 -0000", NOW) is None


def test_backoff_grows_exponentially_with_equal_jitter() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=100.0)
    low = [policy.backoff(n, lambda: 0.0) for n in (1, 2, 3, 4)]
    high = [policy.backoff(n, lambda: 0.999999) for n in (1, 2, 3, 4)]
    assert low == [0.5, 1.0, 2.0, 4.0]
    assert high == pytest.approx([1.0, 2.0, 4.0, 8.0], rel=1e-5)


def test_backoff_is_capped() -> None:
    policy = RetryPolicy(base_delay=1.0, max_delay=30.0)
    for attempt in (6, 10, 100, 10_000):
        assert policy.backoff(attempt, lambda: 0.999999) <= 30.0
        assert policy.backoff(attempt, lambda: 0.0) == 15.0


def test_backoff_of_attempt_zero_is_the_base() -> None:
    assert RetryPolicy(base_delay=2.0).backoff(0, lambda: 0.0) == 1.0


@pytest.mark.parametrize("attempt", [0, 1, 2, 5, 40])
@pytest.mark.parametrize("draw", [0.0, 0.3, 0.999999])
def test_the_policy_uses_the_one_backoff_function(attempt: int, draw: float) -> None:
    policy = RetryPolicy(base_delay=0.25, max_delay=7.0)
    expected = backoff(attempt, lambda: draw, base_delay=0.25, max_delay=7.0)
    assert policy.backoff(attempt, lambda: draw) == expected


def test_backoff_defaults_match_the_default_policy() -> None:
    assert [backoff(n, lambda: 0.0) for n in (1, 2, 8)] == [0.25, 0.5, 15.0]
    assert backoff(3, lambda: 0.5) == RetryPolicy().backoff(3, lambda: 0.5)
