"""Membercare token auth, the tenant clock, and the API key kept out of logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from connectors.errors import AuthenticationError, ConfigurationError
from connectors.membercare import LocalClock, build_client
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.conftest import Sleeps
from tests.unit.connectors.membercare.conftest import (
    NOW,
    SECRET,
    add_token,
    open_client,
    settings,
)

OSLO = ZoneInfo("Europe/Oslo")


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_the_token_goes_in_the_token_header(api: FakeApi, sleeps: Sleeps) -> None:
    token = add_token(api)
    things = api.add("GET", "/api/v1/products/1", json_response({}))
    async with open_client(api, sleeps) as client:
        await client.get_json("v1/products/1")
        await client.get_json("v1/products/1")
    assert token.calls == 1
    assert dict(token.requests[0].url.params) == {
        "clientApiKey": SECRET,
        "personToImpersonate": "1",
    }
    assert "token" not in token.requests[0].headers
    for request in things.requests:
        assert request.headers["token"] == "tok-1"
        assert "Authorization" not in request.headers


async def test_the_token_is_renewed_before_its_local_expiry(
    api: FakeApi, sleeps: Sleeps
) -> None:
    # Expires 12:00 Oslo = 11:00 UTC: 30 minutes after NOW, renewed 60 s early.
    token = add_token(api, "first", "second", expiration="2024-03-01T12:00:00")
    things = api.add("GET", "/api/v1/products/1", json_response({}))
    clock = Clock()
    client = build_client(
        settings(),
        transport=api.transport,
        sleep=sleeps,
        now=lambda: NOW,
        monotonic=clock,
    )
    async with client:
        await client.get_json("v1/products/1")
        clock.now = 1739.0
        await client.get_json("v1/products/1")
        clock.now = 1741.0
        await client.get_json("v1/products/1")
    assert token.calls == 2
    assert [r.headers["token"] for r in things.requests] == ["first", "first", "second"]


async def test_a_401_renews_the_token_once(api: FakeApi, sleeps: Sleeps) -> None:
    token = add_token(api, "old", "new")
    things = api.add(
        "GET", "/api/v1/products/1", json_response({}, 401), json_response({"id": 1})
    )
    async with open_client(api, sleeps) as client:
        assert await client.get_json("v1/products/1") == {"id": 1}
    assert token.calls == 2
    assert [r.headers["token"] for r in things.requests] == ["old", "new"]


@pytest.mark.parametrize("status", [400, 401, 403, 404])
async def test_a_refused_token_is_an_authentication_error(
    api: FakeApi, sleeps: Sleeps, status: int
) -> None:
    api.add("GET", "/api/v1/token", json_response({"status": status}, status))
    async with open_client(api, sleeps) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get_json("v1/products")
    assert SECRET not in str(caught.value)
    assert "/api/v1/token" in str(caught.value)


async def test_an_answer_without_a_token_is_an_authentication_error(
    api: FakeApi, sleeps: Sleeps
) -> None:
    api.add("GET", "/api/v1/token", json_response({"expiration": "2024-03-01"}))
    async with open_client(api, sleeps) as client:
        with pytest.raises(AuthenticationError, match="no token"):
            await client.get_json("v1/products")


async def test_the_api_key_never_reaches_the_logs(
    api: FakeApi, sleeps: Sleeps, caplog: pytest.LogCaptureFixture
) -> None:
    add_token(api)
    api.add("GET", "/api/v1/products", json_response({}))
    caplog.set_level(logging.INFO, logger="httpx")
    async with open_client(api, sleeps) as client:
        await client.get_json("v1/products")
    assert "clientApiKey=***" in caplog.text
    assert SECRET not in caplog.text
    assert repr(client.auth) == "MembercareAuth(api_key=SecretStr('**********'))"


@pytest.mark.parametrize(
    ("local", "utc"),
    [
        ("2024-01-15T12:00:00", datetime(2024, 1, 15, 11, tzinfo=UTC)),
        ("2024-07-15T12:00:00.25", datetime(2024, 7, 15, 10, 0, 0, 250000, UTC)),
        # The repeated hour of 27 Oct 2024 is read as its first pass (summer time).
        ("2024-10-27T02:30:00", datetime(2024, 10, 27, 0, 30, tzinfo=UTC)),
        ("2024-03-01T10:00:00+00:00", datetime(2024, 3, 1, 10, tzinfo=UTC)),
    ],
)
def test_local_times_become_utc(local: str, utc: datetime) -> None:
    clock = LocalClock(OSLO)
    assert clock.to_utc(datetime.fromisoformat(local)) == utc


def test_the_clock_skew_is_added_and_reversed() -> None:
    clock = LocalClock(OSLO, timedelta(seconds=90))
    moment = clock.to_utc(datetime(2024, 1, 15, 12))
    assert moment == datetime(2024, 1, 15, 11, 1, 30, tzinfo=UTC)
    assert clock.to_local_text(moment) == "2024-01-15T12:00:00.000"


def test_settings_check_the_time_zone() -> None:
    assert settings(time_zone="Europe/Stockholm").zone == ZoneInfo("Europe/Stockholm")
    with pytest.raises(ValueError, match="unknown time zone"):
        settings(time_zone="Mars/Olympus")
    with pytest.raises(ConfigurationError, match="MEMBERCARE_API_KEY"):
        type(settings()).load(base_url="https://x.test", person_to_impersonate="1")
