"""Chargebee's entity types: wrapped resources, list filters, versions as times."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from schemas.base import WireModel
from schemas.chargebee import BusinessEntity, Customer, Item, Order, millis_to_datetime


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

    def written_at(self, row: Any) -> datetime | None:
        """``resource_version`` (milliseconds), else ``updated_at`` (seconds)."""
        if not isinstance(row, Mapping):
            return None
        version = row.get("resource_version")
        if version is None and isinstance(row.get("updated_at"), int):
            version = row["updated_at"] * 1000
        when = millis_to_datetime(version)
        return when if isinstance(when, datetime) else None


def _entity(
    name: str, path: str, model: type[WireModel], can: Capabilities, filters: str = ""
) -> ChargebeeEntity:
    return ChargebeeEntity(
        name=name,
        path=path,
        model=model,
        id_field="id",
        updated_field="resource_version",
        capabilities=can,
        deleted_field="deleted",
        wrapper=name.lower(),
        filters=frozenset(filters.split()),
    )


_LOOKUP_ONLY = Capabilities(create=False, update=False, delete=False)

ENTITIES: tuple[ChargebeeEntity, ...] = (
    # Read through the Events API; the API cannot create, change or list them.
    _entity("Business_entity", "events", BusinessEntity, _LOOKUP_ONLY),
    _entity(
        "Customer",
        "customers",
        Customer,
        Capabilities(create=True, update=True, delete=False),
        "id first_name last_name email company phone",
    ),
    _entity(
        "Item",
        "items",
        Item,
        Capabilities(create=True, update=True, delete=True),
        "id name item_family_id type status channel",
    ),
    # An order can only be created for an invoice: tether updates orders it links.
    _entity(
        "Order",
        "orders",
        Order,
        Capabilities(create=False, update=True, delete=True),
        "id invoice_id subscription_id status",
    ),
)
"""Chargebee's types in dependency order (customers belong to business entities,
orders point at customers and items). ``filters`` are the fields the list call
filters on with ``field[is]=value``."""
