"""Customcrm wire models: Customer, Contact and Product of our own REST contract.

Field names on the wire are PascalCase (``StreetAddress1``); the Python
attributes are their snake_case forms. ``UpdatedAt`` is UTC; ``Deleted`` marks
a soft-deleted record.
"""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from schemas.base import NonEmptyStr, PascalCaseModel


class CustomModel(PascalCaseModel):
    """Base of our own REST contract's records: ``Id``, ``UpdatedAt``, ``Deleted``."""

    id: NonEmptyStr
    updated_at: AwareDatetime
    deleted: bool = False


class Customer(CustomModel):
    """A customer (the 2024-09 Custom CRM field set plus ``VatNumber``)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    fax: str | None = None
    website: str | None = None
    description: str | None = None
    street_address1: str | None = None
    street_address2: str | None = None
    zip_code: str | None = None
    city: str | None = None
    country: str | None = None
    vat_number: str | None = None


class Contact(CustomModel):
    """A contact person of a customer."""

    customer_id: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    mobile: str | None = None
    title: str | None = None


class Product(CustomModel):
    """A product of the catalogue."""

    sku: str | None = None
    name: str | None = None
    description: str | None = None
    price: float | None = None
    # An ISO 4217 code (NOK, EUR); empty when unset. A name ("Kroner") or a
    # symbol would be copied on as if it were a code.
    currency: str | None = Field(default=None, pattern=r"^([A-Z]{3})?$")
    vat_rate: float | None = Field(default=None, ge=0, le=100)  # a percentage
    active: bool | None = None
