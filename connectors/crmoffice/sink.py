"""``CrmofficeSink``: get, find, create and full-replace update ([assumption])."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from connectors.base.client import HttpClient
from connectors.base.entity import field_value, same_value
from connectors.base.protocols import Capabilities
from connectors.base.sink import (
    item_path,
    matching_events,
    record_context,
    require_operation,
)
from connectors.crmoffice.client import (
    SYSTEM,
    CrmofficeType,
    capabilities,
    crmoffice_client,
    skew_of,
    to_event,
    type_for,
)
from connectors.crmoffice.settings import CrmofficeSettings
from connectors.errors import RejectedRecordError
from schemas.envelope import ChangeEvent, utc_now

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


class CrmofficeSink:
    """Writes to Crmoffice, as far as the write assumption goes.

    [assumption] ``POST /{res}`` answers 201 with the record and its new ``id``;
    ``PUT /{res}/{id}`` replaces the whole record, so an update merges into the
    current one first (nested addresses field by field). There is no idempotency
    key: a create whose answer is lost raises ``TransientError`` ("outcome
    unknown") and is not repeated. Nothing is deleted.

    Args:
        client: The Crmoffice client, shared with the source.
        settings: Crmoffice settings.
    """

    system: ClassVar[str] = SYSTEM

    def __init__(self, client: HttpClient, settings: CrmofficeSettings) -> None:
        self.client = crmoffice_client(client)
        self.settings = settings

    def capabilities(self, entity: str) -> Capabilities:
        """Create/update with the write assumption on; lookup-only without it."""
        type_for(entity)
        return capabilities(self.settings)

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        """The current state, or ``None``."""
        declared = type_for(entity)
        with record_context(SYSTEM, entity, record_id):
            row = await self.client.get_json_optional(self._item(declared, record_id))
            return None if row is None else self._event(declared, row)

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Records whose ``field_path`` equals ``value``, from a full listing."""
        declared = type_for(entity)
        if value is None:
            return []
        matches: list[ChangeEvent] = []
        async for page in self.client.pages(declared.path):
            matches += matching_events(
                page,
                lambda row: same_value(field_value(row, field_path), value),
                lambda row: self._event(declared, row),
            )
        return matches

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """``POST`` the record; ``idempotency_key`` is not sent (no such header)."""
        declared = self._allowed(entity, "create", "")
        with record_context(SYSTEM, entity):
            body = {k: v for k, v in data.items() if k not in _SERVER_FIELDS}
            response = await self.client.request(
                "POST", declared.path, body=body, idempotent=False
            )
            return self._event(declared, self.client.decode_json(response))

    async def update(
        self, entity: str, record_id: str, changes: dict[str, Any]
    ) -> ChangeEvent:
        """Merge ``changes`` into the current record and ``PUT`` all of it."""
        declared = self._allowed(entity, "update", record_id)
        path = self._item(declared, record_id)
        with record_context(SYSTEM, entity, record_id):
            current = await self.client.get_json_optional(path)
            if not isinstance(current, dict):
                msg = f"{SYSTEM} {entity} {record_id}: does not exist, cannot update"
                raise RejectedRecordError(msg)
            merged = deep_merge(current, changes)
            self._event(declared, merged)  # refuse locally what Crmoffice would
            body = {k: v for k, v in merged.items() if k not in _SERVER_FIELDS}
            response = await self.client.request("PUT", path, body=body)
            row = self.client.decode_json(response)
            if not isinstance(row, dict):
                row = await self.client.get_json(path)
            return self._event(declared, row)

    async def delete(self, entity: str, record_id: str) -> None:
        """Crmoffice deletes nothing that tether knows of."""
        self._allowed(entity, "delete", record_id)

    def _allowed(self, entity: str, operation: str, record_id: str) -> CrmofficeType:
        declared = type_for(entity)
        allowed = capabilities(self.settings)
        require_operation(allowed, SYSTEM, entity, operation, record_id)
        return declared

    @staticmethod
    def _item(declared: CrmofficeType, record_id: str) -> str:
        return item_path(declared.path, record_id)

    def _event(self, declared: CrmofficeType, row: Any) -> ChangeEvent:
        return to_event(declared, row, utc_now(), skew_of(self.settings))
