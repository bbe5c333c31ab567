"""``WebcrmClient``: login with the app token, Bearer access tokens, 250/min limit."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import orjson
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from connectors.base.ratelimit import SlidingWindowLimiter
from connectors.base.tokens import RenewingTokenAuth
from connectors.errors import AuthenticationError, RejectedRecordError
from connectors.webcrm.settings import WebcrmSettings
from schemas.webcrm import Organisation, Person, Product

logger = logging.getLogger(__name__)

SYSTEM = "webcrm"
LOGIN_PATH = "/Auth/ApiLogin"
DEFAULT_EXPIRES_IN = 3600.0

ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec(
        "Organisations",
        "Organisations",
        Organisation,
        "OrganisationId",
        "OrganisationUpdatedAt",
        Capabilities(create=True, update=True, delete=False),
    ),
    EntitySpec(
        "Persons",
        "Persons",
        Person,
        "PersonId",
        "PersonUpdatedAt",
        Capabilities(create=True, update=True, delete=False),
    ),
    EntitySpec(
        "Products",
        "Products",
        Product,
        "ProductId",
        "ProductUpdatedAt",
        Capabilities(create=True, update=True, delete=True),
    ),
)
"""Webcrm's entity types in dependency order (persons and products point at
organisations). Only Products can be deleted through the API."""


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

    The access token is renewed ``margin`` seconds before it expires, and once
    more whenever Webcrm answers 401 (it may have been revoked early).

    Args:
        auth_code: The application token.
        margin: Seconds before expiry at which to renew.
        clock: Monotonic seconds; injectable for tests.
    """

    def __init__(
        self,
        auth_code: SecretStr,
        *,
        margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(margin=margin, monotonic=clock)
        self._auth_code = auth_code

    def __repr__(self) -> str:
        return "WebcrmAuth(auth_code=SecretStr('**********'))"

    def sign(self, request: httpx.Request, token: str) -> None:
        """Set ``Authorization: Bearer <access token>``."""
        request.headers["Authorization"] = f"Bearer {token}"

    async def fetch_token(self, client: HttpClient) -> tuple[str, float]:
        """Log in with the app token; the access token and its ``ExpiresIn``."""
        form = {"authCode": self._auth_code.get_secret_value()}
        try:
            response = await client.request(
                "POST", LOGIN_PATH, form=form, authenticate=False, idempotent=True
            )
        except RejectedRecordError as exc:
            # A login has no record to dead-letter: a refused login is an auth failure.
            msg = f"{SYSTEM} POST {LOGIN_PATH}: login refused; check WEBCRM_API_TOKEN"
            raise AuthenticationError(msg) from exc
        body = client.decode_json(response)
        token = body.get("AccessToken") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token or body.get("IsError"):
            msg = f"{SYSTEM} POST {LOGIN_PATH}: no access token; check WEBCRM_API_TOKEN"
            raise AuthenticationError(msg)
        expires_in = body.get("ExpiresIn")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            expires_in = DEFAULT_EXPIRES_IN
        logger.info("%s logged in; access token valid %.0fs", SYSTEM, expires_in)
        return token, float(expires_in)


class WebcrmClient(HttpClient):
    """The Webcrm ``HttpClient``: login auth, ``RetryAfterSeconds``, 250/min limiter.

    Args:
        settings: Webcrm settings.
        transport: An httpx transport (tests).
        clock: Monotonic seconds for token expiry and the rate limiter.
        sleep: Async sleep for retries and the rate limiter.
        **overrides: Further ``HttpClient`` arguments (``now``, ``rng``).
    """

    def __init__(
        self,
        settings: WebcrmSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        **overrides: Any,
    ) -> None:
        limit = settings.rate_limit_per_minute
        super().__init__(
            system=SYSTEM,
            base_url=settings.base_url,
            auth=WebcrmAuth(
                settings.api_token, margin=settings.token_refresh_margin, clock=clock
            ),
            retry=settings.retry_policy(),
            timeout=settings.timeout,
            limiter=SlidingWindowLimiter(limit, 60.0, clock=clock, sleep=sleep)
            if limit
            else None,
            retry_hint=retry_after_seconds,
            transport=transport,
            sleep=sleep,
            **overrides,
        )
