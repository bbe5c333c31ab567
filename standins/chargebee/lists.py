"""Chargebee lists: ``limit``/``offset`` paging, ``attr[op]`` filters, sorting.

``GET /{res}?limit=&offset=&include_deleted=&sort_by[asc]=updated_at&
updated_at[after]=<unix s>&id[is]=...`` answers
``{"list": [{"<res>": {...}}, ...], "next_offset": "..."}``; ``next_offset`` is
absent on the last page. The offset is opaque to clients; here it is the sort key
of the page's last row (keyset paging), so a record edited mid-listing moves to
its new place instead of shifting every later page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from standins.chargebee.errors import wrong_value
from standins.chargebee.form import (
    FormError,
    parse_bool,
    parse_int,
    parse_list_value,
    parse_params,
)
from standins.store import Entry

MAX_LIMIT = 100
DEFAULT_LIMIT = 10
STRING_OPS = frozenset({"is", "is_not", "starts_with", "in", "not_in", "is_present"})
TIME_OPS = frozenset({"after", "before", "on", "between", "is_present"})
BOOL_OPS = frozenset({"is", "is_present"})
_CONTROL = ("limit", "offset", "include_deleted", "sort_by")


@dataclass(frozen=True)
class ListSpec:
    """How one resource lists: filterable fields (name -> kind) and sort fields.

    Kinds are ``string``, ``timestamp`` and ``boolean``. Without ``sort_by`` a
    list is newest first (creation order, or ``default_sort`` descending).
    """

    key: str
    filters: Mapping[str, str]
    sort_fields: tuple[str, ...] = ("updated_at",)
    time_field: str = "updated_at"
    default_sort: str | None = None
    soft_delete: bool = True
    extra: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Filter:
    name: str
    kind: str
    op: str
    value: Any


def _time_value(entry: Entry, name: str, time_field: str) -> int | None:
    value = entry.record.get(name) if isinstance(entry.record, dict) else None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if name == time_field:
        # A malformed record still has a place in time-ordered listings.
        return int(entry.stamp.timestamp())
    return None


def _version(entry: Entry) -> int:
    value = (
        entry.record.get("resource_version") if isinstance(entry.record, dict) else None
    )
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(entry.stamp.timestamp() * 1000)


def _parse_filter(name: str, kind: str, raw: Any) -> list[_Filter]:
    if not isinstance(raw, dict) or not raw:
        msg = f"{name} : use a filter like {name}[is]=value"
        raise FormError(msg, name)
    ops = {"string": STRING_OPS, "timestamp": TIME_OPS, "boolean": BOOL_OPS}[kind]
    out: list[_Filter] = []
    for op, text in raw.items():
        param = f"{name}[{op}]"
        if op not in ops or not isinstance(text, str):
            msg_0 = f"{param} : unsupported filter"
            raise FormError(msg_0, param)
        value: Any = text
        if op == "is_present":
            value = parse_bool(text, param)
        elif op in ("in", "not_in"):
            value = parse_list_value(text)
        elif kind == "timestamp" and op == "between":
            value = [parse_int(v, param) for v in parse_list_value(text)]
            if len(value) != 2:
                msg_0 = f"{param} : expects [from,to]"
                raise FormError(msg_0, param)
        elif kind == "timestamp":
            value = parse_int(text, param)
        elif kind == "boolean":
            value = parse_bool(text, param)
        out.append(_Filter(name, kind, op, value))
    return out


def _matches(flt: _Filter, entry: Entry, spec: ListSpec) -> bool:
    record = entry.record if isinstance(entry.record, dict) else {}
    value: Any = record.get(flt.name)
    if flt.kind == "timestamp":
        value = _time_value(entry, flt.name, spec.time_field)
    if flt.op == "is_present":
        return (value not in (None, "")) is flt.value
    if value is None:
        return flt.op in ("is_not", "not_in")
    if flt.kind == "timestamp":
        if flt.op == "after":
            return bool(value > flt.value)
        if flt.op == "before":
            return bool(value < flt.value)
        if flt.op == "on":
            return bool(flt.value <= value < flt.value + 86400)
        return bool(flt.value[0] <= value <= flt.value[1])
    text = str(value).lower() if isinstance(value, bool) else str(value)
    checks: dict[str, Callable[[], bool]] = {
        "is": lambda: (
            text == str(flt.value).lower()
            if flt.kind == "boolean"
            else text == flt.value
        ),
        "is_not": lambda: text != flt.value,
        "starts_with": lambda: text.startswith(flt.value),
        "in": lambda: text in flt.value,
        "not_in": lambda: text not in flt.value,
    }
    return checks[flt.op]()


def _offset(text: str | None) -> tuple[int, int, int] | None:
    if text is None:
        return None
    try:
        decoded = orjson.loads(text)
        a, b, c = (int(part) for part in decoded)
    except (orjson.JSONDecodeError, TypeError, ValueError):
        msg = "offset : invalid value"
        raise wrong_value(msg, "offset") from None
    return a, b, c


def list_page(
    entries: list[tuple[Any, Entry]],
    pairs: list[tuple[str, str]],
    spec: ListSpec,
) -> dict[str, Any]:
    """One page of a listing, as Chargebee's JSON body."""
    try:
        query = parse_params(pairs)
        limit = parse_int(query.get("limit", str(DEFAULT_LIMIT)), "limit")
        deleted = parse_bool(query.get("include_deleted", "false"), "include_deleted")
        sort_field, descending = _sort(query.get("sort_by"), spec)
        filters = _filters(query, spec)
    except FormError as exc:
        raise wrong_value(str(exc), exc.param) from None
    if not 1 <= limit <= MAX_LIMIT:
        msg = f"limit : must be between 1 and {MAX_LIMIT}"
        raise wrong_value(msg, "limit")
    after = _offset(query.get("offset"))
    rows: list[tuple[tuple[int, int, int], Entry]] = []
    for position, (_, entry) in enumerate(entries):
        record = entry.record
        if (
            spec.soft_delete
            and not deleted
            and isinstance(record, dict)
            and record.get("deleted") is True
        ):
            continue
        if not all(_matches(flt, entry, spec) for flt in filters):
            continue
        first = position
        if sort_field is not None:
            first = _time_value(entry, sort_field, spec.time_field) or 0
        rows.append(((first, _version(entry), position), entry))
    rows.sort(key=lambda row: row[0], reverse=descending)
    if after is not None:
        rows = [r for r in rows if (r[0] < after if descending else r[0] > after)]
    page = rows[:limit]
    body: dict[str, Any] = {"list": [{spec.key: entry.record} for _, entry in page]}
    if len(rows) > limit:
        body["next_offset"] = orjson.dumps([str(v) for v in page[-1][0]]).decode()
    return body


def _sort(raw: Any, spec: ListSpec) -> tuple[str | None, bool]:
    if raw is None:
        return spec.default_sort, True
    if not isinstance(raw, dict) or len(raw) != 1:
        msg = "sort_by : use sort_by[asc]=attribute or sort_by[desc]=attribute"
        raise FormError(msg, "sort_by")
    [(direction, name)] = raw.items()
    if direction not in ("asc", "desc") or name not in spec.sort_fields:
        param = f"sort_by[{direction}]"
        allowed = ", ".join(spec.sort_fields)
        msg = f"{param} : cannot sort by {name!r}; use one of {allowed}"
        raise FormError(msg, param)
    return name, direction == "desc"


def _filters(query: dict[str, Any], spec: ListSpec) -> list[_Filter]:
    out: list[_Filter] = []
    for name, raw in query.items():
        if name in _CONTROL or name in spec.extra:
            continue
        kind = spec.filters.get(name)
        if kind is None:
            msg = f"{name} : is not a filter of this list"
            raise FormError(msg, name)
        out += _parse_filter(name, kind, raw)
    return out


_S, _T, _B = "string", "timestamp", "boolean"
LISTS: dict[str, ListSpec] = {
    "items": ListSpec(
        "item",
        {
            **dict.fromkeys(
                ("id", "item_family_id", "type", "name", "item_applicability",
                 "status", "usage_calculation", "channel", "business_entity_id"),
                _S,
            ),
            **dict.fromkeys(
                ("is_giftable", "enabled_for_checkout", "enabled_in_portal",
                 "metered"),
                _B,
            ),
            "updated_at": _T,
        },
    ),
    "orders": ListSpec(
        "order",
        {
            **dict.fromkeys(
                ("id", "invoice_id", "subscription_id", "status", "order_type",
                 "original_order_id"),
                _S,
            ),
            **dict.fromkeys(
                ("shipping_date", "shipped_at", "order_date", "paid_on",
                 "updated_at", "created_at"),
                _T,
            ),
        },
        sort_fields=("created_at", "updated_at"),
        default_sort="created_at",
    ),
    "customers": ListSpec(
        "customer",
        {
            **dict.fromkeys(
                ("id", "first_name", "last_name", "email", "company", "phone",
                 "auto_collection", "taxability", "channel", "business_entity_id"),
                _S,
            ),
            "created_at": _T,
            "updated_at": _T,
        },
        sort_fields=("created_at", "updated_at"),
        default_sort="created_at",
    ),
    "invoices": ListSpec(
        "invoice",
        {
            **dict.fromkeys(("id", "customer_id", "subscription_id", "status"), _S),
            "date": _T,
            "updated_at": _T,
        },
        sort_fields=("date", "updated_at"),
        default_sort="date",
    ),
    "item_families": ListSpec("item_family", {"id": _S, "name": _S, "updated_at": _T}),
    "events": ListSpec(
        "event",
        {
            **dict.fromkeys(("id", "event_type", "source", "webhook_status"), _S),
            "occurred_at": _T,
        },
        sort_fields=("occurred_at",),
        time_field="occurred_at",
        default_sort="occurred_at",
        soft_delete=False,
    ),
}  # fmt: skip
"""List behaviour per resource; the keys are the store tables."""
