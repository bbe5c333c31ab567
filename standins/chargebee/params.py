"""The parameters each Chargebee write accepts (SDK ``CreateParams``/``UpdateParams``).

Form values arrive as text; ``read_params`` types them per parameter and refuses
what the endpoint does not take. Refusing an unknown parameter is our choice
[assumption]: silently dropping it, as a lenient server might, would hide a
connector writing a field Chargebee never stores.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import orjson

from standins.chargebee.form import FormError, parse_bool, parse_int

ORDER_STATUSES = frozenset(
    {
        "new", "processing", "complete", "cancelled", "voided", "queued",
        "awaiting_shipment", "on_hold", "delivered", "shipped",
        "partially_delivered", "returned",
    }
)  # fmt: skip
LINE_STATUSES = frozenset(
    {
        "queued", "awaiting_shipment", "on_hold", "delivered", "shipped",
        "partially_delivered", "returned", "cancelled",
    }
)  # fmt: skip
CANCELLATION_REASONS = frozenset(
    {
        "shipping_cut_off_passed", "product_unsatisfactory",
        "third_party_cancellation", "product_not_required", "delivery_date_missed",
        "alternative_found", "invoice_written_off", "invoice_voided",
        "fraudulent_transaction", "payment_declined", "subscription_cancelled",
        "product_not_available", "others", "order_resent",
    }
)  # fmt: skip
ADDRESS_FIELDS = frozenset(
    {
        "first_name", "last_name", "email", "company", "phone", "line1", "line2",
        "line3", "city", "state_code", "state", "country", "zip",
        "validation_status",
    }
)  # fmt: skip
# Ids: 1-50 characters from this set [assumption: Chargebee documents the length].
ID_PATTERN = re.compile(r"^[A-Za-z0-9_.~@-]{1,50}$")


@dataclass(frozen=True)
class Param:
    """One parameter: its kind, allowed values (enums), sub-fields (objects)."""

    kind: str = "str"
    choices: frozenset[str] = frozenset()
    fields: frozenset[str] = frozenset()
    max_length: int | None = None


STR = Param()
INT = Param("int")
BOOL = Param("bool")
JSON = Param("json")
ID = Param("id")
ADDRESS = Param("object", fields=ADDRESS_FIELDS)


def enum(*choices: str) -> Param:
    """An enum parameter."""
    return Param("enum", choices=frozenset(choices))


ITEM_UPDATE: dict[str, Param] = {
    "name": Param(max_length=100),
    "description": Param(max_length=2000),
    "external_name": Param(max_length=100),
    "item_family_id": STR,
    "is_shippable": BOOL,
    "enabled_in_portal": BOOL,
    "enabled_for_checkout": BOOL,
    "redirect_url": STR,
    "item_applicability": enum("all", "restricted"),
    "applicable_items": Param("list"),
    "unit": STR,
    "metadata": JSON,
    "included_in_mrr": BOOL,
    "status": enum("active", "archived"),
}
ITEM_CREATE: dict[str, Param] = {
    **{k: v for k, v in ITEM_UPDATE.items() if k != "status"},
    "id": ID,
    "type": enum("plan", "addon", "charge"),
    "is_giftable": BOOL,
    "metered": BOOL,
    "usage_calculation": enum("sum_of_usages", "last_usage", "max_usage"),
    "business_entity_id": STR,
}
ITEM_REQUIRED = ("id", "name", "type", "item_family_id")

ORDER_CREATE: dict[str, Param] = {
    "id": ID,
    "invoice_id": STR,
    "status": Param("enum", choices=ORDER_STATUSES),
    "reference_id": STR,
    "fulfillment_status": STR,
    "note": STR,
    "tracking_id": STR,
    "tracking_url": STR,
    "batch_id": STR,
}
ORDER_UPDATE: dict[str, Param] = {
    "reference_id": STR,
    "batch_id": STR,
    "note": STR,
    "shipping_date": INT,
    "order_date": INT,
    "cancelled_at": INT,
    "cancellation_reason": Param("enum", choices=CANCELLATION_REASONS),
    "shipped_at": INT,
    "delivered_at": INT,
    "order_line_items": Param("objects", fields=frozenset({"id", "status", "sku"})),
    "tracking_url": STR,
    "tracking_id": STR,
    "shipment_carrier": STR,
    "fulfillment_status": STR,
    "status": Param("enum", choices=ORDER_STATUSES),
    "shipping_address": ADDRESS,
}
ORDER_CANCEL: dict[str, Param] = {
    "cancellation_reason": Param("enum", choices=CANCELLATION_REASONS),
    "customer_notes": STR,
    "comment": STR,
    "cancelled_at": INT,
}

CUSTOMER_UPDATE: dict[str, Param] = {
    "first_name": STR,
    "last_name": STR,
    "email": STR,
    "phone": STR,
    "company": STR,
    "preferred_currency_code": STR,
    "auto_collection": enum("on", "off"),
    "net_term_days": INT,
    "taxability": enum("taxable", "exempt"),
    "locale": STR,
    "meta_data": JSON,
}
CUSTOMER_BILLING: dict[str, Param] = {"billing_address": ADDRESS, "vat_number": STR}
CUSTOMER_CREATE: dict[str, Param] = {
    **CUSTOMER_UPDATE,
    **CUSTOMER_BILLING,
    "id": ID,
    "business_entity_id": STR,
}


def _typed(name: str, param: Param, value: Any) -> Any:
    if param.kind == "object":
        if not isinstance(value, dict):
            msg = f"{name} : expected {name}[field] parameters"
            raise FormError(msg, name)
        unknown = sorted(set(value) - param.fields)
        if unknown:
            msg = f"{name}[{unknown[0]}] : unknown parameter"
            raise FormError(msg, name)
        return {k: v for k, v in value.items() if v != ""}
    if param.kind == "objects":
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            msg = f"{name} : expected {name}[field][i] parameters"
            raise FormError(msg, name)
        for element in value:
            unknown = sorted(set(element) - param.fields)
            if unknown:
                msg = f"{name}[{unknown[0]}] : unknown parameter"
                raise FormError(msg, name)
        return value
    if param.kind == "list":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            msg = f"{name} : expected {name}[i] parameters"
            raise FormError(msg, name)
        return value
    if not isinstance(value, str):
        msg = f"{name} : expected a single value"
        raise FormError(msg, name)
    if value == "":
        return None  # the SDK sends None as an empty string: the field is cleared
    return _scalar(name, param, value)


def _scalar(name: str, param: Param, value: str) -> Any:
    if param.kind == "int":
        return parse_int(value, name)
    if param.kind == "bool":
        return parse_bool(value, name)
    if param.kind == "enum" and value not in param.choices:
        msg = f"{name} : invalid value {value!r}"
        raise FormError(msg, name)
    if param.kind == "id" and not ID_PATTERN.match(value):
        msg = f"{name} : must be 1-50 letters, digits or _ . ~ @ -"
        raise FormError(msg, name)
    if param.kind == "json":
        try:
            decoded = orjson.loads(value)
        except orjson.JSONDecodeError:
            decoded = None
        if not isinstance(decoded, dict):
            msg_0 = f"{name} : must be a JSON object"
            raise FormError(msg_0, name)
        return decoded
    if param.max_length is not None and len(value) > param.max_length:
        msg = f"{name} : cannot be longer than {param.max_length} characters"
        raise FormError(msg, name)
    return value


def read_params(
    spec: dict[str, Param], raw: dict[str, Any], required: tuple[str, ...] = ()
) -> dict[str, Any]:
    """Typed parameters of one write; ``FormError`` names the first bad one."""
    unknown = sorted(set(raw) - set(spec))
    if unknown:
        msg = f"{unknown[0]} : unknown parameter"
        raise FormError(msg, unknown[0])
    params = {name: _typed(name, spec[name], value) for name, value in raw.items()}
    for name in required:
        if params.get(name) in (None, ""):
            msg = f"{name} : cannot be blank"
            raise FormError(msg, name)
    return params
