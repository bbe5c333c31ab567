"""One logical HTTP request, rebuilt by ``HttpClient`` for every attempt."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

import orjson

Prepare = Callable[[], Awaitable[Any]]
"""Runs right before each attempt of a write; returns its JSON body (``None``: keep)."""

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
"""Methods that are idempotent by HTTP semantics, so retrying them is harmless."""


@dataclass(frozen=True)
class Call:
    """One logical request, rebuilt for every attempt."""

    method: str
    path: str
    params: Mapping[str, Any] | None
    body: Any
    form: Mapping[str, str] | None
    headers: Mapping[str, str] | None
    idempotent: bool | None
    prepare: Prepare | None = None

    def with_body(self, body: Any) -> Call:
        """This call with ``body`` instead (``None``: unchanged), for a ``prepare``."""
        return self if body is None else replace(self, body=body)

    @property
    def safe(self) -> bool:
        if self.idempotent is None:
            return self.method.upper() in SAFE_METHODS
        return self.idempotent

    @cached_property
    def content(self) -> bytes | None:
        return None if self.body is None else orjson.dumps(self.body)

    @property
    def all_headers(self) -> dict[str, str]:
        headers = dict(self.headers or {})
        if self.body is not None:
            headers["Content-Type"] = "application/json"
        return headers
