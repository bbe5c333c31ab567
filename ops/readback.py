"""What the operator commands read back from tether's own compacted topics.

A topic may hold a value that an older or newer tether wrote: one unreadable
value is logged and skipped, it must not stop a listing or a check.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)


def readable(model: type[M], raw: Any, what: str) -> M | None:
    """``raw`` as ``model``; ``None``, with a warning naming ``what``, if it is not."""
    try:
        return model.model_validate(raw)
    except ValidationError:
        log.warning("skipping an unreadable %s", what)
        return None


def each_readable(
    model: type[M], latest: Mapping[str, Any], what: str
) -> Iterator[tuple[str, M]]:
    """Each key of a compacted topic's latest values and its value as ``model``.

    ``what`` names the kind of value in the warning about an unreadable one,
    which is followed by its key.
    """
    for key, raw in latest.items():
        value = readable(model, raw, f"{what} {key}")
        if value is not None:
            yield key, value


def id_order(entity_id: str) -> tuple[bool, int, str]:
    """Sort numeric ids by number, then the rest as text."""
    numeric = entity_id.isdigit()
    return (not numeric, int(entity_id) if numeric else 0, entity_id)
