"""Deterministic Customcrm sample records: the part that already matches Webcrm's."""

from __future__ import annotations

import random
from typing import Any

Record = dict[str, Any]

FIRST_CUSTOMER_ID = 501


def customcrm_overlap(
    webcrm: dict[str, list[Record]], fraction: float = 0.2, seed: int = 1
) -> dict[str, list[Record]]:
    """Customcrm records that already match part of a Webcrm sample.

    A ``fraction`` of the organisations exist as customers (same VAT number, name
    and city), their persons as contacts (same e-mail), and that fraction of the
    products (same name): what initial matching must link instead of duplicating.
    Keys are the Customcrm resource names, ready for ``CustomcrmStandIn.seed``.
    """
    rng = random.Random(seed)
    orgs = webcrm.get("Organisations", [])
    chosen = rng.sample(orgs, round(len(orgs) * fraction))
    customers, contacts, ids = [], [], {}
    for i, org in enumerate(chosen):
        ids[org["OrganisationId"]] = f"C-{FIRST_CUSTOMER_ID + i}"
        customers.append(
            {
                "Id": ids[org["OrganisationId"]],
                "Name": org["OrganisationName"],
                "VatNumber": org["OrganisationVatNumber"],
                "StreetAddress1": org["OrganisationAddress"],
                "ZipCode": org["OrganisationPostCode"],
                "City": org["OrganisationCity"],
                "Country": org["OrganisationCountry"],
                "Phone": org["OrganisationTelephone"],
                "Website": org["OrganisationWww"],
            }
        )
    for person in webcrm.get("Persons", []):
        customer = ids.get(person["PersonOrganisationId"])
        if customer is not None:
            contacts.append(
                {
                    "CustomerId": customer,
                    "FirstName": person["PersonFirstName"],
                    "LastName": person["PersonLastName"],
                    "Email": person["PersonEmail"],
                    "Title": person["PersonTitle"],
                }
            )
    wc_products = webcrm.get("Products", [])
    products = [
        {
            "Name": p["ProductCombined"],
            "Description": p["ProductComment"],
            "Price": p["ProductPrice"],
            "VatRate": float(p["ProductVatCode"]),
        }
        for p in rng.sample(wc_products, round(len(wc_products) * fraction))
    ]
    return {"customers": customers, "contacts": contacts, "products": products}
