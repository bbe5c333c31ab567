"""``CrmofficeSink``: get, find, create and full-replace update ([assumption])."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base.pagination import scan
from connectors.base.protocols import Capabilities
from connectors.base.sink import HttpSink
from connectors.crmoffice.client import SYSTEM, items, paginator
from connectors.crmoffice.entities import ENTITIES
from connectors.crmoffice.settings import CrmofficeSettings
from schemas.envelope import ChangeEvent

_SERVER_FIELDS = ("id", "updatedAt")


def deep_merge(
    current: Mapping[str, Any], changes: Mapping[str, Any]
) -> dict[str, Any]:
    """``changes`` over ``current``; nested objects (addresses) merge field by field."""
    out = dict(current)
    for name, value in changes.items():
        old = out.get(name)
        if isinstance(value, Mapping) and isinstance(old, Mapping):
            out[name] = deep_merge(old, value)
        else:
            out[name] = value
    return out


class CrmofficeSink(HttpSink):
    """Writes to Crmoffice, as far as the write assumption goes.

    [assumption] ``POST /{res}`` answers 201 with the record and its new ``id``;
    ``PUT /{res}/{id}`` replaces the whole record, so an update merges into the
    current one first (nested addresses field by field). There is no idempotency
    key: a create whose answer is lost raises ``TransientError`` ("outcome
    unknown") and is not repeated. Nothing is deleted.
    """

    system = SYSTEM
    specs = ENTITIES
    settings: CrmofficeSettings

    def capabilities(self, entity: str) -> Capabilities:
        """Create/update with the write assumption on; lookup-only without it."""
        self.spec(entity)
        writes = self.settings.writes
        return Capabilities(create=writes, update=writes, delete=False)

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Records whose ``field_path`` equals ``value``, from a full listing."""
        spec = self.spec(entity)
        if value is None:
            return []

        async def fetch(page: Any) -> tuple[list[Any], Any]:
            rows = await items(self.client, self.settings, spec.path, {}, page)
            return rows, rows

        pages = scan(paginator(self.settings, spec.path), fetch)
        return await self.matching(spec, pages, field_path, value)

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """``POST`` the record; ``idempotency_key`` is not sent (no such header)."""
        spec = self.writable(entity, "create")
        with self.about(spec):
            body = {k: v for k, v in data.items() if k not in _SERVER_FIELDS}
            return await self.write(
                spec, "POST", spec.path, body=body, idempotent=False
            )

    async def update(
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        *,
        expected: ChangeEvent | None = None,
    ) -> ChangeEvent:
        """Merge ``changes`` into the current record and ``PUT`` all of it.

        The record is read again right before each attempt and checked against
        ``expected`` (``connectors.base.fresh``).
        """
        spec = self.writable(entity, "update", record_id)
        path = self.item(spec, record_id)
        with self.about(spec, record_id):
            fresh = self.fresh_read(spec, record_id, changes, expected)

            async def body() -> dict[str, Any]:
                merged = deep_merge(await fresh.row(), changes)
                self.event(spec, merged)  # refuse locally what Crmoffice would
                return {k: v for k, v in merged.items() if k not in _SERVER_FIELDS}

            response = await self.client.request("PUT", path, prepare=body)
            row = self.client.decode_json(response)
            if not isinstance(row, dict):
                row = await self.client.get_json(path)
            return self.event(spec, row)
