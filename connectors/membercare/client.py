"""``MembercareClient``: token auth, local-time conversion, paging, entity types."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from pydantic import SecretStr, ValidationError

from connectors.base.client import HttpClient
from connectors.base.protocols import Capabilities
from connectors.base.ratelimit import SlidingWindowLimiter
from connectors.base.records import (
    declared_type,
    parse_record,
    record_event,
    record_id_at,
    validation_reason,
)
from connectors.base.snapshot import Listing
from connectors.base.tokens import RenewingTokenAuth
from connectors.errors import (
    AuthenticationError,
    ConfigurationError,
    FatalError,
    RejectedRecordError,
)
from connectors.membercare.settings import MembercareSettings
from schemas.base import WireModel
from schemas.envelope import ChangeEvent, utc_now
from schemas.membercare import (
    Company,
    Country,
    Invoice,
    Organization,
    Page,
    Person,
    Product,
    Token,
)

logger = logging.getLogger(__name__)

SYSTEM = "membercare"
TOKEN_PATH = "v1/token"  # noqa: S105 - a URL path, not a password
DEBTORS_PATH = "v1/debtors"
DEFAULT_TOKEN_TTL = 3600.0


@dataclass(frozen=True)
class MembercareType:
    """One Membercare entity type.

    Attributes:
        name: The type as tether names it (``Companies``).
        path: Its collection under the API root (``v1/companies``).
        model: The wire model.
        id_field: The field the single-record path is keyed by.
        capabilities: What the API allows.
        feed: The ``/debtors`` kind (``companies``/``persons``) for debtors, whose
            changes come from the feed; ``None`` for types read as full listings.
    """

    name: str
    path: str
    model: type[WireModel]
    id_field: str
    capabilities: Capabilities
    feed: str | None = None


_WRITABLE = Capabilities(create=True, update=True, delete=False)
_LOOKUP_ONLY = Capabilities(create=False, update=False, delete=False)

TYPES: tuple[MembercareType, ...] = (
    MembercareType(
        "Countries", "v1/addresses/countries", Country, "iso2Letter", _LOOKUP_ONLY
    ),
    MembercareType("Products", "v1/products", Product, "id", _LOOKUP_ONLY),
    MembercareType(
        "Companies",
        "v1/companies",
        Company,
        "debtorAccountNumber",
        _WRITABLE,
        "companies",
    ),
    MembercareType(
        "Persons", "v1/persons", Person, "debtorAccountNumber", _WRITABLE, "persons"
    ),
    MembercareType(
        "Organizations",
        "v1/organizations",
        Organization,
        "identificationNumber",
        _WRITABLE,
    ),
    # Invoices cannot be created; only their financeStatus can change.
    MembercareType(
        "Invoices",
        "v1/invoices",
        Invoice,
        "id",
        Capabilities(create=False, update=True),
    ),
)
"""Membercare's types in dependency order. Countries and products are read-only,
nothing can be deleted through the API (systems.md 5.1)."""


def type_for(entity: str) -> MembercareType:
    """The declaration of ``entity``; ``ConfigurationError`` if unknown."""
    return declared_type(TYPES, SYSTEM, entity)


@dataclass(frozen=True)
class LocalClock:
    """Turns the tenant's offset-less local times into UTC and back.

    A naive time is read in ``zone``; in the repeated hour at the end of summer
    time it is read as the first of the two (the API cannot say which).
    ``skew`` is how far the tenant's clock lags behind true time.
    """

    zone: ZoneInfo
    skew: timedelta = timedelta(0)

    def to_utc(self, value: datetime) -> datetime:
        """``value`` (naive local, or aware) as true UTC."""
        aware = value if value.tzinfo else value.replace(tzinfo=self.zone)
        return aware.astimezone(UTC) + self.skew

    def to_local_text(self, moment: datetime) -> str:
        """A UTC moment as the tenant writes it: local, no offset, milliseconds."""
        local = (moment - self.skew).astimezone(self.zone).replace(tzinfo=None)
        return local.isoformat(timespec="milliseconds")


def record_id(declared: MembercareType, row: Any) -> str:
    """A raw record's id as text, or ``MISSING_ID``."""
    return record_id_at(row, declared.id_field)


def to_event(
    declared: MembercareType, row: Any, observed_at: datetime, clock: LocalClock
) -> ChangeEvent:
    """Validate a raw record into a ``ChangeEvent``.

    Debtors carry ``lastChange`` (local time, made UTC here); other types have no
    modification time, so ``observed_at`` (when tether saw this state) stands in.

    Raises:
        InvalidRecordError: Not an object, fails the model, or has no id.
    """
    rid, record = parse_record(
        SYSTEM, declared.name, declared.model, declared.id_field, row
    )
    changed = getattr(record, "last_change", None)
    modified_at = (
        clock.to_utc(changed) if isinstance(changed, datetime) else observed_at
    )
    return record_event(SYSTEM, declared.name, rid, record, modified_at)


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

    The token is renewed ``margin`` seconds before its (local-time) expiration,
    and once more whenever Membercare answers 401.
    """

    def __init__(
        self,
        api_key: SecretStr,
        person: str,
        clock: LocalClock,
        *,
        margin: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
    ) -> None:
        super().__init__(margin=margin, monotonic=monotonic)
        self._api_key = api_key
        self._person = person
        self._clock = clock
        self._now = now

    def __repr__(self) -> str:
        return "MembercareAuth(api_key=SecretStr('**********'))"

    def sign(self, request: httpx.Request, token: str) -> None:
        """Set ``token: <value>``."""
        request.headers["token"] = token

    async def fetch_token(self, client: HttpClient) -> tuple[str, float]:
        """Exchange the API key for a token; its lifetime from ``expiration``."""
        params = {
            "clientApiKey": self._api_key.get_secret_value(),
            "personToImpersonate": self._person,
        }
        hint = "check MEMBERCARE_API_KEY and MEMBERCARE_PERSON_TO_IMPERSONATE"
        root = httpx.URL(client.base_url).path.rstrip("/")
        where = f"{SYSTEM} GET {root}/{TOKEN_PATH}"
        try:
            response = await client.request(
                "GET", TOKEN_PATH, params=params, authenticate=False
            )
        except RejectedRecordError as exc:
            # A token request has no record to dead-letter: refused means refused.
            msg = f"{where}: token refused; {hint}"
            raise AuthenticationError(msg) from exc
        try:
            token = Token.model_validate(client.decode_json(response))
        except ValidationError:
            msg = f"{where}: no token in the answer; {hint}"
            raise AuthenticationError(msg) from None
        ttl = DEFAULT_TOKEN_TTL
        if token.expiration is not None:
            ttl = (self._clock.to_utc(token.expiration) - self._now()).total_seconds()
        logger.info("%s token issued; valid %.0fs", SYSTEM, ttl)
        return token.value, ttl


class NextPageUrlPaginator:
    """Page numbers, going on while the envelope names a ``nextPageUrl``.

    The link itself is not followed: the next request is built here, against
    ``base_url``, so the token never travels to a host the link might name.
    """

    def __init__(self) -> None:
        self.page = 1
        self.finished = False

    def advance(self, envelope: Page, where: str) -> None:
        """Move past the page ``envelope`` came from."""
        if envelope.next_page_url is None:
            self.finished = True
            return
        if envelope.total_pages is not None and self.page >= envelope.total_pages:
            last = envelope.total_pages
            msg = f"{where}: page {self.page} of {last} still names a next page"
            raise FatalError(msg)
        self.page += 1


class MembercareClient(HttpClient):
    """The Membercare ``HttpClient`` (token header, tenant clock, envelopes).

    Args:
        settings: Membercare settings.
        transport: An httpx transport (tests).
        monotonic: Monotonic seconds for token renewal.
        **overrides: Further ``HttpClient`` arguments (``sleep``, ``now``, ``rng``).
    """

    def __init__(
        self,
        settings: MembercareSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        **overrides: Any,
    ) -> None:
        self.clock = LocalClock(
            settings.zone, timedelta(seconds=settings.clock_skew_seconds)
        )
        self.page_size = settings.page_size
        limit = settings.rate_limit_per_minute
        auth = MembercareAuth(
            settings.api_key,
            settings.person_to_impersonate,
            self.clock,
            margin=settings.token_refresh_margin,
            monotonic=monotonic,
            now=overrides.get("now", utc_now),
        )
        super().__init__(
            system=SYSTEM,
            base_url=settings.base_url,
            auth=auth,
            retry=settings.retry_policy(),
            timeout=settings.timeout,
            limiter=SlidingWindowLimiter(limit) if limit else None,
            transport=transport,
            **overrides,
        )
        install_log_redaction()

    async def envelope(self, path: str, params: Mapping[str, Any]) -> Page:
        """One page of a listing, its envelope checked."""
        body = await self.get_json(path, params=params)
        try:
            return Page.model_validate(body)
        except ValidationError as exc:
            problem = f"not a page envelope ({validation_reason(exc)})"
            error = self.shape_error("GET", path, problem)
            raise error from None

    async def pages(
        self, path: str, params: Mapping[str, Any] | None = None
    ) -> AsyncIterator[Page]:
        """Every page of a listing, from page 1."""
        paginator = NextPageUrlPaginator()
        while not paginator.finished:
            query = {
                **(params or {}),
                "page": paginator.page,
                "pageSize": self.page_size,
            }
            page = await self.envelope(path, query)
            yield page
            paginator.advance(page, f"{SYSTEM} GET {path}")

    async def listing(self, path: str) -> Listing:
        """Every record of a collection; complete when the count adds up."""
        rows: list[Any] = []
        announced: int | None = None
        async for page in self.pages(path):
            rows.extend(page.result)
            announced = page.total_count
        return Listing(rows, complete=announced is not None and announced == len(rows))


def membercare_client(client: HttpClient) -> MembercareClient:
    """``client`` as a ``MembercareClient`` (the registry passes the base type)."""
    if not isinstance(client, MembercareClient):
        msg = f"{SYSTEM} needs a MembercareClient, got {type(client).__name__}"
        raise ConfigurationError(msg)
    return client
