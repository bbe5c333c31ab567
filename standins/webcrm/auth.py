"""Webcrm's token dance: auth code -> access + refresh token, tokens that expire."""

from __future__ import annotations

import math
import secrets
from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from standins._http import JsonResponse, read_form
from standins._tokens import AccessTokens

SYSTEM_ID = 1


class TokenBook(AccessTokens):
    """Issued tokens per application token (auth code), with a runtime TTL knob."""

    def __init__(self, auth_codes: set[str], ttl_s: float) -> None:
        super().__init__(ttl_s)
        self.auth_codes = set(auth_codes)
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
        return self.owner_of(access_token)

    def clear(self) -> None:
        """Forget every issued token, refresh tokens too."""
        super().clear()
        with self._lock:
            self._refresh.clear()

    def _issue(self, app: str) -> dict[str, Any]:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.grant(access, app)
        with self._lock:
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


def auth_routes(tokens: TokenBook) -> list[BaseRoute]:
    """``POST /Auth/ApiLogin`` (form ``authCode``) and ``/Auth/ApiRefresh``."""

    def grant(field: str, what: str, issue: Callable[[str], Any]) -> Any:
        async def endpoint(request: Request) -> Response:
            value = (await read_form(request)).get(field)
            if not value:
                body = login_error("invalid_request", f"The {field} field is required.")
                return JsonResponse(body, status_code=400)
            granted = issue(value)
            if granted is None:
                body = login_error("invalid_grant", f"The {what} is not valid.")
                return JsonResponse(body, status_code=401)
            return JsonResponse(granted)

        return endpoint

    login = grant("authCode", "auth code", tokens.login)
    refresh = grant("refreshToken", "refresh token", tokens.refresh)
    return [
        Route("/Auth/ApiLogin", login, methods=["POST"]),
        Route("/Auth/ApiRefresh", refresh, methods=["POST"]),
    ]
