"""``Pool``: the one ``httpx.AsyncClient`` of a system, opened and closed explicitly."""

from __future__ import annotations

from collections.abc import Mapping
from types import TracebackType
from typing import Self

import httpx

from connectors.base._call import Call
from connectors.errors import ConfigurationError, FatalError


class Resource:
    """Something opened before use and closed after; ``async with`` does both."""

    async def open(self) -> None:
        """Acquire what the resource needs; calling it twice is harmless."""
        raise NotImplementedError

    async def aclose(self) -> None:
        """Release it; the resource may be opened again."""
        raise NotImplementedError

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


class Pool(Resource):
    """Owns the connection pool: explicit timeouts and limits, never per request.

    Args:
        system: System id for messages.
        base_url: Root URL; request paths are relative to it.
        timeout: Seconds for each of read/write/pool (connect: at most 10).
        headers: Extra default headers.
        transport: An httpx transport, e.g. ``httpx.MockTransport`` in tests.
    """

    def __init__(
        self,
        *,
        system: str,
        base_url: str,
        timeout: float,
        headers: Mapping[str, str] | None,
        transport: httpx.AsyncBaseTransport | None,
    ) -> None:
        self.system = system
        self.base_url = base_url
        self._timeout = httpx.Timeout(timeout, connect=min(timeout, 10.0))
        self._limits = httpx.Limits(max_connections=20, max_keepalive_connections=10)
        self._headers = {"Accept": "application/json", "User-Agent": "tether"}
        self._headers.update(headers or {})
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(system={self.system!r}, base_url={self.base_url!r})"
        )

    def where(self, request: httpx.Request) -> str:
        """``system METHOD /path`` for messages: never the query, body or headers."""
        return f"{self.system} {request.method} {request.url.path}"

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

    def build_request(self, call: Call) -> httpx.Request:
        """The request for one attempt of ``call``, without credentials.

        Raises:
            FatalError: The pool is not open.
        """
        if self._client is None:
            msg = f"{self.system} client used before open()"
            raise FatalError(msg)
        return self._client.build_request(
            call.method.upper(),
            call.path,
            params=call.params,
            content=call.content,
            data=call.form,
            headers=call.all_headers,
        )

    async def send(self, request: httpx.Request, where: str) -> httpx.Response:
        """Send one attempt; transport errors are left to the retry loop.

        Raises:
            ConfigurationError: ``base_url`` is not HTTP(S).
            FatalError: Anything retrying cannot fix (decoding, redirect loops).
        """
        assert self._client is not None  # build_request checked it
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
