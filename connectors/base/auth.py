"""Pluggable request authentication for ``HttpClient``: the protocol, static keys."""

from __future__ import annotations

import base64
from collections.abc import Mapping
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


class HeaderAuth:
    """Fixed credentials sent as headers on every request.

    Static keys cannot be renewed, so a 401 stands and becomes an
    ``AuthenticationError``. ``repr`` names the headers, never their values.

    Args:
        headers: Header name -> value; secrets as ``SecretStr``.
    """

    def __init__(self, headers: Mapping[str, SecretStr | str]) -> None:
        self._headers = dict(headers)

    async def apply(self, request: httpx.Request, client: HttpClient) -> None:
        """Set the headers."""
        for name, value in self._headers.items():
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            request.headers[name] = value

    async def refresh(self, client: HttpClient) -> bool:
        """Nothing to renew."""
        return False

    def __repr__(self) -> str:
        return f"{type(self).__name__}(headers={', '.join(self._headers)})"


class BearerAuth(HeaderAuth):
    """A fixed API key sent as ``Authorization: Bearer <key>``.

    Args:
        token: The API key.
    """

    def __init__(self, token: SecretStr) -> None:
        bearer = SecretStr(f"Bearer {token.get_secret_value()}")
        super().__init__({"Authorization": bearer})


class BasicAuth(HeaderAuth):
    """HTTP Basic: ``Authorization: Basic <user:password>``.

    Args:
        user: The user name (an API key).
        password: The password; empty by default.
    """

    def __init__(self, user: SecretStr, password: SecretStr | None = None) -> None:
        secret = password.get_secret_value() if password else ""
        pair = f"{user.get_secret_value()}:{secret}"
        basic = base64.b64encode(pair.encode()).decode()
        super().__init__({"Authorization": SecretStr(f"Basic {basic}")})
