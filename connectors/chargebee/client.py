"""``ChargebeeClient`` (Basic auth, form posts, wrapped bodies) and the entity types."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.base.entity import MISSING_ID, EntitySpec
from connectors.base.protocols import Capabilities
from connectors.base.ratelimit import SlidingWindowLimiter
from connectors.chargebee._form import form_fields
from connectors.chargebee.settings import ChargebeeSettings
from schemas.chargebee import BusinessEntity, Customer, Item, Order, millis_to_datetime

SYSTEM = "chargebee"
IDEMPOTENCY_HEADER = "chargebee-idempotency-key"


@dataclass(frozen=True)
class ChargebeeEntity(EntitySpec):
    """A Chargebee entity type: also the name its JSON is wrapped in, and filters.

    Attributes:
        wrapper: The key a single resource is wrapped in (``{"item": {...}}``).
        filters: Fields the list call filters on with ``field[is]=value``.
        soft_deletes: Whether lists hide deleted records unless
            ``include_deleted=true``.
    """

    wrapper: str = ""
    filters: frozenset[str] = field(default_factory=frozenset)
    soft_deletes: bool = True

    def position(
        self, row: Any, latest: datetime | None = None
    ) -> tuple[str, datetime] | None:
        """A raw record's (id, modification time) from ``resource_version`` (ms)."""
        record_id = self.record_id(row)
        if record_id == MISSING_ID or not isinstance(row, Mapping):
            return None
        version = row.get("resource_version")
        if version is None and isinstance(row.get("updated_at"), int):
            version = row["updated_at"] * 1000
        when = millis_to_datetime(version)
        if not isinstance(when, datetime) or (latest is not None and when > latest):
            return None
        return record_id, when


def _entity(
    name: str,
    path: str,
    model: Any,
    wrapper: str,
    capabilities: Capabilities,
    filters: tuple[str, ...],
) -> ChargebeeEntity:
    return ChargebeeEntity(
        name=name,
        path=path,
        model=model,
        id_field="id",
        updated_field="resource_version",
        capabilities=capabilities,
        deleted_field="deleted",
        wrapper=wrapper,
        filters=frozenset(filters),
    )


ENTITIES: tuple[ChargebeeEntity, ...] = (
    # Read through the Events API; the API cannot create, change or list them.
    _entity(
        "Business_entity",
        "events",
        BusinessEntity,
        "business_entity",
        Capabilities(create=False, update=False, delete=False),
        (),
    ),
    _entity(
        "Customer",
        "customers",
        Customer,
        "customer",
        Capabilities(create=True, update=True, delete=False),
        ("id", "first_name", "last_name", "email", "company", "phone"),
    ),
    _entity(
        "Item",
        "items",
        Item,
        "item",
        Capabilities(create=True, update=True, delete=True),
        ("id", "name", "item_family_id", "type", "status", "channel"),
    ),
    # An order can only be created for an invoice: tether updates orders it links.
    _entity(
        "Order",
        "orders",
        Order,
        "order",
        Capabilities(create=False, update=True, delete=True),
        ("id", "invoice_id", "subscription_id", "status"),
    ),
)
"""Chargebee's types in dependency order (customers belong to business entities,
orders point at customers and items)."""


class ChargebeeAuth:
    """HTTP Basic with the API key as user name and an empty password.

    A key cannot be renewed, so a 401 stands and becomes an ``AuthenticationError``.
    """

    def __init__(self, api_key: SecretStr) -> None:
        self._api_key = api_key

    async def apply(self, request: httpx.Request, client: HttpClient) -> None:
        """Set the Basic header."""
        raw = f"{self._api_key.get_secret_value()}:".encode()
        request.headers["Authorization"] = f"Basic {base64.b64encode(raw).decode()}"

    async def refresh(self, client: HttpClient) -> bool:
        """Nothing to renew."""
        return False

    def __repr__(self) -> str:
        return "ChargebeeAuth(api_key=SecretStr('**********'))"


class ChargebeeClient(HttpClient):
    """The Chargebee ``HttpClient``: Basic auth, form-encoded posts, 150/min limiter.

    429s are retried after ``Retry-After`` by the base client.

    Args:
        settings: Chargebee settings.
        transport: An httpx transport (tests).
        **overrides: Further ``HttpClient`` arguments (``sleep``, ``now``, ``rng``).
    """

    def __init__(
        self,
        settings: ChargebeeSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> None:
        limit = settings.rate_limit_per_minute
        super().__init__(
            system=SYSTEM,
            base_url=settings.base_url,
            auth=ChargebeeAuth(settings.api_key),
            retry=settings.retry_policy(),
            timeout=settings.timeout,
            limiter=SlidingWindowLimiter(limit) if limit else None,
            transport=transport,
            **overrides,
        )

    async def post_form(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        idempotency_key: str | None = None,
        idempotent: bool = True,
    ) -> Any:
        """``POST`` ``params`` form-encoded; returns the decoded JSON body.

        Chargebee's writes set values (or replay under an idempotency key), so
        they are retried by default.
        """
        headers = {IDEMPOTENCY_HEADER: idempotency_key} if idempotency_key else None
        response = await self.request(
            "POST",
            path,
            form=form_fields(params or {}),
            headers=headers,
            idempotent=idempotent,
        )
        return self.decode_json(response)

    def unwrap(self, body: Any, wrapper: str, method: str, path: str) -> Any:
        """The resource in ``{"<wrapper>": {...}}``; ``FatalError`` on another shape."""
        if isinstance(body, Mapping) and isinstance(body.get(wrapper), Mapping):
            return body[wrapper]
        problem = f'expected {{"{wrapper}": {{...}}}}'
        raise self.shape_error(method, path, problem)

    def list_rows(self, body: Any, wrapper: str, path: str) -> list[Any]:
        """The wrapped resources of a list page; an element without it is kept as is.

        An element kept as is fails validation later and becomes a bad record,
        while the rest of the page flows.
        """
        items = body.get("list") if isinstance(body, Mapping) else None
        if not isinstance(items, list):
            problem = 'expected {"list": [...], "next_offset": ...}'
            error = self.shape_error("GET", path, problem)
            raise error
        return [
            item[wrapper]
            if isinstance(item, Mapping) and isinstance(item.get(wrapper), Mapping)
            else item
            for item in items
        ]
