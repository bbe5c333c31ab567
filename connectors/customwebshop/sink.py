"""``CustomwebshopSink``: writes Customer, Product and Order (lines merged by index)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from connectors.base.entity import EntitySpec
from connectors.customrest.sink import CustomRestSink
from connectors.customwebshop.client import SYSTEM
from connectors.customwebshop.entities import ENTITIES
from connectors.errors import RejectedRecordError
from schemas.envelope import ChangeEvent

LINES = "Lines"


def _by_index(lines: Any) -> dict[int, Mapping[str, Any]]:
    """Line changes by position, from a list or an object keyed ``"0"``, ``"1"``...

    Flows address one line by path (``Lines.0.Description``); depending on how
    the path was written, the changes arrive as a list or as such an object.
    """
    items: Iterable[tuple[int, Any]]
    if isinstance(lines, list):
        items = enumerate(lines)
    elif isinstance(lines, Mapping) and all(str(k).isdigit() for k in lines):
        items = ((int(k), v) for k, v in lines.items())
    else:
        msg = f"{SYSTEM} Order: {LINES} must be a list of line objects"
        raise RejectedRecordError(msg, system=SYSTEM, entity="Order")
    out: dict[int, Mapping[str, Any]] = {}
    for index, line in items:
        if not isinstance(line, Mapping):
            msg = f"{SYSTEM} Order: {LINES}.{index} must be an object"
            raise RejectedRecordError(msg, system=SYSTEM, entity="Order")
        out[index] = line
    return out


def merge_lines(current: list[Any], changes: Any) -> list[dict[str, Any]]:
    """``current`` lines with ``changes`` applied field by field at their index.

    Lines the changes do not name are kept as they are; a change past the end
    adds a line (any gap is filled with empty lines, which the shop completes).
    """
    merged = [dict(line) if isinstance(line, Mapping) else {} for line in current]
    for index, fields in sorted(_by_index(changes).items()):
        while len(merged) <= index:
            merged.append({})
        merged[index].update(fields)
    return merged


class CustomwebshopSink(CustomRestSink):
    """Creates (idempotent by key), updates (partial), soft-deletes.

    ``PUT`` merges top-level fields only, so a change to some fields of one order
    line is merged into the lines read right before each attempt
    (``connectors.base.fresh``) and all lines are sent back.
    """

    system = SYSTEM
    specs = ENTITIES

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """``POST`` with ``Idempotency-Key``; order lines are sent as a list."""
        if entity == "Order" and LINES in data:
            data = {**data, LINES: merge_lines([], data[LINES])}
        return await super().create(entity, data, idempotency_key=idempotency_key)

    def merges(self, spec: EntitySpec, changes: dict[str, Any]) -> bool:
        """Order line changes are merged into the current lines."""
        return spec.name == "Order" and LINES in changes

    def merged(
        self, spec: EntitySpec, current: Any, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """``changes`` with line changes merged into ``current``'s lines."""
        if not self.merges(spec, changes):
            return changes
        lines = current.get(LINES) if isinstance(current, Mapping) else None
        merged = merge_lines(lines if isinstance(lines, list) else [], changes[LINES])
        return {**changes, LINES: merged}
