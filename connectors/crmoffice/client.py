"""``CrmofficeClient``: OAuth2 bearer tokens, and Crmoffice's entity types."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from pydantic import SecretStr, ValidationError

from connectors.base.client import HttpClient
from connectors.base.entity import MISSING_ID, validation_reason
from connectors.base.protocols import Capabilities
from connectors.base.ratelimit import SlidingWindowLimiter
from connectors.base.snapshot import Listing, fingerprint
from connectors.crmoffice.settings import CrmofficeSettings
from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    FatalError,
    InvalidRecordError,
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
    for declared in TYPES:
        if declared.name == entity:
            return declared
    known = ", ".join(t.name for t in TYPES)
    msg = f"{SYSTEM} has no entity type {entity!r}; known: {known}"
    raise ConfigurationError(msg)


def skew_of(settings: CrmofficeSettings) -> timedelta:
    """How far Crmoffice's clock lags behind true time."""
    return timedelta(seconds=settings.clock_skew_seconds)


def capabilities(settings: CrmofficeSettings) -> Capabilities:
    """Create and update where the write assumption holds; never delete."""
    return Capabilities(create=settings.writes, update=settings.writes, delete=False)


def record_id(row: Any) -> str:
    """A raw record's ``id`` as text, or ``MISSING_ID``."""
    value = row.get("id") if isinstance(row, Mapping) else None
    return MISSING_ID if value is None or str(value) == "" else str(value)


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
    rid = record_id(row)

    def invalid(reason: str) -> InvalidRecordError:
        msg = f"{SYSTEM} {declared.name} {rid}: {reason}"
        return InvalidRecordError(
            msg, system=SYSTEM, entity=declared.name, record_id=rid
        )

    if not isinstance(row, Mapping):
        reason = f"expected a JSON object, got {type(row).__name__}"
        raise invalid(reason)
    try:
        record = declared.model.model_validate(row)
    except ValidationError as exc:
        raise invalid(validation_reason(exc)) from None
    if rid == MISSING_ID:
        reason = "id is empty"
        raise invalid(reason)
    updated = getattr(record, "updated_at", None)
    if isinstance(updated, datetime):
        modified_at = updated + skew
    elif observed_at is not None:
        modified_at = observed_at
    else:
        reason = "updatedAt is missing (is CRMOFFICE_UPDATED_SINCE wrong?)"
        raise invalid(reason)
    return ChangeEvent(
        system=SYSTEM,
        entity=declared.name,
        id=rid,
        data=record.model_dump(mode="json", by_alias=True),
        modified_at=modified_at,
    )


class CrmofficeAuth:
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
        self._url = settings.token_endpoint
        self._client_id = settings.client_id
        self._secret = settings.client_secret
        self._refresh_token: SecretStr | None = settings.refresh_token
        self._scope = settings.scope
        self._margin = settings.token_refresh_margin
        self._monotonic = monotonic
        self._token: str | None = None
        self._renew_at = 0.0
        self._lock = asyncio.Lock()
        self.logins = 0

    def __repr__(self) -> str:
        return "CrmofficeAuth(client_secret=SecretStr('**********'))"

    async def apply(self, request: httpx.Request, client: HttpClient) -> None:
        """Set ``Authorization: Bearer <access token>``, fetching one when needed."""
        async with self._lock:
            if self._token is None or self._monotonic() >= self._renew_at:
                await self._fetch(client)
            token = self._token
        request.headers["Authorization"] = f"Bearer {token}"

    async def refresh(self, client: HttpClient) -> bool:
        """Fetch a new token after a 401."""
        async with self._lock:
            await self._fetch(client)
        return True

    async def _fetch(self, client: HttpClient) -> None:
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
        margin = min(self._margin, float(expires_in) / 2)
        self._token = token
        self._renew_at = self._monotonic() + float(expires_in) - margin
        self.logins += 1
        logger.info(
            "%s token issued (%s); valid %.0fs", SYSTEM, form["grant_type"], expires_in
        )


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
