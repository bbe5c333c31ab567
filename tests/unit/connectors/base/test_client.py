"""``HttpClient``: decoding, status policy, retries, unsafe requests, auth refresh."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import orjson
import pytest
from pydantic import SecretStr

from connectors.base.auth import BearerAuth
from connectors.base.client import HttpClient
from connectors.base.ratelimit import SlidingWindowLimiter
from connectors.base.retry import RetryPolicy
from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    FatalError,
    MalformedResponseError,
    RateLimitedError,
    RejectedRecordError,
    SyncError,
    TransientError,
)
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.base.test_status import EXPECTED
from tests.unit.connectors.conftest import Sleeps

NOW = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
SECRET = "tok-3f9a-very-secret"


def make_client(api: FakeApi, sleeps: Sleeps, **kwargs: object) -> HttpClient:
    options: dict[str, object] = {
        "system": "demo",
        "base_url": "https://api.test",
        "transport": api.transport,
        "sleep": sleeps,
        "rng": lambda: 0.0,
        "now": lambda: NOW,
        "retry": RetryPolicy(max_attempts=4, max_wait=60.0, base_delay=1.0),
    }
    options.update(kwargs)
    return HttpClient(**options)  # type: ignore[arg-type]


@pytest.fixture
async def client(api: FakeApi, sleeps: Sleeps) -> AsyncIterator[HttpClient]:
    async with make_client(api, sleeps, auth=BearerAuth(SecretStr(SECRET))) as opened:
        yield opened


async def test_get_json_decodes_with_auth_and_accept_headers(
    api: FakeApi, client: HttpClient
) -> None:
    route = api.add("GET", "/things", json_response([{"a": 1}]), params={"q": "x"})
    assert await client.get_json("/things", params={"q": "x"}) == [{"a": 1}]
    sent = route.requests[0]
    assert sent.headers["Authorization"] == f"Bearer {SECRET}"
    assert sent.headers["Accept"] == "application/json"


async def test_json_body_is_sent_with_orjson(api: FakeApi, client: HttpClient) -> None:
    route = api.add("PUT", "/things/1", httpx.Response(204))
    response = await client.request("PUT", "/things/1", body={"Name": "Ø"})
    assert response.status_code == 204
    assert client.decode_json(response) is None
    sent = route.requests[0]
    assert orjson.loads(sent.content) == {"Name": "Ø"}
    assert sent.headers["Content-Type"] == "application/json"


async def test_retries_a_server_error_with_backoff(
    api: FakeApi, client: HttpClient, sleeps: Sleeps
) -> None:
    api.add("GET", "/x", httpx.Response(503), httpx.Response(500), json_response(1))
    assert await client.get_json("/x") == 1
    assert sleeps.delays == [0.5, 1.0]


async def test_gives_up_after_max_attempts(
    api: FakeApi, client: HttpClient, sleeps: Sleeps
) -> None:
    route = api.add("GET", "/x", httpx.Response(503))
    with pytest.raises(TransientError, match=r"demo GET /x -> 503 after 4 attempt"):
        await client.get_json("/x")
    assert route.calls == 4
    assert len(sleeps.delays) == 3


async def test_total_wait_is_capped(api: FakeApi, sleeps: Sleeps) -> None:
    api.add("GET", "/x", httpx.Response(503))
    retry = RetryPolicy(max_attempts=10, max_wait=3.0, base_delay=1.0)
    async with make_client(api, sleeps, retry=retry) as client:
        with pytest.raises(TransientError):
            await client.get_json("/x")
    assert sum(sleeps.delays) <= 3.0
    assert sleeps.delays == [0.5, 1.0]  # the next (2.0) would pass 3.0


async def test_honours_retry_after_seconds(
    api: FakeApi, client: HttpClient, sleeps: Sleeps
) -> None:
    api.add("GET", "/x", json_response({}, 429, {"Retry-After": "7"}), json_response(2))
    assert await client.get_json("/x") == 2
    assert sleeps.delays == [7.0]


async def test_honours_retry_after_http_date(
    api: FakeApi, client: HttpClient, sleeps: Sleeps
) -> None:
    when = format_datetime(NOW + timedelta(seconds=12), usegmt=True)
    api.add(
        "GET",
        "/x",
        httpx.Response(503, headers={"Retry-After": when}),
        json_response(3),
    )
    assert await client.get_json("/x") == 3
    assert sleeps.delays == [12.0]


async def test_body_hint_is_used_when_the_header_is_absent(
    api: FakeApi, sleeps: Sleeps
) -> None:
    def hint(response: httpx.Response) -> float | None:
        return float(orjson.loads(response.content)["wait"])

    api.add("GET", "/x", json_response({"wait": 4}, 429), json_response(0))
    async with make_client(api, sleeps, retry_hint=hint) as client:
        await client.get_json("/x")
    assert sleeps.delays == [4.0]


async def test_header_wins_over_body_hint(api: FakeApi, sleeps: Sleeps) -> None:
    api.add(
        "GET",
        "/x",
        json_response({"wait": 4}, 429, {"Retry-After": "2"}),
        json_response(0),
    )
    async with make_client(api, sleeps, retry_hint=lambda r: 4.0) as client:
        await client.get_json("/x")
    assert sleeps.delays == [2.0]


async def test_rate_limited_to_the_end_carries_retry_after(
    api: FakeApi, client: HttpClient, sleeps: Sleeps
) -> None:
    api.add("GET", "/x", json_response({}, 429, {"Retry-After": "5"}))
    with pytest.raises(RateLimitedError) as caught:
        await client.get_json("/x")
    assert caught.value.retry_after == 5.0
    assert sleeps.delays == [5.0, 5.0, 5.0]


async def test_a_wait_longer_than_allowed_is_left_to_the_caller(
    api: FakeApi, client: HttpClient, sleeps: Sleeps
) -> None:
    route = api.add("GET", "/x", json_response({}, 429, {"Retry-After": "3600"}))
    with pytest.raises(RateLimitedError) as caught:
        await client.get_json("/x")
    assert caught.value.retry_after == 3600.0
    assert route.calls == 1
    assert sleeps.delays == []


@pytest.mark.parametrize("status", [500, 502, 504])
async def test_unsafe_post_is_not_retried_when_the_outcome_is_unknown(
    api: FakeApi, client: HttpClient, sleeps: Sleeps, status: int
) -> None:
    route = api.add("POST", "/things", httpx.Response(status))
    with pytest.raises(TransientError, match="outcome unknown") as caught:
        await client.request("POST", "/things", body={"a": 1})
    assert not isinstance(caught.value, RateLimitedError)
    assert route.calls == 1
    assert sleeps.delays == []


async def test_unsafe_post_after_a_read_timeout_is_not_retried(
    api: FakeApi, client: HttpClient
) -> None:
    route = api.add("POST", "/things", httpx.ReadTimeout)
    with pytest.raises(TransientError, match="outcome unknown") as caught:
        await client.request("POST", "/things", body={"a": 1})
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert route.calls == 1


@pytest.mark.parametrize("reply", [httpx.Response(429), httpx.Response(503)])
async def test_unsafe_post_is_retried_when_the_server_did_not_act(
    api: FakeApi, client: HttpClient, reply: httpx.Response
) -> None:
    route = api.add("POST", "/things", reply, json_response(42, 200))
    response = await client.request("POST", "/things", body={"a": 1})
    assert client.decode_json(response) == 42
    assert route.calls == 2


async def test_unsafe_post_is_retried_when_the_connection_never_opened(
    api: FakeApi, client: HttpClient
) -> None:
    route = api.add("POST", "/things", httpx.ConnectError, json_response(42))
    await client.request("POST", "/things", body={"a": 1})
    assert route.calls == 2


async def test_post_marked_idempotent_is_retried_after_502(
    api: FakeApi, client: HttpClient
) -> None:
    route = api.add("POST", "/things", httpx.Response(502), json_response({}, 201))
    await client.request("POST", "/things", body={}, idempotent=True)
    assert route.calls == 2


async def test_timeouts_on_safe_requests_are_retried_then_transient(
    api: FakeApi, client: HttpClient, sleeps: Sleeps
) -> None:
    api.add("GET", "/x", httpx.ReadTimeout)
    with pytest.raises(TransientError, match=r"ReadTimeout\) after 4") as caught:
        await client.get_json("/x")
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout)
    assert len(sleeps.delays) == 3


async def test_unsupported_protocol_is_a_configuration_error(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/x", httpx.UnsupportedProtocol)
    with pytest.raises(ConfigurationError, match="base_url"):
        await client.get_json("/x")


async def test_decoding_errors_are_fatal(api: FakeApi, client: HttpClient) -> None:
    api.add("GET", "/x", httpx.DecodingError)
    with pytest.raises(FatalError, match="DecodingError"):
        await client.get_json("/x")


async def test_static_key_refused_is_an_authentication_error(
    api: FakeApi, client: HttpClient
) -> None:
    route = api.add("GET", "/x", json_response({"error": SECRET}, 401))
    with pytest.raises(AuthenticationError) as caught:
        await client.get_json("/x")
    assert route.calls == 1
    assert SECRET not in str(caught.value)


class RenewingAuth:
    def __init__(self) -> None:
        self.token = "old"
        self.refreshes = 0

    async def apply(self, request: httpx.Request, client: HttpClient) -> None:
        request.headers["Authorization"] = f"Bearer {self.token}"

    async def refresh(self, client: HttpClient) -> bool:
        self.refreshes += 1
        self.token = "new"
        return True


async def test_a_401_renews_credentials_once(api: FakeApi, sleeps: Sleeps) -> None:
    auth = RenewingAuth()
    route = api.add("GET", "/x", httpx.Response(401), json_response("ok"))
    async with make_client(api, sleeps, auth=auth) as client:
        assert await client.get_json("/x") == "ok"
    assert [r.headers["Authorization"] for r in route.requests] == [
        "Bearer old",
        "Bearer new",
    ]
    assert sleeps.delays == []


async def test_a_second_401_is_an_authentication_error(
    api: FakeApi, sleeps: Sleeps
) -> None:
    auth = RenewingAuth()
    route = api.add("GET", "/x", httpx.Response(401))
    async with make_client(api, sleeps, auth=auth) as client:
        with pytest.raises(AuthenticationError):
            await client.get_json("/x")
    assert auth.refreshes == 1
    assert route.calls == 2


async def test_not_found(api: FakeApi, client: HttpClient) -> None:
    api.add("GET", "/x/1", json_response({"error": "not_found"}, 404))
    assert await client.get_json_optional("/x/1") is None
    assert await client.request_optional("GET", "/x/1") is None
    with pytest.raises(RejectedRecordError, match=r"demo GET /x/1 -> 404"):
        await client.get_json("/x/1")


async def test_found_optional(api: FakeApi, client: HttpClient) -> None:
    api.add("GET", "/x/1", json_response({"id": 1}))
    assert await client.get_json_optional("/x/1") == {"id": 1}


async def test_html_with_200_is_a_clear_error(api: FakeApi, client: HttpClient) -> None:
    page = b"<!doctype html><html><body>Welcome</body></html>"
    api.add(
        "GET",
        "/x",
        httpx.Response(200, content=page, headers={"Content-Type": "text/html"}),
    )
    with pytest.raises(
        MalformedResponseError, match=r"an HTML page instead of JSON \(text/html"
    ) as caught:
        await client.get_json("/x")
    assert caught.value.excerpt == page.decode()
    assert caught.value.status == 200


async def test_html_answering_a_write_is_fatal(
    api: FakeApi, client: HttpClient
) -> None:
    page = b"<!doctype html><html><body>Welcome</body></html>"
    api.add(
        "POST",
        "/x",
        httpx.Response(200, content=page, headers={"Content-Type": "text/html"}),
    )
    response = await client.request("POST", "/x", body={}, idempotent=True)
    with pytest.raises(FatalError, match=r"instead of JSON.*check demo base_url"):
        client.decode_json(response)


async def test_redirects_are_not_followed(api: FakeApi, client: HttpClient) -> None:
    api.add("GET", "/x", httpx.Response(302, headers={"Location": "/login"}))
    with pytest.raises(FatalError, match="302"):
        await client.get_json("/x")


async def test_messages_carry_no_query_body_or_secret(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("POST", "/x", json_response({"detail": "bad"}, 422))
    with pytest.raises(RejectedRecordError) as caught:
        await client.request(
            "POST", "/x", params={"q": "private-query"}, body={"pw": "body-secret"}
        )
    text = str(caught.value)
    assert text == "demo POST /x -> 422: rejected"
    for hidden in ("private-query", "body-secret", SECRET, "bad"):
        assert hidden not in text


async def test_shape_error_drops_the_query(client: HttpClient) -> None:
    error = client.shape_error("GET", "/x?secret=1", "expected a list")
    assert str(error) == "demo GET /x: expected a list"


async def test_use_before_open_is_fatal(api: FakeApi, sleeps: Sleeps) -> None:
    client = make_client(api, sleeps)
    assert not client.is_open
    with pytest.raises(FatalError, match="before open"):
        await client.get_json("/x")


async def test_open_twice_and_reopen(api: FakeApi, sleeps: Sleeps) -> None:
    api.add("GET", "/x", json_response(1))
    client = make_client(api, sleeps)
    await client.open()
    await client.open()
    await client.aclose()
    await client.aclose()
    assert not client.is_open
    async with client:
        assert await client.get_json("/x") == 1
    assert "demo" in repr(client)


async def test_the_rate_limiter_is_acquired_per_request(
    api: FakeApi, sleeps: Sleeps
) -> None:
    now = [0.0]

    async def sleep(seconds: float) -> None:
        await sleeps(seconds)
        now[0] += seconds

    limiter = SlidingWindowLimiter(1, 60.0, clock=lambda: now[0], sleep=sleep)
    api.add("GET", "/x", json_response(1))
    async with make_client(api, sleeps, limiter=limiter) as client:
        await client.get_json("/x")
        await client.get_json("/x")
    assert sleeps.delays == [61.0]  # the window and the limiter's 1 s margin


def test_bearer_auth_repr_hides_the_key() -> None:
    assert SECRET not in repr(BearerAuth(SecretStr(SECRET)))


@pytest.mark.parametrize(
    ("status", "error"), [(s, e) for s, _, e in EXPECTED if e is not None]
)
async def test_each_final_status_raises_its_error_class(
    api: FakeApi, sleeps: Sleeps, status: int, error: type[SyncError]
) -> None:
    api.add("GET", "/x", httpx.Response(status))
    async with make_client(api, sleeps, retry=RetryPolicy(max_attempts=1)) as client:
        with pytest.raises(SyncError) as caught:
            await client.get_json("/x")
    assert type(caught.value) is error


async def test_prepare_builds_the_body_of_each_attempt_right_before_it(
    api: FakeApi, client: HttpClient
) -> None:
    route = api.add("PUT", "/x/1", httpx.Response(503), json_response({"ok": 1}))
    bodies = iter([{"n": "first"}, {"n": "second"}])
    calls = []

    async def prepare() -> dict[str, str]:
        calls.append(len(route.requests))  # what had been sent when it ran
        return next(bodies)

    await client.request("PUT", "/x/1", body={"n": "stale"}, prepare=prepare)
    assert calls == [0, 1]
    sent = [orjson.loads(r.content) for r in route.requests]
    assert sent == [{"n": "first"}, {"n": "second"}]
    assert route.requests[1].headers["Content-Type"] == "application/json"


async def test_prepare_may_keep_the_body_or_stop_the_request(
    api: FakeApi, client: HttpClient
) -> None:
    route = api.add("PUT", "/x/1", httpx.Response(503), json_response({"ok": 1}))
    seen = []

    async def keep() -> None:
        seen.append("checked")

    await client.request("PUT", "/x/1", body={"n": 1}, prepare=keep)
    assert seen == ["checked", "checked"]
    assert [orjson.loads(r.content) for r in route.requests] == [{"n": 1}] * 2

    async def stop() -> None:
        raise TransientError("changed underneath")

    with pytest.raises(TransientError, match="changed underneath"):
        await client.request("PUT", "/x/1", body={"n": 1}, prepare=stop)
    assert len(route.requests) == 2  # nothing more was sent
