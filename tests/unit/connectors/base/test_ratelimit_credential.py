"""Rate limits per credential: one limiter per token, paused by a 429 for all."""

from __future__ import annotations

import gc

import pytest
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.base.ratelimit import (
    SlidingWindowLimiter,
    credential_key,
    limiter_totals,
    polling,
    shared_limiter,
)
from connectors.base.retry import RetryPolicy
from connectors.customcrm import CustomcrmSettings, build_client
from connectors.errors import RateLimitedError
from connectors.webcrm import WebcrmSettings
from connectors.webcrm import build_client as webcrm_client
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.base.test_ratelimit_shared import Clock


def customcrm(key: str, limit: int = 100) -> CustomcrmSettings:
    return CustomcrmSettings(
        base_url="https://crm.test", api_key=SecretStr(key), rate_limit_per_minute=limit
    )


def test_clients_with_the_same_token_share_one_limiter() -> None:
    first, second = build_client(customcrm("k1")), build_client(customcrm("k1"))
    other = build_client(customcrm("k2"))
    assert first.limiter is not None
    assert first.limiter is second.limiter
    assert other.limiter is not first.limiter


def test_webcrm_clients_share_their_token_limiter() -> None:
    settings = WebcrmSettings(base_url="https://w.test", api_token=SecretStr("app"))
    first, second = webcrm_client(settings), webcrm_client(settings)
    assert first.limiter is not None
    assert first.limiter is second.limiter
    assert first.limiter.limit == 250


def test_the_lower_of_two_declared_limits_wins() -> None:
    first = build_client(customcrm("k3", limit=100))
    second = build_client(customcrm("k3", limit=40))
    assert first.limiter is second.limiter
    assert second.limiter is not None
    assert second.limiter.limit == 40


def test_a_limiter_lives_while_a_client_uses_it() -> None:
    key = credential_key("https://x.test", ["gone"])
    made = shared_limiter(key, 10)
    assert shared_limiter(key, 10) is made
    made.throttled(30.0)
    del made
    gc.collect()
    assert shared_limiter(key, 10).free(poll=False) == 10  # a fresh one


def test_the_key_names_no_secret() -> None:
    key = credential_key("https://x.test", ["very-secret"])
    assert "very-secret" not in key
    assert key != credential_key("https://x.test", ["other"])
    assert key != credential_key("https://y.test", ["very-secret"])


async def test_a_pause_holds_every_request_of_the_credential() -> None:
    clock = Clock()
    made = SlidingWindowLimiter(100, clock=clock, sleep=clock.sleep, margin=0)
    await made.acquire()
    end = made.throttled(14.0)
    assert made.free(poll=False) == 0
    await made.acquire()  # another request: waits out the pause
    assert clock.slept == [14.0]
    assert clock.now == end
    made.throttled(5.0)
    await made.acquire(waited=clock.now + 5.0)  # the retried one slept already
    assert clock.slept == [14.0]


async def test_free_counts_what_is_left_for_polls_and_writes() -> None:
    clock = Clock()
    made = SlidingWindowLimiter(10, clock=clock, sleep=clock.sleep, margin=0)
    made.deployment = type(made.deployment)(members=1, poll_share=0.5)
    for _ in range(3):
        await made.acquire()
    assert made.free(poll=False) == 7
    assert made.free(poll=True) == 2
    with polling():
        await made.acquire()
        await made.acquire()
    assert made.free(poll=True) == 0
    assert made.free(poll=False) == 5
    clock.now += 61
    assert made.free(poll=False) == 10


async def test_a_429_pauses_the_other_clients_of_the_token(api: FakeApi) -> None:
    """One client is throttled; a second client of the same token waits too."""
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = SlidingWindowLimiter(100, clock=lambda: now[0], sleep=sleep)
    api.add("GET", "/a", json_response({}, 429, {"Retry-After": "9"}))
    api.add("GET", "/b", json_response(2))
    options = {
        "base_url": "https://api.test",
        "transport": api.transport,
        "limiter": limiter,
        "sleep": sleep,
        "retry": RetryPolicy(max_attempts=1),
    }
    async with (
        HttpClient(system="demo", **options) as first,  # type: ignore[arg-type]
        HttpClient(system="demo", **options) as second,  # type: ignore[arg-type]
    ):
        with pytest.raises(RateLimitedError):
            await first.get_json("/a")
        assert slept == []
        assert await second.get_json("/b") == 2
    assert slept == [9.0]  # the other client waited out the pause


async def test_a_retried_429_waits_once(api: FakeApi) -> None:
    now = [0.0]
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    limiter = SlidingWindowLimiter(100, clock=lambda: now[0], sleep=sleep)
    api.add("GET", "/a", json_response({}, 429, {"Retry-After": "3"}), json_response(1))
    async with HttpClient(
        system="demo",
        base_url="https://api.test",
        transport=api.transport,
        limiter=limiter,
        sleep=sleep,
    ) as client:
        assert await client.get_json("/a") == 1
    assert slept == [3.0]


def test_a_shared_limiter_is_named_by_its_system_and_totalled() -> None:
    client = build_client(customcrm("k-metrics"))
    assert client.limiter is not None
    assert client.limiter.system == "customcrm"
    client.limiter.waits, client.limiter.waited_seconds = 3, 1.5
    totals = {system: (count, spent) for system, count, spent in limiter_totals()}
    count, spent = totals["customcrm"]
    assert count >= 3
    assert spent >= 1.5
