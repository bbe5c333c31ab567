"""Crmoffice's IdentityServer-like ``/connect/token``: client credentials, refresh.

The real service issues tokens by OAuth2 authorization code with refresh tokens
(scopes ``crmoffice offline_access``, systems.md 6). A stand-in cannot click
through a browser, so it offers:

- ``grant_type=client_credentials`` (client id and secret in the form or as HTTP
  Basic): an access token, no refresh token (as IdentityServer does);
- ``grant_type=refresh_token``: a new access token and a refresh token, the
  same one or, with ``rotate_refresh_tokens``, a new one (IdentityServer's
  default "OneTimeOnly"), after which the old one is refused;
- ``consent()``: a refresh token as if a user had completed the code flow.

Errors follow RFC 6749: 400 ``{"error": "invalid_client" | "invalid_grant" |
"unsupported_grant_type" | "invalid_scope"}``.
"""

from __future__ import annotations

import base64
import secrets
import time
from typing import Any

import orjson

from standins._tokens import AccessTokens

SCOPES = frozenset({"crmoffice", "offline_access"})


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


class OAuthServer(AccessTokens):
    """Issued access and refresh tokens for one registered client."""

    def __init__(
        self,
        client_id: str,
        client_secret: str,
        *,
        ttl_s: float = 3600.0,
        rotate_refresh_tokens: bool = False,
        issuer: str = "https://sesam.crmoffice.no",
    ) -> None:
        super().__init__(ttl_s)
        self.client_id = client_id
        self.client_secret = client_secret
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.issuer = issuer
        self.static_tokens: set[str] = set()
        self._refresh: set[str] = set()

    def consent(self) -> str:
        """A refresh token, as after a user's authorization-code consent."""
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh.add(token)
        return token

    def valid(self, access_token: str) -> bool:
        """Whether a bearer token is live (issued and unexpired, or static)."""
        if access_token in self.static_tokens:
            return True
        return self.owner_of(access_token) is not None

    def clear(self) -> None:
        """Forget every issued token, refresh tokens too."""
        super().clear()
        with self._lock:
            self._refresh.clear()

    def token(
        self, form: dict[str, str], basic: tuple[str, str] | None
    ) -> tuple[int, dict[str, Any]]:
        """Answer a token request: (status, body)."""
        client_id, secret = basic or (form.get("client_id"), form.get("client_secret"))
        if client_id != self.client_id or secret != self.client_secret:
            return 400, {"error": "invalid_client"}
        requested = set((form.get("scope") or "crmoffice").split())
        if not requested <= SCOPES:
            return 400, {"error": "invalid_scope"}
        grant = form.get("grant_type")
        if grant == "client_credentials":
            return 200, self._issue(client_id, requested, refresh=None)
        if grant == "refresh_token":
            old = form.get("refresh_token", "")
            with self._lock:
                if old not in self._refresh:
                    return 400, {"error": "invalid_grant"}
                if self.rotate_refresh_tokens:
                    self._refresh.discard(old)
            new = self.consent() if self.rotate_refresh_tokens else old
            return 200, self._issue(client_id, requested | {"offline_access"}, new)
        return 400, {"error": "unsupported_grant_type"}

    def _issue(
        self, client_id: str, scopes: set[str], refresh: str | None
    ) -> dict[str, Any]:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "client_id": client_id,
            "scope": sorted(scopes),
            "iat": now,
            "exp": now + int(self.ttl_s),
            "jti": secrets.token_hex(8),
        }
        header = {"alg": "RS256", "typ": "at+jwt"}
        token = f"{_b64(header)}.{_b64(claims)}.{secrets.token_urlsafe(32)}"
        self.grant(token, client_id)
        body: dict[str, Any] = {
            "access_token": token,
            "expires_in": max(1, int(self.ttl_s)),
            "token_type": "Bearer",
            "scope": " ".join(sorted(scopes)),
        }
        if refresh is not None:
            body["refresh_token"] = refresh
        return body
