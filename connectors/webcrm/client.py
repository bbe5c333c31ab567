"""The Webcrm client: login with the app token, Bearer access tokens, 250/min limit."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.base.tokens import RenewingTokenAuth
from connectors.errors import AuthenticationError
from connectors.webcrm.settings import WebcrmSettings

logger = logging.getLogger(__name__)

SYSTEM = "webcrm"
LOGIN_PATH = "/Auth/ApiLogin"
DEFAULT_EXPIRES_IN = 3600.0


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Webcrm's 429 body hint ``{"RetryAfterSeconds": n, ...}``, if present."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    value = body.get("RetryAfterSeconds") if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        return None
    return float(value)


class WebcrmAuth(RenewingTokenAuth):
    """Exchanges the app token for an access token and sends it as Bearer.

    The access token is renewed ``token_refresh_margin`` seconds before it
    expires, and once more whenever Webcrm answers 401 (it may have been revoked
    early).

    Args:
        settings: Webcrm settings (``api_token``, the application token).
        monotonic: Monotonic seconds; injectable for tests.
    """

    def __init__(
        self,
        settings: WebcrmSettings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(margin=settings.token_refresh_margin, monotonic=monotonic)
        self._auth_code = settings.api_token

    def __repr__(self) -> str:
        return "WebcrmAuth(auth_code=SecretStr('**********'))"

    async def fetch_token(self, client: HttpClient) -> tuple[SecretStr, float]:
        """Log in with the app token; the access token and its ``ExpiresIn``."""
        form = {"authCode": self._auth_code.get_secret_value()}
        hint = "check WEBCRM_API_TOKEN"
        body = await client.login("POST", LOGIN_PATH, form=form, hint=hint)
        token = body.get("AccessToken") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or body.get("IsError"):
            msg = f"{SYSTEM} POST {LOGIN_PATH}: no access token; {hint}"
            raise AuthenticationError(msg)
        expires_in = body.get("ExpiresIn")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            expires_in = DEFAULT_EXPIRES_IN
        logger.info("%s logged in; access token valid %.0fs", SYSTEM, expires_in)
        return SecretStr(token), float(expires_in)


def build_client(
    settings: WebcrmSettings,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    **options: Any,
) -> HttpClient:
    """The Webcrm client: login auth, ``RetryAfterSeconds``, 250/min limiter.

    Args:
        settings: Webcrm settings.
        monotonic: Monotonic seconds, for token expiry and the rate limiter.
        **options: Further ``HttpClient.from_settings`` arguments (``transport``,
            ``sleep``, ``now``, ``rng``).
    """
    auth = WebcrmAuth(settings, monotonic=monotonic)
    return HttpClient.from_settings(
        settings,
        system=SYSTEM,
        auth=auth,
        monotonic=monotonic,
        retry_hint=retry_after_seconds,
        **options,
    )
