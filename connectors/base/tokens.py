"""``RenewingTokenAuth``: a token fetched through the client, renewed before expiry."""

from __future__ import annotations

import asyncio
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
from pydantic import SecretStr

if TYPE_CHECKING:
    from connectors.base.client import HttpClient


class RenewingTokenAuth(ABC):
    """An ``Auth`` whose token comes from a login call and lasts a while.

    The token is fetched on first use, renewed ``margin`` seconds before it
    expires (at most half its lifetime early), and once more whenever the API
    answers 401. One lock serialises the fetches, so concurrent requests share
    a single login.

    Subclasses implement ``fetch_token`` (the login call) and may override
    ``sign`` (where the token goes on a request; ``Authorization: Bearer``).
    The token is held as a ``SecretStr`` and unwrapped only in ``sign``, so
    that no ``repr``, traceback local or log line of the object shows it.

    Args:
        margin: Seconds before expiry to renew.
        monotonic: Monotonic seconds; injectable for tests.

    Attributes:
        logins: How many tokens were fetched (tests and logs).
    """

    def __init__(
        self, *, margin: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._margin = margin
        self._monotonic = monotonic
        self._token: SecretStr | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self.logins = 0

    @abstractmethod
    async def fetch_token(self, client: HttpClient) -> tuple[SecretStr, float]:
        """Log in through ``client``; the new token and its lifetime in seconds.

        Raises:
            AuthenticationError: The login was refused or answered no token.
        """

    def sign(self, request: httpx.Request, token: SecretStr) -> None:
        """Put ``token`` on ``request``: ``Authorization: Bearer <token>``."""
        request.headers["Authorization"] = f"Bearer {token.get_secret_value()}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(token=SecretStr('**********'))"

    async def apply(self, request: httpx.Request, client: HttpClient) -> None:
        """Sign ``request``, fetching a token first when there is none or it is due."""
        async with self._lock:
            if self._token is None or self._monotonic() >= self._renew_at:
                await self._renew(client)
            token = self._token
        assert token is not None  # _renew sets it or raises
        self.sign(request, token)

    async def refresh(self, client: HttpClient) -> bool:
        """Fetch a new token after a 401."""
        async with self._lock:
            await self._renew(client)
        return True

    async def _renew(self, client: HttpClient) -> None:
        token, ttl = await self.fetch_token(client)
        # Short-lived tokens (tests, odd tenants) must not be renewed on every call.
        margin = min(self._margin, max(ttl, 0.0) / 2)
        self._token = token
        self._renew_at = self._monotonic() + ttl - margin
        self.logins += 1
