"""Stand-ins that watch every API call: fault statuses, and what each write did.

The observer sits outside the fault middleware, so it sees what the client saw
(an injected 500, a 429, a 504 after a hang, a lost response's empty 502) and it
snapshots the record around every write, with the request's body. What the
writes mean (echoes, retries of lost writes, deletes) is judged in ``writes``.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, ClassVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from standins import CustomcrmStandIn, WebcrmStandIn
from standins.base import StandIn

WRITES = frozenset({"PUT", "POST", "PATCH", "DELETE"})
# Statuses only the fault knobs produce, by the kind of fault they stand for.
FAULT_KINDS = {500: "5xx", 503: "5xx", 429: "429", 504: "timeout", 502: "lost-response"}


@dataclass(frozen=True)
class WriteCall:
    """One write request as the client saw it, and what it did to the record.

    ``changed``: for an update or delete whether the record changed; for a
    create whether it made a new record (False: an idempotent replay); None
    when unknown. ``request`` is the body sent, server-stamped fields left
    out, so a retry of a write compares equal to it.
    """

    method: str
    resource: str
    key: Any
    status: int
    changed: bool | None
    at: float
    request: Any = None


@dataclass
class CallLog:
    """Every write and every fault status one stand-in answered."""

    system: str = ""
    writes: list[WriteCall] = field(default_factory=list)
    faults: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    # (time, method, path, status) of every request, for a failed run's report.
    trail: list[tuple[float, str, str, int]] = field(default_factory=list)

    def add_write(self, call: WriteCall) -> None:
        with self.lock:
            self.writes.append(call)

    def add_status(self, method: str, path: str, status: int) -> None:
        with self.lock:
            self.trail.append((time.time(), method, path, status))
            self.requests += 1
            kind = FAULT_KINDS.get(status)
            if kind is not None:
                self.faults[kind] += 1

    def dump(self, path: Path) -> None:
        """Write the request trail, one line per request."""
        with self.lock:
            lines = [
                f"{datetime.fromtimestamp(at):%H:%M:%S.%f} {method} {where} {status}"
                for at, method, where, status in self.trail
            ]
        path.write_text("\n".join(lines) + "\n", "utf-8")

    def calls(self) -> list[WriteCall]:
        """Every write so far, in the order their answers went out."""
        with self.lock:
            return sorted(self.writes, key=lambda c: c.at)

    def applied(self, method: str, since: float = 0.0) -> list[WriteCall]:
        """Writes of ``method`` the server applied (2xx, or a lost 502)."""
        return [
            c
            for c in self.calls()
            if c.method == method and c.at >= since and applied(c.status)
        ]


def applied(status: int) -> bool:
    """Whether the server applied a write answered with ``status`` (a 502 is a
    lost answer to an applied write; the other fault statuses stop it before)."""
    return 200 <= status < 300 or status == 502


def _json(raw: bytes) -> Any:
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return raw.decode("utf-8", "replace")


class WriteObserver:
    """ASGI middleware recording statuses, bodies and snapshots of writes."""

    def __init__(self, app: ASGIApp, standin: ObservedMixin, log: CallLog) -> None:
        self.app = app
        self.standin = standin
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        watch = _Watch(self.standin, self.log, scope)

        async def reading() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                watch.sent.extend(message.get("body", b""))
            return message

        async def watching(message: Message) -> None:
            # Recorded before the client can have the whole answer, so once it
            # has, the call is in the log: at the start (an empty 502 is whole
            # with its headers), or for a create's answer, which names the
            # record it made, before the body's end.
            if message["type"] == "http.response.start":
                watch.status = message["status"]
                if not watch.names_a_record():
                    watch.record()
            elif message["type"] == "http.response.body":
                watch.answer.extend(message.get("body", b""))
                if not message.get("more_body", False):
                    watch.record()
            await send(message)

        try:
            await self.app(scope, reading, watching)
        finally:
            watch.record()  # no answer went out (a hang cut short, an error)


class _Watch:
    """One request: what the record was before, and its entry in the log."""

    def __init__(self, standin: ObservedMixin, log: CallLog, scope: Scope) -> None:
        self.standin = standin
        self.log = log
        self.scope = scope
        self.method: str = scope["method"]
        self.path: str = scope["path"]
        where = standin.locate(self.path) if self.method in WRITES else None
        self.write = where is not None
        self.resource: str = where[0] if where is not None else ""
        self.key: Any = where[1] if where is not None else None
        self.before = (
            standin.snapshot(self.resource, self.key) if self.key is not None else None
        )
        posting = self.write and self.method == "POST"
        self.keys_before: set[Any] = standin.keys(self.resource) if posting else set()
        self.sent, self.answer = bytearray(), bytearray()
        self.status = 0
        self.recorded = False

    def names_a_record(self) -> bool:
        """Whether the answer's body says which record a create made."""
        return self.write and self.method == "POST" and 200 <= self.status < 300

    def record(self) -> None:
        """Log the status and (for a write) what it did, once."""
        if self.recorded:
            return
        self.recorded = True
        self.log.add_status(self.method, self.path, self.status)
        if not self.write:
            return
        key: Any = self.key
        changed: bool | None = None
        if key is not None:
            changed = self.before != self.standin.snapshot(self.resource, key)
        elif self.method == "POST":
            made = _json(bytes(self.answer))
            key = self.standin.created_key(self.resource, self.scope, made)
            changed = None if key is None else key not in self.keys_before
        request = self.standin.strip(_json(bytes(self.sent)))
        call = WriteCall(
            self.method, self.resource, key, self.status, changed, time.time(), request
        )
        self.log.add_write(call)


class ObservedMixin(StandIn):
    """What an observed stand-in adds: a ``calls`` log and record snapshots."""

    volatile: ClassVar[tuple[str, ...]] = ()
    calls: CallLog

    def _build_app(self) -> Any:
        self.calls = CallLog(self.system)
        return WriteObserver(super()._build_app(), self, self.calls)

    def locate(self, path: str) -> tuple[str, Any] | None:
        """(resource, key or None) of an API path, None for other paths."""
        parts = path.strip("/").split("/")
        if not parts or parts[0] not in self.resources or len(parts) > 2:
            return None
        key = self.parse_id(parts[0], parts[1]) if len(parts) == 2 else None
        return parts[0], key

    def snapshot(self, resource: str, key: Any) -> dict[str, Any] | None:
        """The record without its server-stamped fields, or None."""
        record = self.store.get(resource, key)
        if not isinstance(record, dict):
            return None
        return {k: v for k, v in record.items() if not k.endswith(self.volatile)}

    def strip(self, body: Any) -> Any:
        """``body`` without server-stamped fields (when it is an object)."""
        if not isinstance(body, dict):
            return body
        return {k: v for k, v in body.items() if not k.endswith(self.volatile)}

    def keys(self, resource: str) -> set[Any]:
        """The ids ``resource`` holds now."""
        return {key for key, _ in self.store.entries(resource)}

    def created_key(self, resource: str, scope: Scope, answer: Any) -> Any:
        """The id a create made or replayed, from its answer; None if unknown."""
        if isinstance(answer, dict):
            return self.id_of(resource, answer)
        if isinstance(answer, int) and not isinstance(answer, bool):
            return answer
        return None


class ObservedWebcrm(ObservedMixin, WebcrmStandIn):
    """Webcrm stand-in with a call log."""

    volatile = ("UpdatedAt", "UpdatedBy")


class ObservedCustomcrm(ObservedMixin, CustomcrmStandIn):
    """Customcrm stand-in with a call log."""

    volatile = ("UpdatedAt",)

    def created_key(self, resource: str, scope: Scope, answer: Any) -> Any:
        """From the answer, or when it was lost from the ``Idempotency-Key``."""
        found = super().created_key(resource, scope, answer)
        if found is not None:
            return found
        headers = dict(scope["headers"])
        idem = headers.get(b"idempotency-key")
        return self.idempotency.get((resource, idem.decode())) if idem else None
