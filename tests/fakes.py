"""Test fakes: ``FakeApi``, a strict router over ``httpx.MockTransport``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

Reply = (
    httpx.Response
    | Callable[[httpx.Request], httpx.Response]
    | type[httpx.RequestError]
)
"""A canned response, a function of the request, or an httpx error class to raise."""


def json_response(
    body: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """A JSON response with the right content type."""
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return httpx.Response(status, content=orjson.dumps(body), headers=all_headers)


@dataclass
class Route:
    """One registered endpoint: method, path, optional query subset, replies."""

    method: str
    path: str
    params: Mapping[str, str] | None
    replies: list[Reply]
    requests: list[httpx.Request] = field(default_factory=list)

    def matches(self, request: httpx.Request) -> bool:
        if request.method != self.method or request.url.path != self.path:
            return False
        wanted = self.params or {}
        return all(request.url.params.get(k) == v for k, v in wanted.items())

    def respond(self, request: httpx.Request) -> httpx.Response:
        # Replies are used in order; the last one answers every later call.
        index = min(len(self.requests), len(self.replies) - 1)
        self.requests.append(request)
        reply = self.replies[index]
        if isinstance(reply, type):
            raise reply("simulated by FakeApi", request=request)
        if isinstance(reply, httpx.Response):
            return httpx.Response(
                reply.status_code, content=reply.content, headers=reply.headers
            )
        return reply(request)

    @property
    def calls(self) -> int:
        return len(self.requests)


class FakeApi:
    """A strict HTTP router for connector tests.

    An unregistered request fails the test; ``verify()`` (run by the fixture at
    teardown) fails it when a registered route was never called.
    """

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.requests: list[httpx.Request] = []
        self.transport = httpx.MockTransport(self._handle)

    def add(
        self,
        method: str,
        path: str,
        *replies: Reply,
        params: Mapping[str, str] | None = None,
    ) -> Route:
        """Register ``method path`` (first match wins) with its replies."""
        if not replies:
            raise ValueError("a route needs at least one reply")
        route = Route(method.upper(), path, params, list(replies))
        self.routes.append(route)
        return route

    def _handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        for route in self.routes:
            if route.matches(request):
                return route.respond(request)
        raise AssertionError(f"FakeApi: unexpected {request.method} {request.url}")

    def verify(self) -> None:
        """Fail when a registered route was never called."""
        unused = [f"{r.method} {r.path}" for r in self.routes if r.calls == 0]
        if unused:
            raise AssertionError(f"FakeApi routes never called: {', '.join(unused)}")
