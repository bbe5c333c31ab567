"""The base of every stand-in: a real HTTP server in a thread, plus a test handle."""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, ClassVar, Self

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from standins._http import ApiError, JsonResponse
from standins._tokens import AccessTokens
from standins.admin import admin_routes
from standins.faults import FaultConfig, FaultHandle, FaultInjector, FaultMiddleware
from standins.server import ThreadedServer
from standins.store import Record, Store, WriteRecord, order_key, parse_iso
from standins.webhooks import Webhooks, WebhookSender

logger = logging.getLogger(__name__)


class StandIn(FaultHandle, Webhooks, ABC):
    """A local imitation of one system's API, served on 127.0.0.1.

    ``start()`` binds the port (0 picks a free one) and serves from a background
    thread; ``url`` is then e.g. ``http://127.0.0.1:54321``. The handle methods
    (``seed``, ``records``, ``edit``, ``inject_raw``, ``write_count``, fault knobs)
    act directly on the in-memory store and are also reachable over HTTP under
    ``/_admin`` for a separate process.
    """

    system: ClassVar[str]
    resources: ClassVar[tuple[str, ...]]
    default_faults: ClassVar[FaultConfig] = FaultConfig()
    # Naive timestamps given by clients are read in this zone.
    naive_tz: ClassVar[tzinfo] = UTC
    # Resolution of server-assigned timestamps, as the system renders them.
    clock_precision: ClassVar[timedelta] = timedelta(microseconds=1)
    # The access tokens of a system that issues them (``/_admin/expire_tokens``).
    tokens: AccessTokens | None = None

    def __init__(self, *, port: int = 0, faults: FaultConfig | None = None) -> None:
        self.store = Store(self.all_resources(), precision=self.clock_precision)
        self.webhooks = WebhookSender(self.system)
        self.store.listener = self._changed
        self.injector = FaultInjector(faults or self.default_faults)
        self.closing = threading.Event()
        self.app = self._build_app()
        self._server = ThreadedServer(
            self.app, port=port, name=f"standin-{self.system}"
        )

    # -- what a system defines ----------------------------------------------------

    @classmethod
    def all_resources(cls) -> tuple[str, ...]:
        """Every store table, including internal ones (webhooks)."""
        return cls.resources

    @abstractmethod
    def api_routes(self) -> list[BaseRoute]:
        """The imitated API's routes."""

    def extra_admin_routes(self) -> list[BaseRoute]:
        """System-specific ``/_admin`` routes (e.g. expiring tokens)."""
        return []

    @abstractmethod
    def id_of(self, resource: str, record: Any) -> Any:
        """The id a record carries, or None when it has none usable."""

    @abstractmethod
    def parse_id(self, resource: str, text: str) -> Any:
        """An id from its text form (admin paths, tests passing strings)."""

    @abstractmethod
    def time_field(self, resource: str) -> str:
        """The record field holding the modification time."""

    @abstractmethod
    def accept_seed(self, resource: str, record: Record) -> tuple[Any, Record]:
        """Validate a seeded record, assign what the server would; (id, record)."""

    @abstractmethod
    def apply_edit(self, resource: str, record: Record, changes: Record) -> Record:
        """A user's edit in the system's UI: merge and bump the modification time."""

    @abstractmethod
    def error_body(self, status: int, message: str) -> Any:
        """The system's JSON error body for ``status``."""

    def rate_key(self, request: Request) -> str | None:
        """Who a request counts against for rate limiting; None means not limited."""
        return request.headers.get("authorization")

    def fault_response(self, status: int) -> Response:
        """An injected error, shaped like the system's own errors."""
        if status == 429:
            # A 429 without Retry-After would be unlike any real system's.
            return self.throttled_response(1)
        return JsonResponse(
            self.error_body(status, "injected fault"), status_code=status
        )

    def throttled_response(self, retry_after: int) -> Response:
        """The system's 429."""
        body = self.error_body(429, "rate limited")
        headers = {"Retry-After": str(retry_after)}
        return JsonResponse(body, status_code=429, headers=headers)

    def reset_state(self) -> None:  # noqa: B027 - optional hook, most systems need none
        """Hook: forget system state beyond the store (tokens, idempotency keys)."""

    def credentials(self) -> dict[str, str]:
        """What a client needs to talk to this stand-in (printed by the CLI)."""
        return {}

    def connector_env(self) -> dict[str, str]:
        """The environment that points tether's connector for this system here."""
        return {}

    # -- lifecycle ----------------------------------------------------------------

    def _build_app(self) -> FaultMiddleware:
        async def on_api_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, ApiError)
            return exc.response()

        async def on_http_error(request: Request, exc: Exception) -> Response:
            assert isinstance(exc, HTTPException)
            body = self.error_body(exc.status_code, exc.detail)
            return JsonResponse(body, status_code=exc.status_code, headers=exc.headers)

        routes = admin_routes(self) + self.extra_admin_routes() + self.api_routes()
        app = Starlette(
            routes=routes,
            exception_handlers={ApiError: on_api_error, HTTPException: on_http_error},
        )
        return FaultMiddleware(app, self.injector, self, self.closing)

    @property
    def port(self) -> int:
        """The bound port (after ``start``)."""
        if self._server.port is None:
            msg = f"{self.system} stand-in is not started"
            raise RuntimeError(msg)
        return self._server.port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321``."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Self:
        """Bind 127.0.0.1 and serve from a daemon thread; returns self."""
        if not self._server.running:
            self.closing.clear()
            self._server.start()
            logger.info("%s stand-in serving on %s", self.system, self.url)
        return self

    def stop(self) -> None:
        """Stop serving; hanging requests are released first."""
        if self._server.running:
            self.closing.set()
            self._server.stop()
            self.webhooks.stop()
            logger.info("%s stand-in stopped", self.system)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- the programmatic handle ----------------------------------------------------

    def seed(self, resource: str, records: list[Record]) -> list[Record]:
        """Store records as if they already existed; returns them as stored."""
        stored: list[Record] = []
        with self.store.lock, self.store.muted():
            for record in records:
                key, accepted = self.accept_seed(resource, dict(record))
                self.store.put(resource, key, accepted)
                stored.append(self.get(resource, key))
        return stored

    def records(self, resource: str) -> list[Record]:
        """Every record of ``resource`` (soft-deleted and raw ones too), by id."""
        entries = self.store.entries(resource)
        entries.sort(key=lambda pair: order_key([pair[0]]))
        return [entry.record for _, entry in entries]

    def get(self, resource: str, id: Any) -> Record:
        """One record; KeyError if there is none."""
        key = self._key(resource, id)
        record = self.store.get(resource, key)
        if record is None:
            msg = f"{self.system} {resource} has no record {id!r}"
            raise KeyError(msg)
        return record

    def edit(self, resource: str, id: Any, changes: Record) -> Record:
        """A user's edit in the UI: not an API write, bumps the modification time."""
        key = self._key(resource, id)
        with self.store.lock:
            current = self.get(resource, key)
            self.store.put(resource, key, self.apply_edit(resource, current, changes))
            return self.get(resource, key)

    def inject_raw(self, resource: str, raw: Any) -> Any:
        """Store ``raw`` as-is (wrong types, no id...); returns its store key."""
        key = self.id_of(resource, raw)
        return self.store.put_raw(resource, key, raw)

    def writes(self, resource: str | None = None) -> list[WriteRecord]:
        """The API write log (creates and changes only)."""
        return self.store.writes(resource)

    def write_count(self, resource: str | None = None) -> int:
        """How many API writes created or changed data."""
        return len(self.store.writes(resource))

    def reset_counters(self) -> None:
        """Empty the write log."""
        self.store.reset_counters()

    def reset(self) -> None:
        """Forget everything: data, write log, faults, tokens (reuse one server)."""
        self.store.clear()
        self.injector.reset()
        if self.tokens is not None:
            self.tokens.reset()
        self.reset_state()

    def expire_tokens(self) -> None:
        """Expire every access token now: the next call answers 401."""
        if self.tokens is None:
            msg = f"{self.system} issues no tokens"
            raise TypeError(msg)
        self.tokens.expire_all()

    @property
    def faults(self) -> FaultConfig:
        """A copy of the current fault knobs."""
        return self.injector.config.model_copy()

    def set_faults(self, **changes: Any) -> FaultConfig:
        """Change fault knobs at runtime (``latency_ms=50, error_rate=0.1`` ...)."""
        return self.injector.configure(**changes)

    def _fault(self, knob: str, **args: Any) -> None:
        getattr(self.injector, knob)(**args)

    # -- helpers for handlers -------------------------------------------------------

    def _key(self, resource: str, id: Any) -> Any:
        return self.parse_id(resource, id) if isinstance(id, str) else id

    def seed_time(self, given: Any, render: Callable[[datetime], str]) -> str:
        """A seeded record's modification time: as given, else now; rendered."""
        when = parse_iso(given, self.naive_tz)
        return render(when if when is not None else self.store.tick())

    def feed_time(self, resource: str, record: Any, stamp: datetime) -> datetime:
        """A record's modification time for ordering; the store stamp if unreadable."""
        value = (
            record.get(self.time_field(resource)) if isinstance(record, dict) else None
        )
        return parse_iso(value, self.naive_tz) or stamp
