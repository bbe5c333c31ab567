"""Customwebshop's entity types on our REST contract."""

from __future__ import annotations

from connectors.base.entity import EntitySpec
from connectors.customrest.entities import rest_entity
from schemas.customwebshop import Customer, Order, Product

ENTITIES: tuple[EntitySpec, ...] = (
    rest_entity("Customer", "customers", Customer),
    rest_entity("Product", "products", Product),
    rest_entity("Order", "orders", Order),
)
"""Customwebshop's types in dependency order (orders point at customers and, by
their lines, at products)."""
