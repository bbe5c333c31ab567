"""``CustomwebshopClient`` and Customwebshop's entity types on our REST contract."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.base.customrest import CustomRestClient
from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from connectors.customwebshop.settings import CustomwebshopSettings
from schemas.customwebshop import Customer, Order, Product

SYSTEM = "customwebshop"

_ALL = Capabilities(create=True, update=True, delete=True)

ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec("Customer", "customers", Customer, "Id", "UpdatedAt", _ALL, "Deleted"),
    EntitySpec("Product", "products", Product, "Id", "UpdatedAt", _ALL, "Deleted"),
    EntitySpec("Order", "orders", Order, "Id", "UpdatedAt", _ALL, "Deleted"),
)
"""Customwebshop's types in dependency order (orders point at customers and, by
their lines, at products)."""


class CustomwebshopClient(CustomRestClient):
    """The Customwebshop ``HttpClient`` (bearer API key)."""

    def __init__(
        self,
        settings: CustomwebshopSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(settings, system=SYSTEM, transport=transport, **overrides)
