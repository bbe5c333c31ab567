"""Chargebee request encoding: the SDK's bracket notation, Unix times, derived ids."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any

import orjson

JSON_PARAMS = frozenset({"metadata", "meta_data"})
"""Parameters Chargebee takes as one JSON text rather than bracketed fields."""


def _text(value: Any) -> str:
    if value is None:
        return ""  # the SDK's way of clearing a field
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _indexed(value: Any) -> Any:
    """An object keyed ``"0"``, ``"1"``... (a path-built list) as a real list."""
    if isinstance(value, Mapping) and value and all(str(k).isdigit() for k in value):
        size = max(int(k) for k in value) + 1
        items: list[Any] = [{} for _ in range(size)]
        for key, item in value.items():
            items[int(key)] = item
        return items
    return value


def _flatten(value: Any, prefix: str, out: dict[str, str]) -> None:
    value = _indexed(value)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(item, f"{prefix}[{key}]", out)
    elif isinstance(value, list | tuple):
        for index, element in enumerate(value):
            element = _indexed(element)
            if isinstance(element, Mapping):
                # Lists of objects put the index last: a[field][i].
                for key, item in element.items():
                    _flatten(item, f"{prefix}[{key}][{index}]", out)
            else:
                out[f"{prefix}[{index}]"] = _text(element)
    else:
        out[prefix] = _text(value)


def form_fields(params: Mapping[str, Any]) -> dict[str, str]:
    """Nested parameters as Chargebee's form fields, exactly as its SDK sends them.

    ``{"billing_address": {"city": "Oslo"}}`` -> ``billing_address[city]=Oslo``;
    ``{"order_line_items": [{"id": "li_1"}]}`` -> ``order_line_items[id][0]=li_1``;
    ``{"applicable_items": ["a"]}`` -> ``applicable_items[0]=a``; booleans are
    ``true``/``false``, ``None`` is empty; ``metadata`` is sent as JSON text.
    """
    out: dict[str, str] = {}
    for name, value in params.items():
        if name in JSON_PARAMS and isinstance(value, Mapping):
            out[name] = orjson.dumps(value).decode()
        else:
            _flatten(value, name, out)
    return out


def filter_list(values: list[str]) -> str:
    """The value of an ``in``/``not_in`` filter: ``["a","b"]``."""
    return orjson.dumps(values).decode()


def to_unix(value: Any) -> int | None:
    """Unix seconds from an int, an aware datetime or ISO text (a date: midnight UTC).

    Raises:
        ValueError: The value is not a time.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        msg = "expected a timestamp, got a boolean"
        raise ValueError(msg)
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            msg = f"expected an ISO-8601 time, got {text[:40]!r}"
            raise ValueError(msg) from None
        if len(text) == 10:
            parsed = datetime.combine(date.fromisoformat(text), datetime.min.time())
            parsed = parsed.replace(tzinfo=UTC)
        if parsed.tzinfo is None:
            msg = f"time {text[:40]!r} has no time zone"
            raise ValueError(msg)
        return int(parsed.timestamp())
    if isinstance(value, datetime) and value.tzinfo is not None:
        return int(value.timestamp())
    msg = f"expected a timestamp, got {type(value).__name__}"
    raise ValueError(msg)


def derived_id(idempotency_key: str) -> str:
    """A client-chosen id (<= 50 characters) that is the same for every retry.

    Chargebee lets the client choose item and customer ids, so a create retried
    with the same idempotency key asks for the same id and cannot make a second.
    """
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()
    return f"tether-{digest[:32]}"
