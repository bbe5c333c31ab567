"""The status policy table and the error class each final status becomes."""

from __future__ import annotations

import pytest

from connectors.base.status import (
    DEFAULT_STATUS_POLICY,
    STATUS_POLICY,
    Action,
    StatusPolicy,
    error_for,
)
from connectors.errors import (
    AuthenticationError,
    FatalError,
    RateLimitedError,
    RecordError,
    RejectedRecordError,
    SyncError,
    TransientError,
)

EXPECTED = [
    (200, Action.SUCCESS, None),
    (201, Action.SUCCESS, None),
    (204, Action.SUCCESS, None),
    (100, Action.FATAL, FatalError),
    (302, Action.FATAL, FatalError),
    (400, Action.REJECT_RECORD, RejectedRecordError),
    (401, Action.FATAL_AUTH, AuthenticationError),
    (403, Action.FATAL_AUTH, AuthenticationError),
    (404, Action.NOT_FOUND, RejectedRecordError),
    (405, Action.REJECT_RECORD, RejectedRecordError),
    (408, Action.RETRY, TransientError),
    (409, Action.REJECT_RECORD, RejectedRecordError),
    (410, Action.NOT_FOUND, RejectedRecordError),
    (418, Action.REJECT_RECORD, RejectedRecordError),
    (422, Action.REJECT_RECORD, RejectedRecordError),
    (425, Action.RETRY, TransientError),
    (429, Action.RATE_LIMITED, RateLimitedError),
    (500, Action.RETRY, TransientError),
    (501, Action.FATAL, FatalError),
    (502, Action.RETRY, TransientError),
    (503, Action.RETRY, TransientError),
    (504, Action.RETRY, TransientError),
    (599, Action.RETRY, TransientError),
    (700, Action.FATAL, FatalError),
]


@pytest.mark.parametrize(("status", "action", "error"), EXPECTED)
def test_status_maps_to_action_and_error(
    status: int, action: Action, error: type[SyncError] | None
) -> None:
    assert DEFAULT_STATUS_POLICY.action_for(status) is action
    if error is not None:
        raised = error_for(action, "demo GET /x", status, "demo")
        assert type(raised) is error
        assert f"demo GET /x -> {status}" in str(raised)


def test_every_table_entry_is_covered_above() -> None:
    covered = {status for status, _, _ in EXPECTED}
    assert set(STATUS_POLICY) <= covered


def test_rejected_records_carry_the_system() -> None:
    error = error_for(Action.REJECT_RECORD, "demo PUT /x/1", 422, "demo")
    assert isinstance(error, RecordError)
    assert error.system == "demo"


def test_transient_errors_carry_the_hint_and_say_when_the_outcome_is_unknown() -> None:
    error = error_for(
        Action.RETRY, "demo POST /x", 502, "demo", retry_after=3.0, outcome_unknown=True
    )
    assert isinstance(error, TransientError)
    assert error.retry_after == 3.0
    assert "outcome unknown" in str(error)
    limited = error_for(Action.RATE_LIMITED, "demo GET /x", 429, "demo", retry_after=9)
    assert isinstance(limited, RateLimitedError)
    assert limited.retry_after == 9


def test_auth_errors_point_at_the_settings() -> None:
    error = error_for(Action.FATAL_AUTH, "demo GET /x", 401, "demo")
    assert "check the demo settings" in str(error)


def test_extend_overrides_statuses_and_adds_unprocessed() -> None:
    policy = DEFAULT_STATUS_POLICY.extend(
        {400: Action.RETRY, 520: Action.RATE_LIMITED}, unprocessed=frozenset({520})
    )
    assert policy.action_for(400) is Action.RETRY
    assert policy.action_for(520) is Action.RATE_LIMITED
    assert 520 in policy.unprocessed
    assert 429 in policy.unprocessed
    # The defaults are untouched.
    assert DEFAULT_STATUS_POLICY.action_for(400) is Action.REJECT_RECORD
    assert StatusPolicy().action_for(400) is Action.REJECT_RECORD
