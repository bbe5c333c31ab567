"""The Membercare client: token auth, the API key kept out of logs, page envelopes."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr, ValidationError

from connectors.base.client import HttpClient
from connectors.base.pagination import NextLinkPaginator
from connectors.base.records import validation_reason
from connectors.base.tokens import RenewingTokenAuth
from connectors.errors import AuthenticationError
from connectors.membercare.settings import MembercareSettings
from schemas.membercare import Page, Token
from schemas.utc import utc_now

logger = logging.getLogger(__name__)

SYSTEM = "membercare"
TOKEN_PATH = "v1/token"  # noqa: S105 - a URL path, not a password
DEBTORS_PATH = "v1/debtors"
DEFAULT_TOKEN_TTL = 3600.0


class _RedactApiKey(logging.Filter):
    """Masks ``clientApiKey=`` in httpx's request log lines.

    The token request carries the API key in its query string (the documented
    form); httpx logs full URLs at INFO, which would put the key in the logs.
    """

    _PATTERN = re.compile(r"(clientApiKey=)[^&\s\"']*", re.IGNORECASE)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(self._mask(arg) for arg in record.args)
        return True

    def _mask(self, value: Any) -> Any:
        text = str(value) if isinstance(value, httpx.URL) else value
        if isinstance(text, str) and "clientapikey=" in text.lower():
            return self._PATTERN.sub(r"\1***", text)
        return value


def install_log_redaction() -> None:
    """Add the API-key mask to the ``httpx`` logger once."""
    log = logging.getLogger("httpx")
    if not any(isinstance(f, _RedactApiKey) for f in log.filters):
        log.addFilter(_RedactApiKey())


class MembercareAuth(RenewingTokenAuth):
    """Exchanges the API key for a token and sends it in the ``token`` header.

    The token is renewed ``token_refresh_margin`` seconds before its (local
    time) expiration, and once more whenever Membercare answers 401.

    Args:
        settings: Membercare settings (the key, the person, the time zone).
        monotonic: Monotonic seconds; injectable for tests.
        now: The current time, to read the local expiration.
    """

    def __init__(
        self,
        settings: MembercareSettings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(margin=settings.token_refresh_margin, monotonic=monotonic)
        self._api_key = settings.api_key
        self._person = settings.person_to_impersonate
        self._clock = settings.clock("")
        self._now = now

    def __repr__(self) -> str:
        return "MembercareAuth(api_key=SecretStr('**********'))"

    def sign(self, request: httpx.Request, token: SecretStr) -> None:
        """Set ``token: <value>``."""
        request.headers["token"] = token.get_secret_value()

    async def fetch_token(self, client: HttpClient) -> tuple[SecretStr, float]:
        """Exchange the API key for a token; its lifetime from ``expiration``."""
        params = {
            "clientApiKey": self._api_key.get_secret_value(),
            "personToImpersonate": self._person,
        }
        hint = "check MEMBERCARE_API_KEY and MEMBERCARE_PERSON_TO_IMPERSONATE"
        body = await client.login("GET", TOKEN_PATH, params=params, hint=hint)
        try:
            token = Token.model_validate(body)
        except ValidationError:
            root = httpx.URL(client.base_url).path.rstrip("/")
            msg = f"{SYSTEM} GET {root}/{TOKEN_PATH}: no token in the answer; {hint}"
            raise AuthenticationError(msg) from None
        ttl = DEFAULT_TOKEN_TTL
        if token.expiration is not None:
            ttl = (self._clock.to_utc(token.expiration) - self._now()).total_seconds()
        logger.info("%s token issued; valid %.0fs", SYSTEM, ttl)
        return SecretStr(token.value), ttl


def build_client(
    settings: MembercareSettings,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    now: Callable[[], datetime] = utc_now,
    **options: Any,
) -> HttpClient:
    """The Membercare client: token auth, the API key masked in httpx's logs.

    Args:
        settings: Membercare settings.
        monotonic: Monotonic seconds, for token renewal.
        now: The current time, to read the token's local expiry.
        **options: Further ``HttpClient.from_settings`` arguments.
    """
    auth = MembercareAuth(settings, monotonic=monotonic, now=now)
    install_log_redaction()
    return HttpClient.from_settings(
        settings, system=SYSTEM, auth=auth, monotonic=monotonic, now=now, **options
    )


def paginator(path: str) -> NextLinkPaginator:
    """Page numbers while the envelope names a ``nextPageUrl`` (never followed)."""
    where = f"{SYSTEM} GET {path}"
    return NextLinkPaginator("nextPageUrl", "totalPages", "result", where=where)


async def envelope(
    client: HttpClient, path: str, params: Mapping[str, Any]
) -> dict[str, Any]:
    """One page of a listing, its envelope checked (camelCase keys)."""
    body = await client.get_json(path, params=params)
    try:
        page = Page.model_validate(body)
    except ValidationError as exc:
        problem = f"not a page envelope ({validation_reason(exc)})"
        error = client.shape_error("GET", path, problem)
        raise error from None
    return page.model_dump(by_alias=True)
