"""Property paths: the dotted names a flow's rows, match keys and finds use.

Grammar (one rule, used by the definitions, the document reader, the engine and
the connectors)::

    path     = name ( "." segment )*
    segment  = name | index
    name     = [A-Za-z_][A-Za-z0-9_]*      a field of an object
    index    = [0-9]+                      a 0-based position in a list

``address.country`` is the field ``country`` of the object ``address``;
``addresses.0.postalCode.zipCode`` goes through the first element of the list
``addresses``. An index names exactly one element: a row maps one value, so a list
is never mapped element by element (a flow that needs more lines names them).
Reading a path that runs into a missing field, a short list or a value of the
wrong shape (``None`` itself included) gives ``None``: the value is absent, not
an error. Writing creates what
is missing: an object for a name, a list (padded with empty objects) for an index.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, cast

PATH_PATTERN = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|[0-9]+))*$"
)


def is_valid_path(path: str) -> bool:
    """Whether ``path`` follows the grammar above.

    Args:
        path: A dotted property path.
    """
    return PATH_PATTERN.fullmatch(path) is not None


def split_path(path: str) -> tuple[str | int, ...]:
    """The segments of ``path``: field names as ``str``, list indexes as ``int``.

    Args:
        path: A dotted property path.

    Raises:
        ValueError: ``path`` does not follow the grammar.
    """
    if not is_valid_path(path):
        msg = f"invalid property path {path!r}: use dotted names, e.g. address.country"
        raise ValueError(msg)
    return tuple(int(s) if s.isdigit() else s for s in path.split("."))


def get_value(record: object, path: str) -> Any:
    """The value at ``path`` in ``record``, or ``None`` when any step is missing.

    Args:
        record: A decoded JSON object; anything else (``None``, a list, a
            scalar) has no fields, so every path reads ``None`` from it.
        path: A dotted property path.

    Raises:
        ValueError: ``path`` does not follow the grammar.
    """
    current: Any = record
    for segment in split_path(path):
        if isinstance(segment, int):
            is_list = isinstance(current, Sequence) and not isinstance(current, str)
            if not is_list or segment >= len(current):
                return None
            current = current[segment]
        elif isinstance(current, Mapping):
            current = current.get(segment)
        else:
            return None
    return current


def set_value(record: dict[str, Any], path: str, value: Any) -> None:
    """Set ``path`` in ``record`` to ``value``, creating objects and lists on the way.

    Args:
        record: The object to change in place.
        path: A dotted property path.
        value: What to put there.

    Raises:
        ValueError: ``path`` does not follow the grammar, or a step meets a value
            of the other shape (an index into an object, a name into a list).
    """
    segments = split_path(path)
    current: Any = record
    for segment, following in zip(segments, segments[1:], strict=False):
        empty: Any = [] if isinstance(following, int) else {}
        current = _step(current, segment, empty, path)
    _assign(current, segments[-1], value, path)


def _step(container: Any, segment: str | int, empty: Any, path: str) -> Any:
    existing = _read(container, segment, path)
    if existing is None:
        _assign(container, segment, empty, path)
        return empty
    if not isinstance(existing, type(empty)):
        msg = f"cannot set {path!r}: {segment!r} holds a {type(existing).__name__}"
        raise ValueError(msg)
    return existing


def _read(container: Any, segment: str | int, path: str) -> Any:
    if isinstance(segment, int):
        items = cast(list[Any], _checked(container, list, segment, path))
        return items[segment] if segment < len(items) else None
    return cast(dict[str, Any], _checked(container, dict, segment, path)).get(segment)


def _assign(container: Any, segment: str | int, value: Any, path: str) -> None:
    if isinstance(segment, int):
        items = cast(list[Any], _checked(container, list, segment, path))
        items.extend({} for _ in range(segment + 1 - len(items)))
        items[segment] = value
    else:
        cast(dict[str, Any], _checked(container, dict, segment, path))[segment] = value


def _checked(container: Any, kind: type, segment: str | int, path: str) -> Any:
    if not isinstance(container, kind):
        msg = f"cannot set {path!r}: {segment!r} needs a {kind.__name__}"
        raise ValueError(msg)
    return container
