"""Chargebee's bracket notation, parsed as the SDK writes it (``chargebee/util.py``).

The SDK flattens a nested parameter dict into form fields (POST bodies) and query
parameters (GET) like this:

==========================================  ====================================
``{"billing_address": {"city": "Oslo"}}``   ``billing_address[city]=Oslo``
``{"order_line_items": [{"id": "li_1"}]}``  ``order_line_items[id][0]=li_1``
``{"a": {"b": {"c": 1}}}``                  ``a[b][c]=1``
``{"applicable_items": ["x", "y"]}``        ``applicable_items[0]=x`` ...
``{"updated_at": {"after": 1704067200}}``   ``updated_at[after]=1704067200``
``{"event_type": {"in": ["a", "b"]}}``      ``event_type[in]=['a', 'b']``
``True`` / ``None``                         ``true`` / (empty string)
==========================================  ====================================

A list of objects puts the element's index *last*: ``a[field][i]`` is field
``field`` of element ``i`` of list ``a``. ``a[i]`` (two parts) is element ``i`` of
a list of plain values. The SDK's notation cannot tell ``a[b][0]`` (a list of
objects) from a list of plain values nested in an object; Chargebee's parameters
only ever use the first reading, so this parser does too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_KEY = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)((?:\[[A-Za-z0-9_]+\])*)$")
_PART = re.compile(r"\[([A-Za-z0-9_]+)\]")
MAX_INDEX = 250
"""Highest list index accepted: Chargebee caps multi-valued parameters well below."""


class FormError(ValueError):
    """A field name or a set of fields that does not parse; the message says why."""

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.param = param


def split_key(key: str) -> list[str]:
    """``"a[b][0]"`` -> ``["a", "b", "0"]``; ``FormError`` when malformed."""
    match = _KEY.match(key)
    if match is None:
        msg = f"{key} : is not a valid parameter name"
        raise FormError(msg, key)
    return [match.group(1), *_PART.findall(match.group(2))]


def parse_params(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Nested parameters from (name, value) pairs; a repeated name keeps the last."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        _place(out, key, split_key(key), value)
    return out


def _index(key: str, token: str) -> int:
    index = int(token)
    if index > MAX_INDEX:
        msg = f"{key} : index {index} is out of range"
        raise FormError(msg, key)
    return index


def _descend(node: dict[str, Any], key: str, path: list[str]) -> dict[str, Any]:
    for token in path:
        child = node.setdefault(token, {})
        if not isinstance(child, dict):
            msg = f"{key} : conflicts with another parameter"
            raise FormError(msg, key)
        node = child
    return node


def _list_at(node: dict[str, Any], key: str, name: str, index: int) -> list[Any]:
    items = node.setdefault(name, [])
    if not isinstance(items, list):
        msg = f"{key} : conflicts with another parameter"
        raise FormError(msg, key)
    while len(items) <= index:
        items.append(None)
    return items


def _place(out: dict[str, Any], key: str, tokens: list[str], value: str) -> None:
    last = tokens[-1]
    if len(tokens) >= 3 and last.isdigit():
        # a[...][field][i]: field of element i of the list of objects a[...]
        parent = _descend(out, key, tokens[:-3])
        index = _index(key, last)
        items = _list_at(parent, key, tokens[-3], index)
        element = items[index]
        if element is None:
            element = items[index] = {}
        if not isinstance(element, dict):
            msg = f"{key} : conflicts with another parameter"
            raise FormError(msg, key)
        element[tokens[-2]] = value
        return
    if len(tokens) == 2 and last.isdigit():
        index = _index(key, last)
        _list_at(out, key, tokens[0], index)[index] = value
        return
    parent = _descend(out, key, tokens[:-1])
    if isinstance(parent.get(last), dict | list):
        msg = f"{key} : conflicts with another parameter"
        raise FormError(msg, key)
    parent[last] = value


def parse_list_value(text: str) -> list[str]:
    """The values of an ``in``/``not_in`` filter.

    Accepts the documented ``["a","b"]``, the bare ``[a,b]`` and the Python SDK's
    ``['a', 'b']``.
    """
    inner = text.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        msg = "expected a list like [a,b]"
        raise FormError(msg)
    values = [part.strip().strip("\"'") for part in inner[1:-1].split(",")]
    return [value for value in values if value]


def parse_bool(text: str, param: str) -> bool:
    """``true``/``false`` as the SDK sends booleans."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    msg = f"{param} : must be true or false"
    raise FormError(msg, param)


def parse_int(text: str, param: str) -> int:
    """A whole number (timestamps, amounts, limits)."""
    stripped = text.strip()
    if stripped.lstrip("-").isdigit():
        return int(stripped)
    msg = f"{param} : must be an integer"
    raise FormError(msg, param)
