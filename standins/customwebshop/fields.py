"""Customwebshop's resource table (systems.md 7, 9.6) and its order checks.

Beyond the contract's top-level types, an order's ``Lines`` are checked line by
line (objects with ``ProductId``, ``Description``, ``Quantity``, ``UnitPrice``,
``VatRate``), ``OrderDate`` must be an ISO date and ``Status`` one of the shop's
states. ``Total`` (VAT included) is computed from the lines when a write sets
``Lines`` without a ``Total``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from standins._http import ApiError
from standins.customrest.fields import PRODUCTS, FieldSpec, ResourceSpec, customers
from standins.store import Record

ORDER_STATUSES = ("pending", "confirmed", "shipped", "delivered", "cancelled")

LINE_FIELDS: dict[str, FieldSpec] = {
    "ProductId": FieldSpec(),
    "Description": FieldSpec(),
    "Quantity": FieldSpec(kind="number", default=1),
    "UnitPrice": FieldSpec(kind="number", default=None),
    "VatRate": FieldSpec(kind="number", default=None),
}
"""The fields of one order line, with the values a line gets when they are absent."""


def _kind_ok(spec: FieldSpec, value: Any) -> bool:
    if value is None:
        return True
    if spec.kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


def check_lines(lines: Any) -> tuple[list[Record], list[str], list[dict[str, str]]]:
    """Order lines filled with defaults, plus shape (400) and value (422) problems."""
    if not isinstance(lines, list):
        return [], [], []  # the generic check reports a Lines that is not a list
    clean: list[Record] = []
    shape: list[str] = []
    values: list[dict[str, str]] = []
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            shape.append(f"Lines.{index} must be an object")
            continue
        unknown = sorted(set(line) - set(LINE_FIELDS))
        if unknown:
            shape.append(f"unknown field(s) in Lines.{index}: {', '.join(unknown)}")
        for name, spec in LINE_FIELDS.items():
            if name in line and not _kind_ok(spec, line[name]):
                message = f"expected {spec.kind}"
                values.append({"field": f"Lines.{index}.{name}", "message": message})
        filled = {
            name: line.get(name, spec.default) for name, spec in LINE_FIELDS.items()
        }
        if filled["ProductId"] is None:
            filled["ProductId"] = ""
        if filled["Description"] is None:
            filled["Description"] = ""
        clean.append(filled)
    return clean, shape, values


def order_total(lines: list[Record]) -> float | None:
    """The VAT-inclusive total of well-formed lines (None when a price is missing)."""
    total = 0.0
    for line in lines:
        quantity, price = line.get("Quantity"), line.get("UnitPrice")
        if not isinstance(quantity, int | float) or not isinstance(price, int | float):
            return None
        vat = line.get("VatRate")
        rate = float(vat) if isinstance(vat, int | float) else 0.0
        total += float(quantity) * float(price) * (1 + rate / 100)
    return round(total, 2)


def check_order(body: Any) -> Any:
    """Validate and complete an order body (POST/PUT, or a seed); ``ApiError``."""
    if not isinstance(body, dict):
        return body
    shape: list[str] = []
    values: list[dict[str, str]] = []
    if "Lines" in body:
        lines, shape, values = check_lines(body["Lines"])
        if isinstance(body["Lines"], list):
            body = {**body, "Lines": lines}
            if "Total" not in body:
                body["Total"] = order_total(lines)
    when = body.get("OrderDate")
    if isinstance(when, str) and when:
        try:
            date.fromisoformat(when)
        except ValueError:
            values.append({"field": "OrderDate", "message": "expected YYYY-MM-DD"})
    status = body.get("Status")
    if isinstance(status, str) and status not in ORDER_STATUSES:
        message = f"expected one of {', '.join(ORDER_STATUSES)}"
        values.append({"field": "Status", "message": message})
    if shape:
        raise ApiError(400, {"error": "bad_request", "detail": "; ".join(shape)})
    if values:
        raise ApiError(422, {"error": "validation", "detail": values})
    return body


CUSTOMWEBSHOP_RESOURCES: dict[str, ResourceSpec] = {
    spec.name: spec
    for spec in (
        customers("VatNumber", "OrganizationNumber"),
        ResourceSpec(
            name="orders",
            id_prefix="O-",
            first_id=5001,
            fields={
                "Reference": FieldSpec(),
                "CustomerId": FieldSpec(),
                "OrderDate": FieldSpec(),
                "Currency": FieldSpec(default="NOK"),
                "Status": FieldSpec(default="confirmed"),
                "Lines": FieldSpec(kind="list", default=[]),
                "Total": FieldSpec(kind="number", default=None),
            },
            check=check_order,
        ),
        PRODUCTS,
    )
}
