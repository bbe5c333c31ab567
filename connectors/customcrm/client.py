"""``CustomcrmClient`` and Customcrm's entity types on our REST contract."""

from __future__ import annotations

from typing import Any

import httpx

from connectors.base.customrest import CustomRestClient
from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from connectors.customcrm.settings import CustomcrmSettings
from schemas.customcrm import Contact, Customer, Product

SYSTEM = "customcrm"

_ALL = Capabilities(create=True, update=True, delete=True)

ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec("Customer", "customers", Customer, "Id", "UpdatedAt", _ALL, "Deleted"),
    EntitySpec("Contact", "contacts", Contact, "Id", "UpdatedAt", _ALL, "Deleted"),
    EntitySpec("Product", "products", Product, "Id", "UpdatedAt", _ALL, "Deleted"),
)
"""Customcrm's types in dependency order (contacts point at customers)."""


class CustomcrmClient(CustomRestClient):
    """The Customcrm ``HttpClient`` (bearer API key)."""

    def __init__(
        self,
        settings: CustomcrmSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> None:
        super().__init__(settings, system=SYSTEM, transport=transport, **overrides)
