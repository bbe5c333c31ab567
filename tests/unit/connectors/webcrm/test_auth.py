"""Webcrm login: token reuse, expiry, 401 renewal, refusals without secrets."""

from __future__ import annotations

import httpx
import pytest

from connectors.errors import AuthenticationError
from connectors.webcrm import WebcrmAuth, build_client, retry_after_seconds
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.conftest import Sleeps
from tests.unit.connectors.webcrm.conftest import (
    SECRET,
    add_login,
    login_body,
    settings,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_logs_in_once_and_sends_the_access_token(
    api: FakeApi, sleeps: Sleeps
) -> None:
    login = add_login(api)
    things = api.add("GET", "/Organisations/1", json_response({}))
    async with build_client(
        settings(), transport=api.transport, sleep=sleeps
    ) as client:
        await client.get_json("/Organisations/1")
        await client.get_json("/Organisations/1")
    assert login.calls == 1
    form = login.requests[0].content.decode()
    assert form == f"authCode={SECRET}"
    assert "Authorization" not in login.requests[0].headers
    assert {r.headers["Authorization"] for r in things.requests} == {"Bearer access-1"}


async def test_an_expired_token_is_renewed_before_the_call(
    api: FakeApi, sleeps: Sleeps
) -> None:
    clock = Clock()
    login = add_login(
        api,
        json_response(login_body("first", expires_in=3600)),
        json_response(login_body("second", expires_in=3600)),
    )
    things = api.add("GET", "/Persons/1", json_response({}))
    client = build_client(
        settings(), transport=api.transport, sleep=sleeps, monotonic=clock
    )
    async with client:
        await client.get_json("/Persons/1")
        clock.now = 3600 - 61  # still comfortably valid
        await client.get_json("/Persons/1")
        clock.now = 3600 - 59  # inside the 60 s margin: renew first
        await client.get_json("/Persons/1")
    assert login.calls == 2
    assert [r.headers["Authorization"] for r in things.requests] == [
        "Bearer first",
        "Bearer first",
        "Bearer second",
    ]


async def test_short_lived_tokens_are_not_renewed_on_every_call(
    api: FakeApi, sleeps: Sleeps
) -> None:
    clock = Clock()
    login = add_login(api, json_response(login_body("short", expires_in=10)))
    api.add("GET", "/Persons/1", json_response({}))
    client = build_client(
        settings(), transport=api.transport, sleep=sleeps, monotonic=clock
    )
    async with client:
        await client.get_json("/Persons/1")
        clock.now = 4.0
        await client.get_json("/Persons/1")
    assert login.calls == 1


async def test_a_401_logs_in_again_and_retries_once(
    api: FakeApi, sleeps: Sleeps
) -> None:
    login = add_login(
        api, json_response(login_body("revoked")), json_response(login_body("fresh"))
    )
    things = api.add(
        "GET",
        "/Products/1",
        json_response({"Message": "denied"}, 401),
        json_response(5),
    )
    async with build_client(
        settings(), transport=api.transport, sleep=sleeps
    ) as client:
        assert await client.get_json("/Products/1") == 5
    assert login.calls == 2
    assert things.requests[-1].headers["Authorization"] == "Bearer fresh"


@pytest.mark.parametrize("status", [400, 401])
async def test_a_refused_login_is_an_authentication_error_without_the_secret(
    api: FakeApi, sleeps: Sleeps, status: int
) -> None:
    body = {**login_body(), "AccessToken": None, "IsError": True, "Error": SECRET}
    add_login(api, json_response(body, status))
    async with build_client(
        settings(), transport=api.transport, sleep=sleeps
    ) as client:
        with pytest.raises(AuthenticationError) as caught:
            await client.get_json("/Organisations")
    assert SECRET not in str(caught.value)
    assert "/Auth/ApiLogin" in str(caught.value)


async def test_a_login_without_a_token_is_an_authentication_error(
    api: FakeApi, sleeps: Sleeps
) -> None:
    add_login(api, json_response({**login_body(), "AccessToken": ""}))
    async with build_client(
        settings(), transport=api.transport, sleep=sleeps
    ) as client:
        with pytest.raises(AuthenticationError, match="no access token"):
            await client.get_json("/Organisations")


async def test_a_login_without_expiry_assumes_an_hour(
    api: FakeApi, sleeps: Sleeps
) -> None:
    clock = Clock()
    login = add_login(api, json_response({**login_body(), "ExpiresIn": None}))
    api.add("GET", "/Persons/1", json_response({}))
    client = build_client(
        settings(), transport=api.transport, sleep=sleeps, monotonic=clock
    )
    async with client:
        await client.get_json("/Persons/1")
        clock.now = 3000.0
        await client.get_json("/Persons/1")
    assert login.calls == 1


def test_auth_repr_hides_the_app_token() -> None:
    assert SECRET not in repr(WebcrmAuth(settings()))


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"RetryAfterSeconds": 14, "Message": "throttled"}', 14.0),
        (b'{"RetryAfterSeconds": 2.5}', 2.5),
        (b'{"RetryAfterSeconds": -1}', None),
        (b'{"RetryAfterSeconds": true}', None),
        (b'{"RetryAfterSeconds": "14"}', None),
        (b"[14]", None),
        (b"<html>busy</html>", None),
    ],
)
def test_retry_after_seconds_body_hint(content: bytes, expected: float | None) -> None:
    assert retry_after_seconds(httpx.Response(429, content=content)) == expected
