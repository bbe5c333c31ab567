"""``RenewingTokenAuth``: fetch once, renew before expiry and after a 401."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.base.tokens import RenewingTokenAuth


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class CountingAuth(RenewingTokenAuth):
    """Hands out ``t1``, ``t2``, ... each living ``ttl`` seconds."""

    def __init__(self, clock: Clock, ttl: float, margin: float = 60.0) -> None:
        super().__init__(margin=margin, monotonic=clock)
        self.ttl = ttl

    async def fetch_token(self, client: HttpClient) -> tuple[SecretStr, float]:
        await asyncio.sleep(0)  # let concurrent callers pile up on the lock
        return SecretStr(f"t{self.logins + 1}"), self.ttl

    def sign(self, request: httpx.Request, token: SecretStr) -> None:
        request.headers["X-Token"] = token.get_secret_value()


async def signed(auth: RenewingTokenAuth, client: HttpClient) -> str:
    request = httpx.Request("GET", "https://example.test/x")
    await auth.apply(request, client)
    return request.headers["X-Token"]


@pytest.fixture
def client() -> HttpClient:
    return HttpClient(system="demo", base_url="https://example.test")


async def test_a_token_is_fetched_once_and_reused(client: HttpClient) -> None:
    clock = Clock()
    auth = CountingAuth(clock, ttl=3600)
    assert [await signed(auth, client) for _ in range(3)] == ["t1"] * 3
    assert auth.logins == 1


async def test_concurrent_requests_share_one_login(client: HttpClient) -> None:
    auth = CountingAuth(Clock(), ttl=3600)
    tokens = await asyncio.gather(*(signed(auth, client) for _ in range(5)))
    assert tokens == ["t1"] * 5
    assert auth.logins == 1


async def test_renewed_margin_seconds_before_expiry(client: HttpClient) -> None:
    clock = Clock()
    auth = CountingAuth(clock, ttl=3600, margin=60)
    await signed(auth, client)
    clock.now += 3600 - 60 - 1
    assert await signed(auth, client) == "t1"
    clock.now += 1
    assert await signed(auth, client) == "t2"


async def test_a_short_token_is_renewed_at_half_its_life(client: HttpClient) -> None:
    clock = Clock()
    auth = CountingAuth(clock, ttl=10, margin=60)
    await signed(auth, client)
    clock.now += 4.9
    assert await signed(auth, client) == "t1"
    clock.now += 0.1
    assert await signed(auth, client) == "t2"


async def test_an_expired_token_is_renewed_on_next_use(client: HttpClient) -> None:
    auth = CountingAuth(Clock(), ttl=-5)
    assert [await signed(auth, client) for _ in range(2)] == ["t1", "t2"]


async def test_refresh_fetches_a_new_token(client: HttpClient) -> None:
    auth = CountingAuth(Clock(), ttl=3600)
    await signed(auth, client)
    assert await auth.refresh(client) is True
    assert await signed(auth, client) == "t2"
    assert auth.logins == 2


class BearerTokens(RenewingTokenAuth):
    """Signs with the default: ``Authorization: Bearer``."""

    async def fetch_token(self, client: HttpClient) -> tuple[SecretStr, float]:
        return SecretStr("t1"), 3600.0


async def test_tokens_are_sent_as_bearer_by_default(client: HttpClient) -> None:
    request = httpx.Request("GET", "https://example.test/x")
    await BearerTokens(margin=60.0).apply(request, client)
    assert request.headers["Authorization"] == "Bearer t1"


async def test_the_held_token_is_a_secret(client: HttpClient) -> None:
    auth = BearerTokens(margin=60.0)
    await auth.apply(httpx.Request("GET", "https://example.test/x"), client)
    assert isinstance(auth._token, SecretStr)
    assert "t1" not in repr(auth)
    assert "t1" not in str(auth)
    assert "t1" not in repr(vars(auth))
