"""Fault knobs of a stand-in: latency, errors, hangs, rate limits and lost responses.

The knobs sit in front of the API as ASGI middleware, like a gateway would: a
request may be delayed, refused with an error, throttled with 429, left hanging,
(for writes) applied and then answered with an empty 502 as if the response was
lost on the way back, or answered 200 with a broken body (``corrupt_next``, kinds
in ``standins._corrupt``). ``/_admin`` is never affected.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standins._corrupt import CORRUPTIONS, serve_corrupted

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class FaultConfig(BaseModel):
    """Runtime-settable fault knobs; all off except the system's rate limit."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    latency_ms: float = Field(default=0.0, ge=0)
    jitter_ms: float = Field(default=0.0, ge=0)
    error_rate: float = Field(default=0.0, ge=0, le=1)
    error_status: int = Field(default=503, ge=400, le=599)
    timeout_rate: float = Field(default=0.0, ge=0, le=1)
    # Longer than any sane client timeout; a stopping server cuts it short.
    hang_seconds: float = Field(default=30.0, ge=0)
    rate_limit: int | None = Field(default=None, ge=1)
    rate_window_s: float = Field(default=60.0, gt=0)
    lost_response_rate: float = Field(default=0.0, ge=0, le=1)
    seed: int = 0


class FaultHandle(ABC):
    """The one-shot fault knobs of a stand-in's handle, in-process or over HTTP."""

    @abstractmethod
    def _fault(self, knob: str, **args: Any) -> None:
        """Apply one knob (``fail_next``, ``lose_next``, ``corrupt_next``)."""

    def fail_next(
        self,
        n: int = 1,
        status: int = 503,
        *,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        """Answer the next ``n`` matching API requests with ``status``."""
        self._fault("fail_next", n=n, status=status, method=method, path=path)

    def lose_next(self, n: int = 1) -> None:
        """Apply the next ``n`` successful writes but answer them with an empty 502."""
        self._fault("lose_next", n=n)

    def corrupt_next(
        self, n: int, kind: str, *, path: str | None = None, method: str = "GET"
    ) -> None:
        """Answer the next ``n`` matching successful requests with a broken body.

        Kinds: ``html200``, ``xml``, ``empty``, ``truncated``, ``wrong_shape``,
        ``null_items``, ``missing_paging``, ``invalid_utf8`` (see
        ``standins._corrupt``); ``path`` prefixes the path plus decoded query.
        """
        self._fault("corrupt_next", n=n, kind=kind, path=path, method=method)


@dataclass
class _FailRule:
    remaining: int
    status: int
    method: str | None
    path: str | None

    def matches(self, method: str, path: str) -> bool:
        return (self.method is None or self.method == method) and (
            self.path is None or path.startswith(self.path)
        )


@dataclass
class _CorruptRule:
    remaining: int
    kind: str
    method: str
    target: str | None

    def matches(self, method: str, target: str) -> bool:
        return self.method == method and (
            self.target is None or target.startswith(self.target)
        )


@dataclass(frozen=True)
class Plan:
    """What the injector decided for one request before it reaches the API."""

    delay_s: float = 0.0
    status: int | None = None
    retry_after: int | None = None
    hang_s: float | None = None


class FaultInjector:
    """Holds the knobs, the seeded RNG, one-shot failures and rate-limit windows."""

    def __init__(self, defaults: FaultConfig) -> None:
        self._defaults = defaults.model_copy()
        self._lock = threading.Lock()
        self.config = defaults.model_copy()
        self._rng = random.Random(self.config.seed)
        self._rules: deque[_FailRule] = deque()
        self._lose_next = 0
        self._corrupt: deque[_CorruptRule] = deque()
        self._windows: dict[str, deque[float]] = {}
        # Broken bodies served, per kind, so tests can prove they happened.
        self.corrupted: Counter[str] = Counter()
        # Statuses the injector answered with, so tests can prove a fault happened.
        self.injected: Counter[int] = Counter()

    def configure(self, **changes: Any) -> FaultConfig:
        """Change some knobs; unknown names or bad values raise ValueError."""
        with self._lock:
            merged = self.config.model_dump() | changes
            self.config = FaultConfig.model_validate(merged)
            if "seed" in changes:
                self._rng = random.Random(self.config.seed)
            if {"rate_limit", "rate_window_s"} & changes.keys():
                self._windows.clear()
            return self.config.model_copy()

    def fail_next(
        self, n: int, status: int, method: str | None, path: str | None
    ) -> None:
        """Answer the next ``n`` matching requests with ``status`` (deterministic)."""
        with self._lock:
            upper = method.upper() if method else None
            self._rules.append(_FailRule(n, status, upper, path))

    def lose_next(self, n: int) -> None:
        """Apply the next ``n`` successful writes, but answer each with an empty 502."""
        with self._lock:
            self._lose_next += n

    def corrupt_next(self, n: int, kind: str, path: str | None, method: str) -> None:
        """Answer the next ``n`` matching successful requests with a broken body.

        ``path`` is a prefix of the request's path plus its decoded query
        (``/Queries?script=SELECT * FROM Person``), so one entity of a shared
        feed can be hit. ``invalid_utf8`` only counts answers holding
        ``INVALID_UTF8_MARK``.
        """
        if kind not in CORRUPTIONS:
            msg = f"unknown corruption {kind!r}; known: {', '.join(CORRUPTIONS)}"
            raise ValueError(msg)
        if n < 1:
            msg = "n must be at least 1"
            raise ValueError(msg)
        with self._lock:
            self._corrupt.append(_CorruptRule(n, kind, method.upper(), path))

    def corruption_pending(self, method: str, target: str) -> bool:
        """Whether a ``corrupt_next`` rule may apply to this request."""
        with self._lock:
            return any(rule.matches(method, target) for rule in self._corrupt)

    def corrupt(
        self, method: str, target: str, content_type: str, body: bytes
    ) -> tuple[str, bytes] | None:
        """The broken (content type, body) to send instead, or ``None``.

        Every matching rule applies, in the order they were given (a marked
        record's bad bytes and then an HTML page: the page is what is sent).
        """
        with self._lock:
            broken: tuple[str, bytes] | None = None
            for rule in list(self._corrupt):
                if not rule.matches(method, target):
                    continue
                result = CORRUPTIONS[rule.kind](*(broken or (content_type, body)))
                if result is None:
                    continue
                broken = result
                rule.remaining -= 1
                if rule.remaining <= 0:
                    self._corrupt.remove(rule)
                self.corrupted[rule.kind] += 1
            return broken

    def clear_pending(self) -> None:
        """Drop every queued one-off fault (``fail_next``, ``lose_next``,
        ``corrupt_next``), keeping the knobs: a revoked key given back."""
        with self._lock:
            self._rules.clear()
            self._lose_next = 0
            self._corrupt.clear()

    def reset(self) -> None:
        """Back to the system's defaults: no queued failures, empty windows."""
        with self._lock:
            self.config = self._defaults.model_copy()
            self._rng = random.Random(self.config.seed)
            self._rules.clear()
            self._lose_next = 0
            self._corrupt.clear()
            self.corrupted.clear()
            self._windows.clear()

    def plan(self, method: str, path: str, rate_key: str | None) -> Plan:
        """Decide the fate of one request (consumes RNG draws and window slots)."""
        with self._lock:
            cfg = self.config
            delay = cfg.latency_ms / 1000.0
            if cfg.jitter_ms:
                delay += self._rng.uniform(0, cfg.jitter_ms) / 1000.0
            for rule in self._rules:
                if rule.matches(method, path):
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                    self.injected[rule.status] += 1
                    return Plan(delay, status=rule.status)
            if cfg.rate_limit is not None and rate_key is not None:
                retry_after = self._take_slot(
                    rate_key, cfg.rate_limit, cfg.rate_window_s
                )
                if retry_after is not None:
                    self.injected[429] += 1
                    return Plan(delay, status=429, retry_after=retry_after)
            if cfg.error_rate and self._rng.random() < cfg.error_rate:
                self.injected[cfg.error_status] += 1
                return Plan(delay, status=cfg.error_status)
            if cfg.timeout_rate and self._rng.random() < cfg.timeout_rate:
                return Plan(delay, hang_s=cfg.hang_seconds)
            return Plan(delay)

    def should_lose(self) -> bool:
        """Whether this successful write's response is lost (after it was applied)."""
        with self._lock:
            if self._lose_next > 0:
                self._lose_next -= 1
                return True
            rate = self.config.lost_response_rate
            return bool(rate) and self._rng.random() < rate

    def _take_slot(self, key: str, limit: int, window: float) -> int | None:
        now = time.monotonic()
        stamps = self._windows.setdefault(key, deque())
        while stamps and stamps[0] <= now - window:
            stamps.popleft()
        if len(stamps) >= limit:
            # Seconds until the oldest request leaves the sliding window.
            return max(1, math.ceil(stamps[0] + window - now))
        stamps.append(now)
        return None


class FaultPolicy(Protocol):
    """The system-specific parts: who is rate-limited, and what errors look like."""

    def rate_key(self, request: Request) -> str | None: ...

    def fault_response(self, status: int) -> Response: ...

    def throttled_response(self, retry_after: int) -> Response: ...


class FaultMiddleware:
    """ASGI middleware applying a :class:`FaultInjector` to every non-admin request."""

    def __init__(
        self,
        app: ASGIApp,
        injector: FaultInjector,
        policy: FaultPolicy,
        closing: threading.Event,
    ) -> None:
        self.app = app
        self.injector = injector
        self.policy = policy
        self.closing = closing

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        method: str = scope["method"]
        plan = self.injector.plan(method, scope["path"], self.policy.rate_key(request))
        if plan.delay_s:
            await asyncio.sleep(plan.delay_s)
        if plan.hang_s is not None:
            await self._hang(plan.hang_s)
            await Response(status_code=504)(scope, receive, send)
            return
        if plan.retry_after is not None:
            response = self.policy.throttled_response(plan.retry_after)
            await response(scope, receive, send)
            return
        if plan.status is not None:
            await self.policy.fault_response(plan.status)(scope, receive, send)
            return
        query = unquote_plus(scope.get("query_string", b"").decode("latin-1"))
        target = f"{scope['path']}?{query}" if query else scope["path"]
        # Checked before the lost-response knob: a write asked for by
        # ``corrupt_next(method="PUT")`` is applied, then answered broken.
        if self.injector.corruption_pending(method, target):

            def corrupt(content_type: str, body: bytes) -> tuple[str, bytes] | None:
                return self.injector.corrupt(method, target, content_type, body)

            await serve_corrupted(self.app, scope, receive, send, corrupt)
            return
        if method in WRITE_METHODS:
            await self.app(scope, receive, _LosingSend(send, self.injector.should_lose))
            return
        await self.app(scope, receive, send)

    async def _hang(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        # ``closing`` is a threading.Event set by ``stop()`` from another thread, so
        # it cannot be awaited; polling it keeps hung requests from delaying stop.
        while time.monotonic() < deadline and not self.closing.is_set():  # noqa: ASYNC110
            await asyncio.sleep(0.05)


class _LosingSend:
    """Wraps ``send``: a 2xx write response may be swapped for an empty 502."""

    def __init__(self, send: Send, should_lose: Callable[[], bool]) -> None:
        self._send = send
        self._should_lose = should_lose
        self._losing = False

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            if 200 <= message["status"] < 300 and self._should_lose():
                self._losing = True
                await self._send(
                    {
                        "type": "http.response.start",
                        "status": 502,
                        "headers": [(b"content-length", b"0")],
                    }
                )
                return
        elif message["type"] == "http.response.body" and self._losing:
            if not message.get("more_body", False):
                await self._send({"type": "http.response.body", "body": b""})
            return
        await self._send(message)
