"""Property mapping: read and write dotted paths, coerce values to a flow's data types.

Values are compared in a *canonical* form per data type, so that "25", 25 and 25.0
mapped to a decimal are the same value and a write never ping-pongs over spelling.
Plain functions, no Kafka: the flow logic and ``tether verify`` both use them.
"""

from __future__ import annotations

import copy
import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from connectors.errors import CoercionError
from schemas.countries import country_key
from schemas.dataflow import DataType, Flow, PropertyRow
from schemas.paths import get_value, set_value
from schemas.utc import utc_text

_TRUE = {"true", "1", "yes", "y", "on", "ja", "sann"}
_FALSE = {"false", "0", "no", "n", "off", "nei", "", "usann"}

# A reference resolver maps (flow name, id on one side) to the id on the other side.
Resolver = Callable[[str, str], "str | None"]


def row_key(row: PropertyRow) -> str:
    """A stable name for a row, used as the key of synced values in a link."""
    return f"{row.source}->{row.target}"


def is_empty(value: Any) -> bool:
    """Empty for conflict rules: ``None`` or a blank string."""
    return value is None or (isinstance(value, str) and not value.strip())


def _format_number(number: float) -> str:
    if number.is_integer():
        return str(int(number))
    return repr(number)


def _to_string(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return _format_number(value)
    if isinstance(value, int | str):
        return str(value)
    msg = f"expected text, got {type(value).__name__}"
    raise CoercionError(msg)


def _to_decimal(value: Any) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        msg = "expected a number, got a boolean"
        raise CoercionError(msg)
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        text = value.strip().replace(" ", "").replace("\u00a0", "")
        if "," in text and "." not in text:
            text = text.replace(",", ".")  # Nordic decimal comma
        try:
            number = float(text)
        except ValueError:
            msg = f"expected a number, got {value[:40]!r}"
            raise CoercionError(msg) from None
    else:
        msg = f"expected a number, got {type(value).__name__}"
        raise CoercionError(msg)
    if not math.isfinite(number):
        msg = "expected a finite number"
        raise CoercionError(msg)
    return round(number, 6)


def _to_integer(value: Any) -> int | None:
    number = _to_decimal(value)
    if number is None:
        return None
    if not number.is_integer():
        msg = f"expected a whole number, got {number}"
        raise CoercionError(msg)
    return int(number)


def _to_boolean(value: Any) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False if text else None
    msg = f"expected a boolean, got {str(value)[:40]!r}"
    raise CoercionError(msg)


def _to_datetime(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            moment = datetime.fromtimestamp(value, UTC)
        except (ValueError, OverflowError, OSError):
            # Out of datetime's range (or NaN): one bad value, not a crash.
            msg = f"expected a timestamp, got {value!r}, outside the calendar"
            raise CoercionError(msg) from None
        return utc_text(moment, zulu=False)
    if not isinstance(value, str):
        msg = f"expected a timestamp, got {type(value).__name__}"
        raise CoercionError(msg)
    text = value.strip()
    try:
        if len(text) == 10:  # a calendar date: the day starts at midnight UTC
            midnight = datetime.combine(date.fromisoformat(text), time(0), UTC)
            return utc_text(midnight, zulu=False)
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        msg = f"expected an ISO-8601 timestamp, got {value[:40]!r}"
        raise CoercionError(msg) from None
    if parsed.tzinfo is None:
        msg = f"timestamp {value[:40]!r} has no time zone"
        raise CoercionError(msg)
    return utc_text(parsed, zulu=False)


def _to_date(value: Any) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        msg = f"expected a date, got {type(value).__name__}"
        raise CoercionError(msg)
    try:
        return date.fromisoformat(value.strip()[:10]).isoformat()
    except ValueError:
        msg = f"expected an ISO-8601 date, got {value[:40]!r}"
        raise CoercionError(msg) from None


_COERCERS: dict[DataType, Callable[[Any], Any]] = {
    DataType.STRING: _to_string,
    DataType.INTEGER: _to_integer,
    DataType.DECIMAL: _to_decimal,
    DataType.BOOLEAN: _to_boolean,
    DataType.DATETIME: _to_datetime,
    DataType.DATE: _to_date,
}


def coerce(value: Any, data_type: DataType) -> Any:
    """The canonical form of ``value`` as ``data_type``; raises ``CoercionError``."""
    return _COERCERS[data_type](value)


def normalize_key(value: Any, how: str) -> str:
    """A natural-key value normalised for matching (``text``, ``alnum``, ``email``)."""
    text = unicodedata.normalize("NFKC", _to_string(value)).strip()
    if how == "alnum":
        return re.sub(r"[\W_]+", "", text).upper()
    if how == "email":
        return text.lower()
    if how == "country":
        return country_key(text)
    return " ".join(text.casefold().split())


def project_source(
    flow: Flow, record: Mapping[str, Any] | None, resolve: Resolver
) -> dict[str, Any]:
    """The source record's mapped values, canonical and in the target's id space.

    A reference that has no link yet maps to ``None`` here; callers that need it
    check ``unresolved_references``.
    """
    values: dict[str, Any] = {}
    for row in flow.properties:
        raw = get_value(record, row.source)
        if row.references:
            ref = _to_string(raw)
            resolved = resolve(row.references, ref) if ref else ""
            values[row_key(row)] = "" if resolved is None and row.optional else resolved
            continue
        values[row_key(row)] = _coerce_field(raw, row.data_type, row.source)
    return values


def _coerce_field(raw: Any, data_type: DataType, field: str) -> Any:
    """``coerce``, with the field named in the error (the operator's first question)."""
    try:
        return coerce(raw, data_type)
    except CoercionError as exc:
        msg = f"{field}: {exc}"
        raise CoercionError(msg) from exc


def unresolved_references(
    flow: Flow, record: Mapping[str, Any] | None, values: Mapping[str, Any]
) -> list[str]:
    """Describe each reference of ``record`` that did not resolve to a linked id."""
    missing = []
    for row in flow.properties:
        if row.references and values.get(row_key(row)) is None:
            missing.append(f"{row.source}={get_value(record, row.source)}")
    return missing


def project_target(flow: Flow, record: Mapping[str, Any] | None) -> dict[str, Any]:
    """The target record's mapped values, canonical (references are target ids)."""
    values: dict[str, Any] = {}
    for row in flow.properties:
        raw = get_value(record, row.target)
        if row.references:
            values[row_key(row)] = _to_string(raw)
            continue
        values[row_key(row)] = _coerce_field(raw, row.data_type, row.target)
    return values


def _body(base: Mapping[str, Any] | None, path_list: list[str]) -> dict[str, Any]:
    """A write body that starts from the current values of the top-level fields a
    path goes through when it passes a list, so a partial update of one list
    element does not drop the rest of the list."""
    body: dict[str, Any] = {}
    if base is None:
        return body
    for path in path_list:
        top, _, rest = path.partition(".")
        if any(p.isdigit() for p in rest.split(".")) and top in base:
            body.setdefault(top, copy.deepcopy(base[top]))
    return body


def target_changes(
    flow: Flow, values: Mapping[str, Any], current: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A target write body (nested by path) for the given row values."""
    rows = [r for r in flow.properties if row_key(r) in values]
    body = _body(current, [r.target for r in rows])
    for row in rows:
        set_value(body, row.target, values[row_key(row)])
    return body


def unresolved_reverse_references(
    flow: Flow, values: Mapping[str, Any], resolve_reverse: Resolver
) -> list[PropertyRow]:
    """The rows of ``values`` holding a target-side reference with no source id.

    ``source_changes`` cannot write such a reference: the target entity it
    names is not linked (yet) to a source entity.
    """
    return [
        row
        for row in flow.properties
        if row.references
        and values.get(row_key(row))
        and resolve_reverse(row.references, str(values[row_key(row)])) is None
    ]


def source_changes(
    flow: Flow,
    values: Mapping[str, Any],
    resolve_reverse: Resolver,
    current: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A source write body for the given row values, in the source's own types."""
    rows = [r for r in flow.properties if row_key(r) in values]
    body = _body(current, [r.source for r in rows])
    for row in rows:
        key = row_key(row)
        value = values[key]
        if row.references:
            if not value:
                continue  # never clear a source reference because a target lost it
            value = resolve_reverse(row.references, str(value))
            if value is None:
                continue
        # Named by both fields: the value came from the target's, and it is the
        # source's type it does not fit (a Reference edited to text, an int id).
        field = f"{row.source} (from {flow.target.type} {row.target})"
        set_value(body, row.source, _coerce_field(value, row.source_type, field))
    return body
