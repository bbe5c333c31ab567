"""Customcrm's resource table (systems.md 7, 9.6): customers, contacts, products."""

from __future__ import annotations

from standins.customrest.fields import (
    PRODUCTS,
    FieldSpec,
    ResourceSpec,
    customers,
    strings,
)

CUSTOMCRM_RESOURCES: dict[str, ResourceSpec] = {
    spec.name: spec
    for spec in (
        # VatNumber: the natural key the Webcrm flow matches on.
        customers("VatNumber"),
        ResourceSpec(
            name="contacts",
            id_prefix="P-",
            fields={
                "CustomerId": FieldSpec(),
                "FirstName": FieldSpec(),
                "LastName": FieldSpec(required=True),
                **strings("Email", "Phone", "Mobile", "Title"),
            },
        ),
        PRODUCTS,
    )
}
