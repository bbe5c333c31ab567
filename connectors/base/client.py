"""``HttpClient``: one ``httpx.AsyncClient`` per system, status policy, retries."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from types import TracebackType
from typing import Any, Self

import httpx
import orjson

from connectors.base._call import Call
from connectors.base.auth import Auth
from connectors.base.ratelimit import SlidingWindowLimiter
from connectors.base.retry import RetryPolicy, parse_retry_after
from connectors.base.status import (
    DEFAULT_STATUS_POLICY,
    Action,
    StatusPolicy,
    error_for,
)
from connectors.errors import (
    ConfigurationError,
    FatalError,
    MalformedResponseError,
    SyncError,
    TransientError,
)
from schemas.envelope import utc_now
from schemas.text import scrub

logger = logging.getLogger(__name__)

RetryHint = Callable[[httpx.Response], float | None]
"""Reads a retry delay from a response body, for APIs that put it there."""

# Raised before any byte reached the server: even an unsafe request may be retried.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class HttpClient:
    """Owns one ``httpx.AsyncClient`` and turns every outcome into data or an error.

    Statuses go through ``status_policy``; retryable failures are retried here
    with capped exponential backoff and jitter, honouring ``Retry-After`` first
    and then ``retry_hint`` (a body field). A request marked unsafe (a create
    without an idempotency key) is retried only when the server certainly did not
    act on it; otherwise a ``TransientError`` tells the caller the outcome is
    unknown. Messages name system, method, path and status, never the query,
    body or headers.

    Args:
        system: System id for messages (``webcrm``).
        base_url: Root URL; request paths are relative to it.
        auth: Decorates requests with credentials.
        status_policy: Status -> action table.
        retry: Attempts and waiting limits.
        timeout: Seconds for each of connect/read/write/pool.
        limiter: Client-side rate limiter, acquired before every request.
        retry_hint: Reads a retry delay from a body when ``Retry-After`` is absent.
        headers: Extra default headers.
        transport: An httpx transport, e.g. ``httpx.MockTransport`` in tests.
        sleep: Async sleep (injectable for tests).
        now: Current aware time, to read ``Retry-After`` dates.
        rng: Jitter source in ``[0, 1)``.
    """

    def __init__(
        self,
        *,
        system: str,
        base_url: str,
        auth: Auth | None = None,
        status_policy: StatusPolicy = DEFAULT_STATUS_POLICY,
        retry: RetryPolicy | None = None,
        timeout: float = 30.0,
        limiter: SlidingWindowLimiter | None = None,
        retry_hint: RetryHint | None = None,
        headers: Mapping[str, str] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        now: Callable[[], datetime] = utc_now,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.system = system
        self.base_url = base_url
        self.auth = auth
        self.status_policy = status_policy
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
        self._headers = {"Accept": "application/json", "User-Agent": "tether"}
        self._headers.update(headers or {})
        self._retry_hint = retry_hint
        self._transport = transport
        self._sleep = sleep
        self._now = now
        self._rng = rng
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(system={self.system!r}, base_url={self.base_url!r})"
        )

    @property
    def is_open(self) -> bool:
        """Whether ``open()`` ran and ``aclose()`` did not yet."""
        return self._client is not None

    async def open(self) -> None:
        """Create the underlying client; calling it twice is harmless."""
        if self._client is None:
            self._client = httpx.AsyncClient(
                base_url=self.base_url,
                timeout=self._timeout,
                limits=self._limits,
                headers=self._headers,
                transport=self._transport,
            )

    async def aclose(self) -> None:
        """Close the connection pool; the client may be opened again."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def __aenter__(self) -> Self:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        form: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        authenticate: bool = True,
    ) -> httpx.Response:
        """Send a request and return its successful response, or raise.

        Args:
            method: HTTP method.
            path: Path relative to ``base_url``.
            params: Query parameters.
            body: A JSON body (serialised with orjson), or ``None``.
            form: A form-encoded body instead of JSON.
            headers: Extra headers for this request.
            idempotent: Whether a blind retry is harmless; defaults by method
                (``POST``/``PATCH`` are unsafe).
            authenticate: ``False`` for the login request itself.

        Raises:
            TransientError: Retries exhausted, or an unsafe request's outcome is
                unknown.
            RateLimitedError: Still throttled; ``retry_after`` holds the hint.
            AuthenticationError: 401/403 (after one credential refresh).
            RejectedRecordError: 400/404/405/409/422 and other 4xx.
            FatalError: Anything retrying cannot fix.
        """
        call = Call(method, path, params, body, form, headers, idempotent)
        response = await self._execute(call, authenticate=authenticate)
        assert response is not None  # only allow_not_found=True yields None
        return response

    async def request_optional(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
    ) -> httpx.Response | None:
        """Like ``request``, but a not-found status returns ``None``."""
        call = Call(method, path, params, body, None, headers, idempotent)
        return await self._execute(call, allow_not_found=True)

    async def get_json(
        self, path: str, *, params: Mapping[str, Any] | None = None
    ) -> Any:
        """``GET`` and decode the JSON body."""
        return self.decode_json(await self.request("GET", path, params=params))

    async def get_json_optional(
        self, path: str, *, params: Mapping[str, Any] | None = None
    ) -> Any | None:
        """``GET`` and decode the JSON body; ``None`` when not found."""
        response = await self.request_optional("GET", path, params=params)
        return None if response is None else self.decode_json(response)

    def decode_json(self, response: httpx.Response) -> Any:
        """The decoded JSON body (``None`` when empty).

        Invalid UTF-8 does not fail the body: it is decoded with
        ``surrogateescape``, so only the records holding such bytes are refused
        (by their wire models), not the whole page. NaN and Infinity literals
        are read too, and refused per record the same way.

        Raises:
            MalformedResponseError: A ``GET`` answered with a body that is not
                JSON (an HTML error page with status 200, XML, truncated text);
                the server may send a proper page next time.
            FatalError: Any other request did (a write must not be repeated
                blindly, and usually it means ``base_url`` points at a web site).
        """
        content = response.content
        if not content:
            return None
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            strict_error = exc
        try:
            # The slow path: orjson refuses invalid UTF-8 and NaN outright, the
            # standard library reads both (the bytes as lone surrogates).
            return json.loads(content.decode("utf-8", "surrogateescape"))
        except (ValueError, RecursionError):
            pass
        kind = response.headers.get("Content-Type", "no content type")
        problem = _not_json(content, kind, strict_error)
        where = f"{self._where(response.request)} -> {response.status_code}"
        if response.request.method != "GET":
            msg = f"{where} sent {problem}; check {self.system} base_url"
            raise FatalError(msg) from strict_error
        msg = f"{where} sent {problem}"
        raise MalformedResponseError(
            msg,
            status=response.status_code,
            content_type=kind,
            excerpt=content[:EXCERPT_BYTES].decode("utf-8", "replace"),
        ) from strict_error

    def shape_error(
        self, method: str, path: str, problem: str, body: Any = None
    ) -> SyncError:
        """The error for a body whose shape the connector cannot use.

        A listing (``GET``) is read again later (``MalformedResponseError``,
        keeping the start of ``body`` for the operator); a write's answer is a
        ``FatalError``, since repeating it is not safe.
        """
        # Same path as the status errors show: under base_url, without the query.
        root = httpx.URL(self.base_url).path.rstrip("/")
        full = f"{root}/{path.partition('?')[0].lstrip('/')}"
        msg = f"{self.system} {method} {full}: {problem}"
        if method.upper() == "GET":
            shown = orjson.dumps(scrub(body))[:EXCERPT_BYTES].decode("utf-8", "replace")
            return MalformedResponseError(msg, excerpt=shown)
        return FatalError(msg)

    def _where(self, request: httpx.Request) -> str:
        return f"{self.system} {request.method} {request.url.path}"

    async def _execute(
        self, call: Call, *, authenticate: bool = True, allow_not_found: bool = False
    ) -> httpx.Response | None:
        attempt, waited, refreshed = 0, 0.0, False
        while True:
            attempt += 1
            request = await self._build(call, authenticate=authenticate)
            where = self._where(request)
            try:
                response = await self._send(request, where)
            except httpx.TransportError as exc:
                failure = f"{where} failed ({type(exc).__name__})"
                if not (call.safe or isinstance(exc, _NOT_SENT)):
                    msg = f"{failure} after the request was sent: {_UNKNOWN}"
                    raise TransientError(msg) from exc
                delay = self.retry.backoff(attempt, self._rng)
                if await self._pause(failure, attempt, waited, delay):
                    waited += delay
                    continue
                msg = f"{failure} after {attempt} attempt(s)"
                raise TransientError(msg) from exc
            status = response.status_code
            action = self.status_policy.action_for(status)
            if action is Action.SUCCESS:
                return response
            if status == 401 and authenticate and self.auth and not refreshed:
                refreshed = True
                if await self.auth.refresh(self):
                    attempt -= 1  # a renewed login is not a failed attempt
                    continue
            if action is Action.NOT_FOUND and allow_not_found:
                return None
            if action not in (Action.RETRY, Action.RATE_LIMITED):
                raise error_for(action, where, status, self.system)
            hint = self._retry_after(response)
            retryable = call.safe or status in self.status_policy.unprocessed
            delay = self.retry.backoff(attempt, self._rng) if hint is None else hint
            if retryable and await self._pause(
                f"{where} -> {status}", attempt, waited, delay
            ):
                waited += delay
                continue
            raise error_for(
                action,
                where,
                status,
                self.system,
                retry_after=hint,
                attempts=attempt,
                outcome_unknown=not retryable,
            )

    async def _build(self, call: Call, *, authenticate: bool) -> httpx.Request:
        if self._client is None:
            msg = f"{self.system} client used before open()"
            raise FatalError(msg)
        request = self._client.build_request(
            call.method.upper(),
            call.path,
            params=call.params,
            content=call.content,
            data=call.form,
            headers=call.all_headers,
        )
        if authenticate and self.auth is not None:
            await self.auth.apply(request, self)
        if self.limiter is not None:
            await self.limiter.acquire()
        return request

    async def _send(self, request: httpx.Request, where: str) -> httpx.Response:
        assert self._client is not None  # _build checked it
        try:
            return await self._client.send(request)
        except httpx.UnsupportedProtocol as exc:
            msg = f"{where}: base_url must start with http:// or https://"
            raise ConfigurationError(msg) from exc
        except httpx.TransportError:
            raise
        except httpx.RequestError as exc:  # decoding errors, redirect loops
            msg = f"{where} failed ({type(exc).__name__})"
            raise FatalError(msg) from exc

    async def _pause(
        self, what: str, attempt: int, waited: float, delay: float
    ) -> bool:
        """Sleep before the next attempt, if attempts and total wait allow it."""
        if attempt >= self.retry.max_attempts or waited + delay > self.retry.max_wait:
            return False
        logger.warning(
            "%s; retry %d/%d in %.2fs",
            what,
            attempt + 1,
            self.retry.max_attempts,
            delay,
        )
        await self._sleep(delay)
        return True

    def _retry_after(self, response: httpx.Response) -> float | None:
        hint = parse_retry_after(response.headers.get("Retry-After"), self._now())
        if hint is None and self._retry_hint is not None:
            hint = self._retry_hint(response)
        return hint


_UNKNOWN = "outcome unknown, not retried because the request is unsafe"

EXCERPT_BYTES = 200
"""How much of an unusable body a ``MalformedResponseError`` keeps."""


def _not_json(content: bytes, content_type: str, error: Exception) -> str:
    """What an unparseable body is, in words, for the operator."""
    head = content[:512].lstrip().lower()
    size = f"{len(content)} bytes"
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return f"an HTML page instead of JSON ({content_type}, {size})"
    if head.startswith(b"<"):
        return f"XML or markup instead of JSON ({content_type}, {size})"
    if "unexpected end" in str(error).lower() or "eof" in str(error).lower():
        return f"truncated JSON ({content_type}, body ends after {size})"
    return f"a body that is not JSON ({content_type}, {size})"
