"""How Chargebee lays out its resources, and how writes change them.

Optional fields that are not set are absent from the JSON, as Chargebee does;
clearing a field (the SDK sends ``None`` as an empty value) removes it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from datetime import datetime

from schemas.chargebee import datetime_to_millis
from standins.chargebee.errors import api_error, wrong_value
from standins.store import Record

ITEM_DEFAULTS: Record = {
    "status": "active",
    "item_applicability": "all",
    "is_shippable": False,
    "is_giftable": False,
    "enabled_for_checkout": True,
    "enabled_in_portal": True,
    "metered": False,
    "channel": "web",
}


def stamp(tick: datetime) -> Record:
    """``updated_at`` (Unix seconds) and ``resource_version`` (ms) for a write."""
    millis = datetime_to_millis(tick)
    return {"updated_at": millis // 1000, "resource_version": millis}


def merge(record: Record, params: Record) -> Record:
    """``params`` applied to ``record``: ``None`` clears, objects merge by field."""
    out = copy.deepcopy(record)
    for name, value in params.items():
        if value is None:
            out.pop(name, None)
        elif isinstance(value, dict) and isinstance(out.get(name), dict):
            out[name] = {**out[name], **value}
        else:
            out[name] = value
    return out


def new_item(params: Record, tick: datetime) -> Record:
    """A created item: defaults, the given fields, server fields."""
    item = merge({"id": params["id"], "name": params["name"], **ITEM_DEFAULTS}, params)
    item.setdefault("external_name", item["name"])
    return {**item, **stamp(tick), "deleted": False, "object": "item"}


def new_customer(params: Record, key: str, tick: datetime) -> Record:
    """A created customer."""
    customer = merge({"auto_collection": "on", "net_term_days": 0}, params)
    seconds = stamp(tick)
    customer |= {
        "id": key,
        "taxability": customer.get("taxability", "taxable"),
        "channel": "web",
        "created_at": seconds["updated_at"],
        **seconds,
        "deleted": False,
        "object": "customer",
    }
    if isinstance(customer.get("billing_address"), dict):
        customer["billing_address"] = {
            **customer["billing_address"],
            "object": "billing_address",
        }
    return customer


def new_order(
    params: Record, invoice: Record, key: str, number: int, tick: datetime
) -> Record:
    """An order made for ``invoice``: its customer, currency, lines and amounts."""
    seconds = stamp(tick)
    lines = []
    for index, line in enumerate(invoice.get("line_items") or []):
        if not isinstance(line, dict):
            continue
        amount = line.get("amount") or 0
        lines.append(
            _present(
                {
                    "id": f"{key}-li{index + 1}",
                    "invoice_id": invoice["id"],
                    "invoice_line_item_id": line.get("id"),
                    "entity_type": line.get("entity_type", "adhoc"),
                    "entity_id": line.get("entity_id"),
                    "description": line.get("description"),
                    "unit_price": line.get("unit_amount"),
                    "fulfillment_quantity": line.get("quantity"),
                    "amount": amount,
                    "fulfillment_amount": amount,
                    "tax_amount": line.get("tax_amount", 0),
                    "amount_paid": 0,
                    "amount_adjusted": 0,
                    "is_shippable": True,
                    "status": "queued",
                    "object": "order_line_item",
                }
            )
        )
    order: Record = {
        "id": key,
        "document_number": str(number),
        "invoice_id": invoice["id"],
        "customer_id": invoice.get("customer_id"),
        "status": "new",
        "order_type": "manual",
        "price_type": "tax_exclusive",
        "currency_code": invoice.get("currency_code"),
        "order_date": invoice.get("date", seconds["updated_at"]),
        "created_by": "api",
        "sub_total": invoice.get("sub_total", 0),
        "tax": invoice.get("tax", 0),
        "total": invoice.get("total", 0),
        "amount_paid": invoice.get("amount_paid", 0),
        "amount_adjusted": 0,
        "order_line_items": lines,
        "created_at": seconds["updated_at"],
        "status_update_at": seconds["updated_at"],
    }
    if invoice.get("subscription_id"):
        order["subscription_id"] = invoice["subscription_id"]
    order = merge(order, {k: v for k, v in params.items() if k != "invoice_id"})
    return {**order, **seconds, "deleted": False, "is_gifted": False, "object": "order"}


def _present(record: Record) -> Record:
    """``record`` without its unset (``None``) fields, as Chargebee renders it."""
    return {name: value for name, value in record.items() if value is not None}


def update_order(record: Record, params: Record, tick: datetime) -> Record:
    """An order after ``POST /orders/{id}``: line items are changed by their id."""
    changes = dict(params)
    line_changes = changes.pop("order_line_items", None)
    order = merge(record, changes)
    if line_changes:
        by_id = {line.get("id"): line for line in order.get("order_line_items", [])}
        for change in line_changes:
            target = by_id.get(change.get("id"))
            if target is None:
                msg = f"order_line_items[id] : no line {change.get('id')!r} here"
                raise wrong_value(msg, "order_line_items[id]")
            target.update({k: v for k, v in change.items() if k != "id" and v != ""})
    if "status" in changes:
        order["status_update_at"] = stamp(tick)["updated_at"]
    return {**order, **stamp(tick)}


def refuse_if_deleted(record: Record, what: str) -> None:
    """400 ``invalid_state_for_request``: a deleted resource cannot be changed."""
    if record.get("deleted") is True:
        msg = f"The {what} {record.get('id')} is in deleted state"
        raise api_error(400, msg, "invalid_state_for_request")


def invoice_record(record: Record, tick: datetime) -> Record:
    """A seeded invoice with Chargebee's defaults and server fields."""
    lines = [
        {"object": "line_item", "entity_type": "adhoc", **line}
        for line in record.get("line_items", [])
        if isinstance(line, dict)
    ]
    sub_total = sum(int(line.get("amount") or 0) for line in lines)
    tax = sum(int(line.get("tax_amount") or 0) for line in lines)
    seconds = stamp(tick)
    base: Record = {
        "status": "paid",
        "currency_code": "NOK",
        "date": seconds["updated_at"],
        "sub_total": sub_total,
        "tax": tax,
        "total": sub_total + tax,
        "amount_paid": sub_total + tax,
    }
    return {
        **base,
        **record,
        "line_items": lines,
        "deleted": False,
        "object": "invoice",
    }


SEED_DEFAULTS: dict[str, Record] = {
    "items": ITEM_DEFAULTS,
    "item_families": {"status": "active"},
    "orders": {
        "status": "queued",
        "order_type": "system_generated",
        "price_type": "tax_exclusive",
        "order_line_items": [],
    },
    "customers": {"auto_collection": "on", "taxability": "taxable"},
    "business_entities": {"status": "active"},
}
"""What a seeded record gets when the test leaves it out."""


def seeded(
    resource: str,
    record: Record,
    now: Callable[[], datetime],
    names: Mapping[str, str],
) -> Record:
    """A record given by a test (seed), with defaults and server fields.

    ``updated_at`` may be given (Unix seconds, as int or digits) and then also
    sets ``resource_version``; otherwise both come from ``now()``.
    """
    full = SEED_DEFAULTS.get(resource, {}) | record
    if resource == "invoices":
        full = invoice_record(full, now())
    if resource == "items":
        full.setdefault("external_name", full.get("name"))
    given = full.get("updated_at")
    if isinstance(given, str) and given.isdigit():
        given = full["updated_at"] = int(given)
    if isinstance(given, int) and not isinstance(given, bool):
        full.setdefault("resource_version", given * 1000)
    else:
        full |= stamp(now())
    if resource in ("orders", "customers", "business_entities"):
        full.setdefault("created_at", full["updated_at"])
    return full | {
        "deleted": bool(full.get("deleted", False)),
        "object": names[resource],
    }
