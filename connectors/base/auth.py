"""Pluggable request authentication for ``HttpClient``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import httpx
from pydantic import SecretStr

if TYPE_CHECKING:
    from connectors.base.client import HttpClient


class Auth(Protocol):
    """Decorates each request with credentials; may renew them once after a 401."""

    async def apply(self, request: httpx.Request, client: HttpClient) -> None:
        """Add credentials to ``request``, logging in through ``client`` if needed."""
        ...

    async def refresh(self, client: HttpClient) -> bool:
        """Renew credentials after a 401; ``True`` when a retry may now succeed."""
        ...


class BearerAuth:
    """A fixed API key sent as ``Authorization: Bearer <key>``.

    A static key cannot be renewed, so a 401 stands and becomes an
    ``AuthenticationError``.
    """

    def __init__(self, token: SecretStr) -> None:
        self._token = token

    async def apply(self, request: httpx.Request, client: HttpClient) -> None:
        """Set the bearer header."""
        request.headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"

    async def refresh(self, client: HttpClient) -> bool:
        """Nothing to renew."""
        return False

    def __repr__(self) -> str:
        return "BearerAuth(token=SecretStr('**********'))"
