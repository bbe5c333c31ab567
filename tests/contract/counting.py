"""A real HTTP transport that records every request it sends (method, path)."""

from __future__ import annotations

import httpx


class CountingTransport(httpx.AsyncBaseTransport):
    """Wraps ``httpx.AsyncHTTPTransport``; ``sent`` lists ``(method, path)``."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def writes(self) -> list[tuple[str, str]]:
        """The non-GET requests sent."""
        return [(m, p) for m, p in self.sent if m != "GET"]
