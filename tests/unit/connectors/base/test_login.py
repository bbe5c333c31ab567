"""``HttpClient.from_settings``, logins refused at the client, static key headers."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator

import httpx
import pytest
from pydantic import SecretStr

from connectors.base.auth import BasicAuth, BearerAuth, HeaderAuth
from connectors.base.client import HttpClient
from connectors.base.retry import RetryPolicy
from connectors.base.settings import ConnectorSettings
from connectors.errors import AuthenticationError, TransientError
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.conftest import Sleeps

SECRET = "login-secret-7c1d"


def test_from_settings_takes_url_timeouts_retries_and_rate_limit() -> None:
    settings = ConnectorSettings(
        base_url="https://api.test/",
        timeout=7.0,
        max_attempts=3,
        max_retry_wait=9.0,
        rate_limit_per_minute=42,
    )
    auth = BearerAuth(SecretStr(SECRET))
    client = HttpClient.from_settings(settings, system="demo", auth=auth)
    assert (client.system, client.base_url, client.auth) == (
        "demo",
        "https://api.test",
        auth,
    )
    assert client.retry == RetryPolicy(max_attempts=3, max_wait=9.0)
    assert client.limiter is not None
    assert client.limiter.limit == 42
    unlimited = ConnectorSettings(base_url="https://api.test")
    assert HttpClient.from_settings(unlimited, system="demo").limiter is None


async def test_the_rate_limiter_shares_the_clients_clocks(
    api: FakeApi, sleeps: Sleeps
) -> None:
    api.add("GET", "/x", json_response({}))
    now = [0.0]
    settings = ConnectorSettings(base_url="https://api.test", rate_limit_per_minute=1)

    async def sleep(seconds: float) -> None:
        await sleeps(seconds)
        now[0] += seconds

    client = HttpClient.from_settings(
        settings,
        system="demo",
        transport=api.transport,
        monotonic=lambda: now[0],
        sleep=sleep,
    )
    async with client:
        await client.get_json("/x")
        await client.get_json("/x")
    assert sleeps.delays == [61.0]  # the window and the limiter's 1 s margin


@pytest.fixture
async def client(api: FakeApi, sleeps: Sleeps) -> AsyncIterator[HttpClient]:
    settings = ConnectorSettings(base_url="https://api.test/v1", max_attempts=3)
    opened = HttpClient.from_settings(
        settings, system="demo", transport=api.transport, sleep=sleeps, rng=lambda: 0.0
    )
    async with opened:
        yield opened


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_a_refused_login_is_an_authentication_error(
    api: FakeApi, client: HttpClient, status: int
) -> None:
    api.add("POST", "/v1/login", json_response({"error": SECRET}, status))
    form = {"key": SECRET}
    with pytest.raises(AuthenticationError) as caught:
        await client.login("POST", "login", form=form, hint="check DEMO_KEY")
    message = str(caught.value)
    assert message == f"demo POST /v1/login -> {status}: login refused; check DEMO_KEY"
    assert SECRET not in message


async def test_a_login_is_retried_like_a_safe_request(
    api: FakeApi, client: HttpClient, sleeps: Sleeps
) -> None:
    route = api.add(
        "GET",
        "/v1/token",
        json_response({}, 503),
        json_response({"value": "t"}),
    )
    body = await client.login("GET", "token", params={"k": SECRET}, hint="check")
    assert body == {"value": "t"}
    assert route.calls == 2
    assert len(sleeps.delays) == 1
    api.add("GET", "/v1/down", json_response({}, 500))
    with pytest.raises(TransientError):
        await client.login("GET", "down", hint="check")


async def test_a_login_is_sent_without_credentials(
    api: FakeApi, sleeps: Sleeps
) -> None:
    route = api.add("POST", "/login", json_response({"token": "t"}))
    settings = ConnectorSettings(base_url="https://api.test")
    client = HttpClient.from_settings(
        settings,
        system="demo",
        auth=BearerAuth(SecretStr(SECRET)),
        transport=api.transport,
        sleep=sleeps,
    )
    async with client:
        await client.login("POST", "/login", hint="check")
    assert "Authorization" not in route.requests[0].headers


async def test_static_keys_go_in_headers_and_never_in_the_repr(
    api: FakeApi, sleeps: Sleeps
) -> None:
    route = api.add("GET", "/x", json_response({}))
    auth = HeaderAuth({"tb-key": SecretStr(SECRET), "x-api-version": "3.0"})
    client = HttpClient(
        system="demo", base_url="https://api.test", auth=auth, transport=api.transport
    )
    async with client:
        await client.get_json("/x")
    headers = route.requests[0].headers
    assert (headers["tb-key"], headers["x-api-version"]) == (SECRET, "3.0")
    assert repr(auth) == "HeaderAuth(headers=tb-key, x-api-version)"
    assert not await auth.refresh(client)


async def test_basic_auth_sends_the_key_as_user_without_password() -> None:
    auth = BasicAuth(SecretStr(SECRET))
    request = httpx.Request("GET", "https://api.test/x")
    await auth.apply(request, HttpClient(system="demo", base_url="https://api.test"))
    expected = base64.b64encode(f"{SECRET}:".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert SECRET not in repr(auth)
    assert expected not in repr(auth)
