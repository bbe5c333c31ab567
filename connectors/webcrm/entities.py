"""Webcrm's entity types: organisations, persons and products."""

from __future__ import annotations

from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from schemas.webcrm import Organisation, Person, Product

_WRITABLE = Capabilities(create=True, update=True, delete=False)

ENTITIES: tuple[EntitySpec, ...] = (
    EntitySpec(
        "Organisations",
        "Organisations",
        Organisation,
        "OrganisationId",
        "OrganisationUpdatedAt",
        _WRITABLE,
        integer_ids=True,
    ),
    EntitySpec(
        "Persons",
        "Persons",
        Person,
        "PersonId",
        "PersonUpdatedAt",
        _WRITABLE,
        integer_ids=True,
    ),
    EntitySpec(
        "Products",
        "Products",
        Product,
        "ProductId",
        "ProductUpdatedAt",
        Capabilities(create=True, update=True, delete=True),
        integer_ids=True,
    ),
)
"""Webcrm's entity types in dependency order (persons and products point at
organisations). Only Products can be deleted through the API."""
