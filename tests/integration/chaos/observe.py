"""Stand-ins that watch every API call: fault statuses, and writes that changed nothing.

The observer sits outside the fault middleware, so it sees what the client saw
(an injected 500, a 429, a 504 after a hang, a lost response's empty 502) and it
snapshots the record around every write. A write that changed no field is either
the retry of an attempt whose answer went missing, or an echo (a write loop's
first step): telling the two apart is what the "echo writes" figure counts.
"""

from __future__ import annotations

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
    """One write request as the client saw it."""

    method: str
    resource: str
    key: Any
    status: int
    changed: bool | None  # None: a create (nothing to compare)
    at: float


@dataclass
class CallLog:
    """Every write and every fault status one stand-in answered."""

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

    def no_op_writes(self, since: float = 0.0) -> tuple[int, list[WriteCall]]:
        """(retries, echoes): applied writes that changed nothing.

        A retry follows a failed attempt on the same record whose write was
        applied but whose answer was lost (a 502 from the knobs); any other
        applied write that changed nothing is an echo.
        """
        with self.lock:
            calls = [c for c in self.writes if c.method in ("PUT", "PATCH")]
        failed: dict[tuple[str, Any], list[int]] = {}
        retries, echoes = 0, []
        for call in sorted(calls, key=lambda c: c.at):
            where = (call.resource, call.key)
            chain = failed.setdefault(where, [])
            if not applied(call.status):
                chain.append(call.status)
                continue
            lost_before = 502 in chain
            chain.clear()
            if call.status == 502:
                chain.append(502)
            if call.at < since or call.changed is not False:
                continue
            if lost_before:
                retries += 1
            else:
                echoes.append(call)
        return retries, echoes

    def applied(self, method: str, since: float = 0.0) -> list[WriteCall]:
        """Writes of ``method`` the server applied (2xx, or a lost 502)."""
        with self.lock:
            return [
                c
                for c in self.writes
                if c.method == method and c.at >= since and applied(c.status)
            ]


def applied(status: int) -> bool:
    """Whether the server applied a write answered with ``status`` (a 502 is a
    lost answer to an applied write; the other fault statuses stop it before)."""
    return 200 <= status < 300 or status == 502


class WriteObserver:
    """ASGI middleware recording statuses and before/after snapshots of writes."""

    def __init__(self, app: ASGIApp, standin: ObservedMixin, log: CallLog) -> None:
        self.app = app
        self.standin = standin
        self.log = log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        where = self.standin.locate(scope["path"]) if method in WRITES else None
        before = self.standin.snapshot(*where) if where and where[1] else None
        status = {"code": 0}

        async def watching(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching)
        finally:
            self.log.add_status(method, scope["path"], status["code"])
            if where is not None:
                changed = None
                if where[1] is not None:
                    changed = before != self.standin.snapshot(*where)
                self.log.add_write(
                    WriteCall(
                        method, where[0], where[1], status["code"], changed, time.time()
                    )
                )


class ObservedMixin(StandIn):
    """What an observed stand-in adds: a ``calls`` log and record snapshots."""

    volatile: ClassVar[tuple[str, ...]] = ()
    calls: CallLog

    def _build_app(self) -> Any:
        self.calls = CallLog()
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
        if record is None:
            return None
        return {k: v for k, v in record.items() if not k.endswith(self.volatile)}


class ObservedWebcrm(ObservedMixin, WebcrmStandIn):
    """Webcrm stand-in with a call log."""

    volatile = ("UpdatedAt", "UpdatedBy")


class ObservedCustomcrm(ObservedMixin, CustomcrmStandIn):
    """Customcrm stand-in with a call log."""

    volatile = ("UpdatedAt",)
