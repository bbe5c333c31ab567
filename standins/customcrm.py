"""A local stand-in of Customcrm, our own contract (systems.md 7 and 9.6, [assumption]).

Resources: ``customers`` (``C-``), ``contacts`` (``P-``), ``products`` (``PR-``). The
customer field set is the 2024-09 "Custom CRM Customer" schema plus ``VatNumber``
(the natural key the Webcrm flow matches on). No rate limit by default.
"""

from __future__ import annotations

from typing import ClassVar

from standins._customrest_fields import FieldSpec, ResourceSpec, strings
from standins.customrest import CustomRestStandIn

DEFAULT_API_KEY = "standin-customcrm-key"

CUSTOMCRM_RESOURCES: dict[str, ResourceSpec] = {
    spec.name: spec
    for spec in (
        ResourceSpec(
            name="customers",
            id_prefix="C-",
            fields={
                "Name": FieldSpec(required=True),
                **strings(
                    "Email",
                    "Phone",
                    "Fax",
                    "Website",
                    "Description",
                    "StreetAddress1",
                    "StreetAddress2",
                    "ZipCode",
                    "City",
                    "Country",
                    "VatNumber",
                ),  # fmt: skip
            },
        ),
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
        ResourceSpec(
            name="products",
            id_prefix="PR-",
            fields={
                "Sku": FieldSpec(),
                "Name": FieldSpec(required=True),
                "Description": FieldSpec(),
                "Price": FieldSpec(kind="number", default=None),
                "Currency": FieldSpec(default="NOK"),
                "VatRate": FieldSpec(kind="number", default=None),
                "Active": FieldSpec(kind="bool", default=True),
            },
        ),
    )
}


class CustomcrmStandIn(CustomRestStandIn):
    """Customcrm on 127.0.0.1: ``customers``, ``contacts``, ``products``."""

    system: ClassVar[str] = "customcrm"
    specs: ClassVar[dict[str, ResourceSpec]] = CUSTOMCRM_RESOURCES
    resources: ClassVar[tuple[str, ...]] = tuple(CUSTOMCRM_RESOURCES)
    default_api_key: ClassVar[str] = DEFAULT_API_KEY
