"""Customwebshop wire models: Customer, Order and Product of our own REST contract.

The contract is Customcrm's (systems.md 9.6): PascalCase fields, ``Id``,
``UpdatedAt`` (UTC) and ``Deleted`` on every record. A customer carries the
Custom CRM field set plus ``VatNumber`` and ``OrganizationNumber``; an order has
``Lines`` and a ``Reference`` (its number in the system it came from).
"""

from __future__ import annotations

from pydantic import Field

from schemas import customcrm
from schemas.base import PascalCaseModel


class Customer(customcrm.Customer):
    """A webshop customer (a company or a person who buys).

    The contract's customer, Custom CRM's field set, plus its organisation number.
    """

    organization_number: str | None = None


class OrderLine(PascalCaseModel):
    """One line of an order; prices are per unit, excluding VAT."""

    product_id: str | None = None
    description: str | None = None
    quantity: float | None = None
    unit_price: float | None = None
    vat_rate: float | None = None


class Order(customcrm.CustomModel):
    """A webshop order: who bought what, when; ``Total`` includes VAT."""

    reference: str | None = None
    customer_id: str | None = None
    # ISO date text (``2024-03-01``), kept as sent so the data stays the API's.
    order_date: str | None = None
    currency: str | None = None
    status: str | None = None
    lines: list[OrderLine] = Field(default_factory=list)
    total: float | None = None


class Product(customcrm.CustomModel):
    """A product of the shop's catalogue."""

    sku: str | None = None
    name: str | None = None
    description: str | None = None
    price: float | None = None
    currency: str | None = None
    vat_rate: float | None = None
    active: bool | None = None
