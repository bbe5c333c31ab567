"""``CrmofficeClient``: OAuth2 bearer tokens, and Crmoffice's entity types."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.base.protocols import Capabilities
from connectors.base.ratelimit import SlidingWindowLimiter
from connectors.base.records import (
    declared_type,
    invalid_record,
    parse_record,
    record_event,
    record_id_at,
)
from connectors.base.snapshot import Listing, fingerprint
from connectors.base.tokens import RenewingTokenAuth
from connectors.crmoffice.settings import CrmofficeSettings
from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    FatalError,
    RejectedRecordError,
)
from schemas.base import WireModel
from schemas.crmoffice import Activity, Company, Contact
from schemas.envelope import ChangeEvent

logger = logging.getLogger(__name__)

SYSTEM = "crmoffice"
DEFAULT_EXPIRES_IN = 3600.0


@dataclass(frozen=True)
class CrmofficeType:
    """One Crmoffice entity type: tether's name, path, wire model."""

    name: str
    path: str
    model: type[WireModel]


TYPES: tuple[CrmofficeType, ...] = (
    CrmofficeType("Companies", "companies", Company),
    CrmofficeType("Contacts", "contacts", Contact),
    CrmofficeType("Activities", "activities", Activity),
)
"""Crmoffice's types in dependency order (contacts point at companies). Users are
served too, but no flow reads them."""


def type_for(entity: str) -> CrmofficeType:
    """The declaration of ``entity``."""
    return declared_type(TYPES, SYSTEM, entity)


def skew_of(settings: CrmofficeSettings) -> timedelta:
    """How far Crmoffice's clock lags behind true time."""
    return timedelta(seconds=settings.clock_skew_seconds)


def capabilities(settings: CrmofficeSettings) -> Capabilities:
    """Create and update where the write assumption holds; never delete."""
    return Capabilities(create=settings.writes, update=settings.writes, delete=False)


def record_id(row: Any) -> str:
    """A raw record's ``id`` as text, or ``MISSING_ID``."""
    return record_id_at(row, "id")


def to_event(
    declared: CrmofficeType,
    row: Any,
    observed_at: datetime | None,
    skew: timedelta,
) -> ChangeEvent:
    """Validate a raw record into a ``ChangeEvent``.

    ``modified_at`` is ``updatedAt`` (plus the clock skew); a record without one
    gets ``observed_at``, or is invalid when that is ``None`` (the change feed
    needs a time on every record).

    Raises:
        InvalidRecordError: Not an object, fails the model, no id or no time.
    """
    rid, record = parse_record(SYSTEM, declared.name, declared.model, "id", row)
    updated = getattr(record, "updated_at", None)
    if isinstance(updated, datetime):
        modified_at = updated + skew
    elif observed_at is not None:
        modified_at = observed_at
    else:
        reason = "updatedAt is missing (is CRMOFFICE_UPDATED_SINCE wrong?)"
        raise invalid_record(SYSTEM, declared.name, rid, reason)
    return record_event(SYSTEM, declared.name, rid, record, modified_at)


class CrmofficeAuth(RenewingTokenAuth):
    """OAuth2 bearer tokens from the token endpoint, renewed before they expire.

    With a refresh token it uses the ``refresh_token`` grant and keeps whatever
    new refresh token the server hands back (IdentityServer rotates them by
    default; a restarted worker then needs the latest one, or a new consent).
    Without one it uses ``client_credentials``.
    """

    def __init__(
        self,
        settings: CrmofficeSettings,
        *,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(margin=settings.token_refresh_margin, monotonic=monotonic)
        self._url = settings.token_endpoint
        self._client_id = settings.client_id
        self._secret = settings.client_secret
        self._refresh_token: SecretStr | None = settings.refresh_token
        self._scope = settings.scope

    def __repr__(self) -> str:
        return "CrmofficeAuth(client_secret=SecretStr('**********'))"

    def sign(self, request: httpx.Request, token: str) -> None:
        """Set ``Authorization: Bearer <access token>``."""
        request.headers["Authorization"] = f"Bearer {token}"

    async def fetch_token(self, client: HttpClient) -> tuple[str, float]:
        """Run the grant; the access token and its ``expires_in``."""
        form = {
            "client_id": self._client_id,
            "client_secret": self._secret.get_secret_value(),
            "scope": self._scope,
        }
        if self._refresh_token is not None:
            form["grant_type"] = "refresh_token"
            form["refresh_token"] = self._refresh_token.get_secret_value()
        else:
            form["grant_type"] = "client_credentials"
        hint = "check the CRMOFFICE_CLIENT_* settings and CRMOFFICE_REFRESH_TOKEN"
        where = f"{SYSTEM} POST {httpx.URL(self._url).path}"
        try:
            response = await client.request(
                "POST", self._url, form=form, authenticate=False, idempotent=True
            )
        except RejectedRecordError as exc:
            # invalid_client / invalid_grant: no record to dead-letter here.
            msg = f"{where}: token refused ({form['grant_type']}); {hint}"
            raise AuthenticationError(msg) from exc
        body = client.decode_json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not token:
            msg = f"{where}: no access_token in the answer; {hint}"
            raise AuthenticationError(msg)
        rotated = body.get("refresh_token")
        if isinstance(rotated, str) and rotated:
            self._refresh_token = SecretStr(rotated)
        expires_in = body.get("expires_in")
        if isinstance(expires_in, bool) or not isinstance(expires_in, int | float):
            expires_in = DEFAULT_EXPIRES_IN
        logger.info(
            "%s token issued (%s); valid %.0fs", SYSTEM, form["grant_type"], expires_in
        )
        return token, float(expires_in)


class CrmofficeClient(HttpClient):
    """The Crmoffice ``HttpClient`` (OAuth2 bearer).

    Args:
        settings: Crmoffice settings.
        transport: An httpx transport (tests).
        monotonic: Monotonic seconds for token renewal.
        **overrides: Further ``HttpClient`` arguments (``sleep``, ``now``, ``rng``).
    """

    def __init__(
        self,
        settings: CrmofficeSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        **overrides: Any,
    ) -> None:
        limit = settings.rate_limit_per_minute
        super().__init__(
            system=SYSTEM,
            base_url=settings.base_url,
            auth=CrmofficeAuth(settings, monotonic=monotonic),
            retry=settings.retry_policy(),
            timeout=settings.timeout,
            limiter=SlidingWindowLimiter(limit) if limit else None,
            transport=transport,
            **overrides,
        )
        self.paging = settings.paging
        self.page_size = settings.page_size

    async def items(self, path: str, params: Mapping[str, Any]) -> list[Any]:
        """The ``items`` of one list response."""
        body = await self.get_json(path, params=params)
        rows = body.get("items") if isinstance(body, Mapping) else None
        if not isinstance(rows, list):
            error = self.shape_error("GET", path, 'expected {"items": [...]}')
            raise error
        return rows

    async def pages(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[list[Any]]:
        """Every page of a list, from page 1; a short page is the last.

        [assumption] ``page``/``pageSize``. A server that ignores them answers
        more than a page at once (taken as the whole list) or the same page
        again (an error naming the switch to turn off).
        """
        if not self.paging:
            yield await self.items(path, params or {})
            return
        page, previous = 1, None
        while True:
            query = {**(params or {}), "page": page, "pageSize": self.page_size}
            rows = await self.items(path, query)
            digest = fingerprint(rows)
            if rows and digest == previous:
                msg = (
                    f"{SYSTEM} GET {path}: page {page} repeats page {page - 1}; "
                    "set CRMOFFICE_PAGING=false if the API does not page"
                )
                raise FatalError(msg)
            yield rows
            if len(rows) != self.page_size:
                if len(rows) > self.page_size:
                    logger.warning("%s GET %s ignores pageSize", SYSTEM, path)
                return
            page, previous = page + 1, digest

    async def listing(self, path: str) -> Listing:
        """Every record of a collection (complete once the last page is read)."""
        rows: list[Any] = []
        async for page in self.pages(path):
            rows.extend(page)
        return Listing(rows, complete=True)


def crmoffice_client(client: HttpClient) -> CrmofficeClient:
    """``client`` as a ``CrmofficeClient`` (the registry passes the base type)."""
    if not isinstance(client, CrmofficeClient):
        msg = f"{SYSTEM} needs a CrmofficeClient, got {type(client).__name__}"
        raise ConfigurationError(msg)
    return client
