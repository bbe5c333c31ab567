"""``HttpClient``: one ``httpx.AsyncClient`` per system, status policy, retries."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Self

import httpx
from pydantic import SecretStr

from connectors.base._body import JsonBodies
from connectors.base._call import Call
from connectors.base._call import Prepare as Prepare
from connectors.base._pool import Pool
from connectors.base.auth import Auth
from connectors.base.ratelimit import (
    SlidingWindowLimiter,
    credential_key,
    shared_limiter,
)
from connectors.base.retry import RetryPolicy, parse_retry_after
from connectors.base.status import (
    DEFAULT_STATUS_POLICY,
    Action,
    StatusPolicy,
    error_for,
)
from connectors.errors import (
    AuthenticationError,
    TransientError,
)
from schemas.utc import utc_now

if TYPE_CHECKING:
    from connectors.base.settings import ConnectorSettings

logger = logging.getLogger(__name__)

RetryHint = Callable[[httpx.Response], float | None]
"""Reads a retry delay from a response body, for APIs that put it there."""

# Raised before any byte reached the server: even an unsafe request may be retried.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class HttpClient(Pool, JsonBodies):
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
        super().__init__(
            system=system,
            base_url=base_url,
            timeout=timeout,
            headers=headers,
            transport=transport,
        )
        self.auth = auth
        self.status_policy = status_policy
        self.retry = retry or RetryPolicy()
        self.limiter = limiter
        self._waits = _Waits(self.retry, sleep, now, rng, retry_hint)

    @classmethod
    def from_settings(
        cls,
        settings: ConnectorSettings,
        *,
        system: str,
        auth: Auth | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **options: Any,
    ) -> Self:
        """A client with the base URL, timeout, retries and rate limit of ``settings``.

        Args:
            settings: The connector's settings.
            system: System id for messages.
            auth: Decorates requests with credentials.
            monotonic: Monotonic seconds, for the rate limiter.
            sleep: Async sleep, for retries and the rate limiter.
            **options: Further ``HttpClient`` arguments (``transport``,
                ``retry_hint``, ``now``, ``rng``).
        """
        limiter = _limiter(settings, monotonic, sleep, system)
        return cls(
            system=system,
            base_url=settings.base_url,
            auth=auth,
            retry=settings.retry_policy(),
            timeout=settings.timeout,
            limiter=limiter,
            sleep=sleep,
            **options,
        )

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
        prepare: Prepare | None = None,
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
            prepare: Awaited before each attempt; may raise, or return a body.

        Raises:
            TransientError: Retries exhausted, or an unsafe request's outcome is
                unknown.
            RateLimitedError: Still throttled; ``retry_after`` holds the hint.
            AuthenticationError: 401/403 (after one credential refresh).
            RejectedRecordError: 400/404/405/409/422 and other 4xx.
            FatalError: Anything retrying cannot fix.
        """
        call = Call(method, path, params, body, form, headers, idempotent, prepare)
        response = await self._execute(call)
        assert response is not None  # only allow_not_found=True yields None
        return response

    async def login(
        self,
        method: str,
        path: str,
        *,
        hint: str,
        params: Mapping[str, Any] | None = None,
        form: Mapping[str, str] | None = None,
        idempotent: bool = True,
    ) -> Any:
        """Send a login request, without credentials; its decoded JSON body.

        Retried like a safe request unless ``idempotent`` is false (a grant
        spending a rotating refresh token: resent only if surely unsent). A
        refused one (any status the policy would reject or call not found) is
        an ``AuthenticationError`` here and nowhere else: a login has no record
        to dead-letter.

        Args:
            method, path, params, form: The request (``path`` relative to
                ``base_url``, or absolute; ``form`` a form-encoded body).
            hint: What to check when it is refused (the settings to fix).

        Raises:
            AuthenticationError: The login was refused.
            TransientError: Retries exhausted.
        """
        call = Call(method, path, params, None, form, None, idempotent)
        response = await self._execute(call, login=hint)
        assert response is not None  # only allow_not_found=True yields None
        return self.decode_json(response)

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

    async def _execute(
        self, call: Call, *, login: str | None = None, allow_not_found: bool = False
    ) -> httpx.Response | None:
        attempt, waited, refreshed, slept_until = 0, 0.0, False, 0.0
        authenticate = login is None
        while True:
            attempt += 1
            if call.prepare is not None:
                call = call.with_body(await call.prepare())
            request = await self._build(call, authenticate, slept_until)
            where = self.where(request)
            try:
                response = await self.send(request, where)
            except httpx.TransportError as exc:
                waited += await self._waits.after_failure(
                    exc, where, call.safe, attempt, waited
                )
                continue
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
            if login is not None and action in _REFUSALS:
                msg = f"{where} -> {status}: login refused; {login}"
                raise AuthenticationError(msg)
            if action not in (Action.RETRY, Action.RATE_LIMITED):
                raise error_for(action, where, status, self.system)
            hint = self._waits.retry_after(response)
            retryable = call.safe or status in self.status_policy.unprocessed
            delay = self._waits.backoff(attempt) if hint is None else hint
            if action is Action.RATE_LIMITED and self.limiter is not None:
                # Throttled anyway: every request of the credential waits.
                slept_until = self.limiter.throttled(min(delay, self.retry.max_wait))
            if retryable and await self._waits.pause(
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

    async def _build(self, call: Call, signed: bool, paused: float) -> httpx.Request:
        request = self.build_request(call)
        if signed and self.auth is not None:
            await self.auth.apply(request, self)
        if self.limiter is not None:
            await self.limiter.acquire(waited=paused)
        return request


def _limiter(
    settings: ConnectorSettings,
    monotonic: Callable[[], float],
    sleep: Callable[[float], Awaitable[None]],
    system: str = "",
) -> SlidingWindowLimiter | None:
    """The limiter of the settings' credential, shared by every client using it."""
    limit = settings.rate_limit_per_minute
    if not limit:
        return None
    secrets = (
        value.get_secret_value()
        for value in settings.__dict__.values()
        if isinstance(value, SecretStr)
    )
    credential = credential_key(settings.base_url, secrets)
    limiter = shared_limiter(credential, limit, clock=monotonic, sleep=sleep)
    limiter.system = limiter.system or system  # names its waits in the metrics
    return limiter


@dataclass(frozen=True)
class _Waits:
    """How long to wait before another attempt, and whether one is allowed."""

    policy: RetryPolicy
    sleep: Callable[[float], Awaitable[None]]
    now: Callable[[], datetime]
    rng: Callable[[], float]
    hint: RetryHint | None

    def backoff(self, attempt: int) -> float:
        """The capped, jittered backoff after failed attempt ``attempt``."""
        return self.policy.backoff(attempt, self.rng)

    def retry_after(self, response: httpx.Response) -> float | None:
        """The server's delay: ``Retry-After``, else the body's hint."""
        hint = parse_retry_after(response.headers.get("Retry-After"), self.now())
        if hint is None and self.hint is not None:
            hint = self.hint(response)
        return hint

    async def after_failure(
        self,
        exc: httpx.TransportError,
        where: str,
        safe: bool,
        attempt: int,
        waited: float,
    ) -> float:
        """Wait out a failed send and return the delay, or raise if it may not be
        retried: an unsafe request that may have reached the server, or retries
        exhausted."""
        failure = f"{where} failed ({type(exc).__name__})"
        if not (safe or isinstance(exc, _NOT_SENT)):
            msg = f"{failure} after the request was sent: {_UNKNOWN}"
            raise TransientError(msg) from exc
        delay = self.backoff(attempt)
        if await self.pause(failure, attempt, waited, delay):
            return delay
        msg = f"{failure} after {attempt} attempt(s)"
        raise TransientError(msg) from exc

    async def pause(self, what: str, attempt: int, waited: float, delay: float) -> bool:
        """Sleep before the next attempt, if attempts and total wait allow it."""
        limit = self.policy
        if attempt >= limit.max_attempts or waited + delay > limit.max_wait:
            return False
        next_try = attempt + 1
        logger.warning(
            "%s; retry %d/%d in %.2fs", what, next_try, limit.max_attempts, delay
        )
        await self.sleep(delay)
        return True


_REFUSALS = frozenset({Action.FATAL_AUTH, Action.REJECT_RECORD, Action.NOT_FOUND})
"""What a refused login is answered with: all an authentication failure."""

_UNKNOWN = "outcome unknown, not retried because the request is unsafe"
