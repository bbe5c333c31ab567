"""Membercare's entity types: debtors with a change feed, the rest as listings."""

from __future__ import annotations

from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from schemas.membercare import (
    Company,
    Country,
    Invoice,
    Organization,
    Person,
    Product,
)

_WRITABLE = Capabilities(create=True, update=True, delete=False)
_LOOKUP_ONLY = Capabilities(create=False, update=False, delete=False)

ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec(
        "Countries", "v1/addresses/countries", Country, "iso2Letter", None, _LOOKUP_ONLY
    ),
    EntitySpec(
        "Products", "v1/products", Product, "id", None, _LOOKUP_ONLY, integer_ids=True
    ),
    EntitySpec(
        "Companies",
        "v1/companies",
        Company,
        "debtorAccountNumber",
        "lastChange",
        _WRITABLE,
    ),
    EntitySpec(
        "Persons", "v1/persons", Person, "debtorAccountNumber", "lastChange", _WRITABLE
    ),
    EntitySpec(
        "Organizations",
        "v1/organizations",
        Organization,
        "identificationNumber",
        None,
        _WRITABLE,
    ),
    # Invoices cannot be created; only their financeStatus can change.
    EntitySpec(
        "Invoices",
        "v1/invoices",
        Invoice,
        "id",
        None,
        Capabilities(create=False, update=True),
        integer_ids=True,
    ),
)
"""Membercare's types in dependency order. Companies and persons (debtors) change
through the ``/debtors`` feed and carry ``lastChange``; the others carry no
modification time and are read as full listings. Countries and products are
read-only, nothing can be deleted through the API (systems.md 5.1)."""
