"""Deterministic Chargebee sample data: business entities, customers, items, orders."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from standins._samples import slug

if TYPE_CHECKING:
    from standins.chargebee.app import ChargebeeStandIn

Record = dict[str, Any]

_START = int(datetime(2023, 1, 2, 8, tzinfo=UTC).timestamp())
_YEAR = 365 * 24 * 3600
_ENTITY_NAMES = [
    "Acme Norge AS", "Fjordline Handel AS", "Nordlys Medlemsservice AS",
    "Vestkyst Abonnement AS", "Øresund Billing ApS", "Granskog Digital AS",
]  # fmt: skip
_PRODUCTS = [
    "Medlemskap Basis", "Medlemskap Pro", "Servicepakke Plus", "Kurs Grunnleggende",
    "Kurs Videregående", "Konferansebillett", "Fagbok Nordic", "Støttemedlemskap",
    "Lisens Lite", "Lisens Enterprise", "Opplæring XL", "Skylagring Mini",
]  # fmt: skip
_FIRST = ["Kari", "Ola", "Ingrid", "Lars", "Mette", "Søren", "Anne", "Jens"]
_LAST = ["Nordmann", "Hansen", "Berg", "Dahl", "Lie", "Holm", "Lund", "Bakke"]


def _times(rng: random.Random, count: int) -> list[int]:
    """Distinct, increasing Unix seconds in 2023."""
    return sorted(rng.sample(range(_START, _START + _YEAR), count))


def chargebee_sample(
    business_entities: list[str] | None = None,
    customers: int = 8,
    items: int = 12,
    orders: int = 10,
    order_references: list[str] | None = None,
    seed: int = 1,
) -> dict[str, list[Record]]:
    """Records per stand-in table, ready for ``ChargebeeStandIn.seed`` in this order.

    ``business_entities`` are names (default: six made-up companies); each becomes
    an entity seen as a ``business_entity_created`` event. Every order has its
    own invoice; ``order_references`` become the orders' ``reference_id`` (by
    default ``O-5001``..., the ids Customwebshop gives its first orders), which
    is what the Customwebshop -> Chargebee order flow matches on.
    """
    rng = random.Random(seed)
    names = business_entities if business_entities is not None else _ENTITY_NAMES
    references = order_references or [f"O-{5001 + i}" for i in range(orders)]
    if len(references) < orders or items > len(_PRODUCTS):
        msg = f"at most {len(_PRODUCTS)} items and one reference per order"
        raise ValueError(msg)
    entity_times = _times(rng, max(len(names), 1))
    data: dict[str, list[Record]] = {
        "business_entities": [
            {"id": slug(name), "name": name, "updated_at": when}
            for name, when in zip(names, entity_times, strict=False)
        ]
    }
    data["customers"] = []
    for i, when in enumerate(_times(rng, customers)):
        first, last = rng.choice(_FIRST), rng.choice(_LAST)
        data["customers"].append(
            {
                "id": f"cust_{1001 + i}",
                "first_name": first,
                "last_name": last,
                "email": f"{slug(first)}.{slug(last)}{i}@example.no",
                "company": rng.choice(_ENTITY_NAMES),
                "preferred_currency_code": "NOK",
                "billing_address": {"city": "Oslo", "zip": "0155", "country": "NO"},
                "updated_at": when,
            }
        )
    chosen = _PRODUCTS[:items]
    data["items"] = [
        {
            "id": slug(name),
            "name": name,
            "description": f"{name} for medlemmer",
            "type": "charge",
            "item_family_id": "webshop-products",
            "updated_at": when,
        }
        for name, when in zip(chosen, _times(rng, items), strict=True)
    ]
    data["invoices"], data["orders"] = [], []
    for i, when in enumerate(_times(rng, orders)):
        name = rng.choice(chosen) if chosen else "Medlemskap"
        quantity, unit = rng.randrange(1, 4), rng.randrange(200, 2000) * 100
        amount = quantity * unit
        customer = data["customers"][i % customers]["id"] if customers else None
        invoice = {
            "id": f"inv_{501 + i}",
            "customer_id": customer,
            "date": when,
            "updated_at": when,
            "line_items": [
                {
                    "id": f"li_{501 + i}",
                    "entity_type": "charge_item_price",
                    "entity_id": f"{slug(name)}-NOK",
                    "description": name,
                    "unit_amount": unit,
                    "quantity": quantity,
                    "amount": amount,
                    "tax_amount": amount // 4,
                }
            ],
        }
        data["invoices"].append(invoice)
        data["orders"].append(
            {
                "id": f"ord_{1001 + i}",
                "document_number": str(1001 + i),
                "invoice_id": invoice["id"],
                "customer_id": customer,
                "reference_id": references[i],
                "currency_code": "NOK",
                "order_date": when,
                "sub_total": amount,
                "tax": amount // 4,
                "total": amount + amount // 4,
                "order_line_items": [
                    {
                        "id": f"oli_{1001 + i}",
                        "invoice_id": invoice["id"],
                        "invoice_line_item_id": f"li_{501 + i}",
                        "entity_type": "charge_item_price",
                        "entity_id": f"{slug(name)}-NOK",
                        "description": name,
                        "sku": slug(name),
                        "unit_price": unit,
                        "fulfillment_quantity": quantity,
                        "amount": amount,
                        "tax_amount": amount // 4,
                        "is_shippable": False,
                        "status": "queued",
                    }
                ],
                "updated_at": when + 3600,
            }
        )
    return data


def seed_chargebee(standin: ChargebeeStandIn, **kwargs: Any) -> dict[str, list[Record]]:
    """Seed a Chargebee stand-in with :func:`chargebee_sample`; returns the records."""
    data = chargebee_sample(**kwargs)
    return {table: standin.seed(table, records) for table, records in data.items()}
