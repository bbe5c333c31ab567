"""The OData v4 query options Tidsbanken's API takes: $filter, $orderby, $top, ...

Supported, as systems.md 9.2 asks: ``$filter`` with ``eq ne gt ge lt le``
comparisons of a top-level property to a literal, joined by ``and`` and grouped
with parentheses (Sesam sends ``(SistEndretDato gt 1970-01-01)``); ``$orderby``
with ``asc``/``desc``; ``$top``, ``$skip``, ``$count``, ``$select``. Literals are
``'text'`` (``''`` escapes a quote), numbers, ``true``/``false``/``null`` and
unquoted ISO dates or date-times, as OData writes them.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from standins.store import order_key, parse_iso

MAX_TOP = 1000

_TOKEN = re.compile(r"\s*(\(|\)|'(?:[^']|'')*'|[^\s()]+)")
_FIELD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}

ValueOf = Callable[[Any, str], Any]
"""Reads a property of a stored row (the time field parsed), or None."""


class ODataError(ValueError):
    """The query option is malformed; the message says why (answered with 400)."""


@dataclass(frozen=True)
class Comparison:
    """``field op literal``."""

    field: str
    op: str
    literal: Any

    def test(self, row: Any, value_of: ValueOf) -> bool:
        value = value_of(row, self.field)
        if self.literal is None or value is None:
            both = value is None and self.literal is None
            if self.op == "eq":
                return both
            return not both if self.op == "ne" else False
        left, right = _comparable(value, self.literal)
        if left is None:
            return False
        try:
            return _OPS[self.op](left, right)
        except TypeError:
            return False


Filter = list[Comparison]
"""A conjunction of comparisons (``and`` is the only connective supported)."""


def parse_filter(text: str) -> Filter:
    """The comparisons of a ``$filter`` expression; raises ``ODataError``."""
    tokens = _tokens(text)
    # Parentheses only group here (there is no ``or``), so they can be dropped
    # once they are known to balance.
    depth = 0
    flat: list[str] = []
    for part in tokens:
        if part == "(":
            depth += 1
        elif part == ")":
            depth -= 1
            if depth < 0:
                msg = "unbalanced parentheses in $filter"
                raise ODataError(msg)
        else:
            flat.append(part)
    if depth:
        msg = "unbalanced parentheses in $filter"
        raise ODataError(msg)
    comparisons: Filter = []
    for index in range(0, len(flat), 4):
        chunk = flat[index : index + 4]
        if len(chunk) < 3:
            msg = f"incomplete comparison in $filter: {' '.join(chunk)!r}"
            raise ODataError(msg)
        field, op, literal = chunk[0], chunk[1].lower(), chunk[2]
        if not _FIELD.match(field) or op not in _OPS:
            msg = f"unsupported comparison in $filter: {' '.join(chunk[:3])!r}"
            raise ODataError(msg)
        comparisons.append(Comparison(field, op, parse_literal(literal)))
        if len(chunk) == 4 and chunk[3].lower() != "and":
            msg = f"only 'and' joins comparisons, not {chunk[3]!r}"
            raise ODataError(msg)
        if len(chunk) == 4 and index + 4 >= len(flat):
            msg = "$filter ends with 'and'"
            raise ODataError(msg)
    if not comparisons:
        msg = "$filter is empty"
        raise ODataError(msg)
    return comparisons


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            break
        tokens.append(match.group(1))
        position = match.end()
    if text[position:].strip():
        msg = f"cannot read $filter near {text[position:][:20]!r}"
        raise ODataError(msg)
    return tokens


def parse_literal(text: str) -> Any:
    """An OData literal: quoted text, number, boolean, null, date or date-time."""
    if text.startswith("'"):
        if len(text) < 2 or not text.endswith("'"):
            msg = f"unterminated text literal {text!r}"
            raise ODataError(msg)
        return text[1:-1].replace("''", "'")
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    if re.fullmatch(r"-?\d+\.\d+", text):
        return float(text)
    when = parse_iso(text.replace("Z", "+00:00"), UTC)
    if when is not None:
        return when
    msg = f"cannot read the literal {text!r}"
    raise ODataError(msg)


def _comparable(value: Any, literal: Any) -> tuple[Any, Any]:
    """Both sides in one type, or (None, None) when they cannot be compared."""
    if isinstance(literal, datetime):
        when = value if isinstance(value, datetime) else parse_iso(value, UTC)
        return (when, literal) if when is not None else (None, None)
    if isinstance(literal, bool) or isinstance(value, bool):
        return (value, literal) if type(value) is type(literal) else (None, None)
    if isinstance(literal, int | float):
        return (value, literal) if isinstance(value, int | float) else (None, None)
    return (value, literal) if isinstance(value, str) else (None, None)


@dataclass(frozen=True)
class Query:
    """The parsed query options of one list request."""

    filter: Filter
    orderby: list[tuple[str, bool]]
    top: int | None
    skip: int
    count: bool
    select: list[str] | None


def parse_query(params: dict[str, str]) -> Query:
    """Read the ``$``-options of a request; raises ``ODataError``."""
    text = params.get("$filter")
    orderby: list[tuple[str, bool]] = []
    for item in filter(
        None, (p.strip() for p in params.get("$orderby", "").split(","))
    ):
        field, _, direction = item.partition(" ")
        direction = direction.strip().lower() or "asc"
        if not _FIELD.match(field) or direction not in ("asc", "desc"):
            msg = f"unsupported $orderby item {item!r}"
            raise ODataError(msg)
        orderby.append((field, direction == "desc"))
    top = _count_option(params, "$top")
    if top is not None and top > MAX_TOP:
        msg = f"$top must be at most {MAX_TOP}"
        raise ODataError(msg)
    count = params.get("$count", "false").lower()
    if count not in ("true", "false"):
        msg = "$count must be true or false"
        raise ODataError(msg)
    select = params.get("$select", "*").strip()
    return Query(
        filter=parse_filter(text) if text is not None else [],
        orderby=orderby,
        top=top,
        skip=_count_option(params, "$skip") or 0,
        count=count == "true",
        select=None if select in ("", "*") else [s.strip() for s in select.split(",")],
    )


def _count_option(params: dict[str, str], name: str) -> int | None:
    text = params.get(name)
    if text is None:
        return None
    if not text.isdigit():
        msg = f"{name} must be a non-negative integer"
        raise ODataError(msg)
    return int(text)


def apply(
    query: Query, rows: list[tuple[Any, Any]], value_of: ValueOf
) -> tuple[list[Any], int]:
    """Filter, order and page ``(key, row)`` pairs; the page and the match count."""
    matched = [
        (key, row)
        for key, row in rows
        if all(c.test(row, value_of) for c in query.filter)
    ]
    matched.sort(key=lambda pair: order_key([pair[0]]))
    # Stable sorts from the last key to the first give a multi-key order.
    for field, descending in reversed(query.orderby):

        def by_field(pair: tuple[Any, Any], name: str = field) -> Any:
            return order_key([value_of(pair[1], name)])

        matched.sort(key=by_field, reverse=descending)
    end = None if query.top is None else query.skip + query.top
    page = [row for _, row in matched[query.skip : end]]
    if query.select is not None:
        wanted = query.select
        page = [
            {k: v for k, v in row.items() if k in wanted}
            if isinstance(row, dict)
            else row
            for row in page
        ]
    return page, len(matched)
