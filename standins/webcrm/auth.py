"""Webcrm's token dance: auth code -> access + refresh token, tokens that expire."""

from __future__ import annotations

import math
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

SYSTEM_ID = 1


@dataclass
class _Grant:
    app: str
    expires_at: float


class TokenBook:
    """Issued tokens per application token (auth code), with a runtime TTL knob."""

    def __init__(self, auth_codes: set[str], ttl_s: float) -> None:
        self.auth_codes = set(auth_codes)
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._access: dict[str, _Grant] = {}
        self._refresh: dict[str, str] = {}

    def login(self, auth_code: str) -> dict[str, Any] | None:
        """A login body for a known auth code, else None."""
        if auth_code not in self.auth_codes:
            return None
        return self._issue(auth_code)

    def refresh(self, refresh_token: str) -> dict[str, Any] | None:
        """A new token pair for a known refresh token, else None.

        The old refresh token stays valid: nothing public says webCRM rotates them,
        and two workers refreshing at once must not lock each other out.
        """
        with self._lock:
            app = self._refresh.get(refresh_token)
        return None if app is None else self._issue(app)

    def app_of(self, access_token: str) -> str | None:
        """The auth code behind a live access token; None if unknown or expired."""
        with self._lock:
            grant = self._access.get(access_token)
            if grant is None or time.monotonic() >= grant.expires_at:
                return None
            return grant.app

    def expire_all(self) -> None:
        """Make every issued access token expire now (refresh tokens stay valid)."""
        with self._lock:
            for grant in self._access.values():
                grant.expires_at = 0.0

    def clear(self) -> None:
        """Forget every issued token."""
        with self._lock:
            self._access.clear()
            self._refresh.clear()

    def _issue(self, app: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        with self._lock:
            self._access[access] = _Grant(app, time.monotonic() + self.ttl_s)
            self._refresh[refresh] = app
        return {
            "AccessToken": access,
            "RefreshToken": refresh,
            "Error": None,
            "ErrorDescription": None,
            "IsError": False,
            "ExpiresIn": max(1, math.ceil(self.ttl_s)),
            "TokenType": "Bearer",
            "SystemId": SYSTEM_ID,
        }


def login_error(error: str, description: str) -> dict[str, Any]:
    """The failed-login body: same shape, ``IsError`` true."""
    return {
        "AccessToken": None,
        "RefreshToken": None,
        "Error": error,
        "ErrorDescription": description,
        "IsError": True,
        "ExpiresIn": 0,
        "TokenType": None,
        "SystemId": 0,
    }
