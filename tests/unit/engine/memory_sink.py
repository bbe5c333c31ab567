"""An in-memory Sink for flow-logic tests: records writes, stamps modification times."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

from connectors.base.protocols import Capabilities
from connectors.errors import TransientError
from schemas.envelope import ChangeEvent, Operation

T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


class MemorySink:
    """Holds records per entity; every write bumps a fake clock by one second."""

    system: ClassVar[str] = "memory"

    def __init__(self, system: str, capabilities: Capabilities | None = None) -> None:
        self.system_name = system
        self.records: dict[str, dict[str, dict[str, Any]]] = {}
        self.modified: dict[tuple[str, str], datetime] = {}
        self.writes: list[tuple[str, str, str, dict[str, Any]]] = []
        self.keys: dict[str, str] = {}
        self._caps = capabilities or Capabilities(create=True, update=True, delete=True)
        self._ids = itertools.count(1)
        self.clock = T0
        self.before_write: Callable[[], object] | None = None

    def tick(self) -> datetime:
        self.clock += timedelta(seconds=1)
        return self.clock

    def put(self, entity: str, record_id: str, data: dict[str, Any]) -> ChangeEvent:
        """Store a record as if a user edited it (not counted as a write)."""
        self.records.setdefault(entity, {})[record_id] = dict(data)
        self.modified[(entity, record_id)] = self.tick()
        return self.event(entity, record_id)

    def event(self, entity: str, record_id: str) -> ChangeEvent:
        return ChangeEvent(
            system=self.system_name,
            entity=entity,
            id=record_id,
            op=Operation.UPSERT,
            data=dict(self.records[entity][record_id]),
            modified_at=self.modified[(entity, record_id)],
        )

    def capabilities(self, entity: str) -> Capabilities:
        return self._caps

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        if record_id not in self.records.get(entity, {}):
            return None
        return self.event(entity, record_id)

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        return [
            self.event(entity, rid)
            for rid, rec in self.records.get(entity, {}).items()
            if rec.get(field_path) == value
        ]

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        if idempotency_key in self.keys:
            return self.event(entity, self.keys[idempotency_key])
        record_id = f"{entity[:1]}-{next(self._ids)}"
        self.keys[idempotency_key] = record_id
        self.writes.append(("create", entity, record_id, dict(data)))
        self.records.setdefault(entity, {})[record_id] = dict(data)
        self.modified[(entity, record_id)] = self.tick()
        return self.event(entity, record_id)

    async def update(
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        *,
        expected: ChangeEvent | None = None,
    ) -> ChangeEvent:
        if self.before_write is not None:
            hook, self.before_write = self.before_write, None
            hook()  # someone edits the record between the flow's read and its write
        self._check(entity, record_id, changes, expected)
        self.writes.append(("update", entity, record_id, dict(changes)))
        self.records[entity][record_id].update(changes)
        self.modified[(entity, record_id)] = self.tick()
        return self.event(entity, record_id)

    def _check(
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        expected: ChangeEvent | None,
    ) -> None:
        """What a real sink's ``FreshRead`` does: refuse to overwrite a change."""
        if expected is None or expected.data is None:
            return
        if self.modified[(entity, record_id)] <= expected.modified_at:
            return
        now = self.records[entity][record_id]
        changed = [
            k for k, v in changes.items() if now.get(k) not in (expected.data.get(k), v)
        ]
        if changed:
            msg = f"{entity} {record_id}: changed underneath ({', '.join(changed)})"
            raise TransientError(msg, retry_after=0.0)

    async def delete(self, entity: str, record_id: str) -> None:
        self.writes.append(("delete", entity, record_id, {}))
        del self.records[entity][record_id]
