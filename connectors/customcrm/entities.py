"""Customcrm's entity types on our REST contract."""

from __future__ import annotations

from connectors.base.entity import EntitySpec
from connectors.customrest.entities import rest_entity
from schemas.customcrm import Contact, Customer, Product

ENTITIES: tuple[EntitySpec, ...] = (
    rest_entity("Customer", "customers", Customer),
    rest_entity("Contact", "contacts", Contact),
    rest_entity("Product", "products", Product),
)
"""Customcrm's types in dependency order (contacts point at customers)."""
