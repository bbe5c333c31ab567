"""Deterministic Norwegian sample records for the Customwebshop stand-in."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from standins._samples import PLACES, fold
from standins.customrest.fields import format_time

Record = dict[str, Any]

_SHOPS = [
    "Fjord Bygg", "Nordlys Elektro", "Granskog Eiendom", "Havblikk Marine",
    "Solvang Konsult", "Tinde Energi", "Furulund Handel", "Bølge Design",
]  # fmt: skip
_PRODUCTS = [
    ("Servicepakke Basis", 499.0), ("Servicepakke Pro", 999.0), ("Sensor Mini", 249.0),
    ("Ruter Plus", 1290.0), ("Skjerm XL", 3490.0), ("Kabel 2 m", 89.0),
    ("Lisens Lite", 1490.0), ("Opplæring Nordic", 4990.0),
]  # fmt: skip
_BASE = datetime(2023, 6, 1, 8, 0, tzinfo=UTC)


def _stamps(rng: random.Random, count: int) -> list[str]:
    """Distinct, increasing ``UpdatedAt`` values within a year of ``_BASE``."""
    seconds = sorted(rng.sample(range(1, 365 * 24 * 3600), count))
    return [format_time(_BASE + timedelta(seconds=s)) for s in seconds]


def customwebshop_sample(
    customers: int = 8, products: int = 8, orders: int = 10, seed: int = 1
) -> dict[str, list[Record]]:
    """Customwebshop records per resource, for ``CustomwebshopStandIn.seed``.

    Customers are ``C-1001``.., products ``PR-1001``.., orders ``O-5001``.. (the
    references :func:`standins.chargebee.chargebee_sample` gives its orders), each
    order for one customer with one to three lines of the sample products.
    """
    if customers > len(_SHOPS) or products > len(_PRODUCTS):
        msg = f"at most {len(_SHOPS)} customers and {len(_PRODUCTS)} products"
        raise ValueError(msg)
    rng = random.Random(seed)
    data: dict[str, list[Record]] = {"customers": [], "products": [], "orders": []}
    for i, (name, stamp) in enumerate(
        zip(_SHOPS[:customers], _stamps(rng, customers), strict=True)
    ):
        city, code = rng.choice(PLACES)
        data["customers"].append(
            {
                "Id": f"C-{1001 + i}",
                "Name": f"{name} AS",
                "Email": f"post@{fold(name)}.no",
                "Phone": str(rng.randrange(2 * 10**7, 8 * 10**7)),
                "StreetAddress1": f"Storgata {rng.randrange(1, 80)}",
                "ZipCode": code,
                "City": city,
                "Country": "NO",
                "OrganizationNumber": f"9{rng.randrange(10**7, 10**8)}",
                "UpdatedAt": stamp,
            }
        )
    for i, ((name, price), stamp) in enumerate(
        zip(_PRODUCTS[:products], _stamps(rng, products), strict=True)
    ):
        data["products"].append(
            {
                "Id": f"PR-{1001 + i}",
                "Sku": f"SKU-{1001 + i}",
                "Name": name,
                "Price": price,
                "VatRate": 25.0,
                "UpdatedAt": stamp,
            }
        )
    for i, stamp in enumerate(_stamps(rng, orders)):
        chosen = rng.sample(data["products"], min(len(data["products"]), 3))
        lines = [
            {
                "ProductId": product["Id"],
                "Description": product["Name"],
                "Quantity": rng.randrange(1, 4),
                "UnitPrice": product["Price"],
                "VatRate": product["VatRate"],
            }
            for product in chosen[: rng.randrange(1, 4)]
        ]
        customer = data["customers"][i % customers]["Id"] if customers else ""
        data["orders"].append(
            {
                "Id": f"O-{5001 + i}",
                "Reference": str(70001 + i),
                "CustomerId": customer,
                "OrderDate": stamp[:10],
                "Lines": lines,
                "UpdatedAt": stamp,
            }
        )
    return data
