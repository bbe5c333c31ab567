"""Crmoffice OAuth2: client credentials, refresh tokens and their rotation."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
import pytest
from pydantic import SecretStr

from connectors.crmoffice import build_client
from connectors.errors import AuthenticationError
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.conftest import Sleeps
from tests.unit.connectors.crmoffice.conftest import SECRET, add_token, grant, settings


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


async def test_client_credentials_then_bearer(api: FakeApi, sleeps: Sleeps) -> None:
    token = add_token(api)
    things = api.add("GET", "/users", json_response({"items": []}))
    async with build_client(settings(), transport=api.transport, sleep=sleeps) as c:
        await c.get_json("users")
        await c.get_json("users")
    assert token.calls == 1
    assert form(token.requests[0]) == {
        "client_id": "tether",
        "client_secret": SECRET,
        "scope": "crmoffice offline_access",
        "grant_type": "client_credentials",
    }
    assert {r.headers["Authorization"] for r in things.requests} == {"Bearer at-1"}


async def test_refresh_tokens_are_used_and_rotated(
    api: FakeApi, sleeps: Sleeps
) -> None:
    token = add_token(api, grant("at-1", "rt-2"), grant("at-2", "rt-3"))
    things = api.add(
        "GET", "/users", json_response({}, 401), json_response({"items": []})
    )
    options = settings(refresh_token=SecretStr("rt-1"))
    async with build_client(options, transport=api.transport, sleep=sleeps) as c:
        await c.get_json("users")
    sent = [form(r) for r in token.requests]
    assert [(f["grant_type"], f["refresh_token"]) for f in sent] == [
        ("refresh_token", "rt-1"),
        ("refresh_token", "rt-2"),
    ]
    assert [r.headers["Authorization"] for r in things.requests] == [
        "Bearer at-1",
        "Bearer at-2",
    ]


async def test_a_separate_token_host(api: FakeApi, sleeps: Sleeps) -> None:
    token = add_token(api)
    api.add("GET", "/users", json_response({"items": []}))
    options = settings(token_url="https://sesam.crm.test/connect/token")
    async with build_client(options, transport=api.transport, sleep=sleeps) as c:
        await c.get_json("users")
    assert token.requests[0].url.host == "sesam.crm.test"


@pytest.mark.parametrize("status", [400, 401])
async def test_refused_tokens_are_authentication_errors(
    api: FakeApi, sleeps: Sleeps, status: int
) -> None:
    add_token(api, json_response({"error": "invalid_client"}, status))
    async with build_client(settings(), transport=api.transport, sleep=sleeps) as c:
        with pytest.raises(AuthenticationError) as caught:
            await c.get_json("users")
    assert SECRET not in str(caught.value)
    assert "/connect/token" in str(caught.value)


async def test_an_answer_without_a_token(api: FakeApi, sleeps: Sleeps) -> None:
    add_token(api, json_response({"token_type": "Bearer"}))
    async with build_client(settings(), transport=api.transport, sleep=sleeps) as c:
        with pytest.raises(AuthenticationError, match="no access_token"):
            await c.get_json("users")
    assert SECRET not in repr(c.auth)
