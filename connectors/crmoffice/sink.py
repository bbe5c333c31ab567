"""``CrmofficeSink``: get, find, create and full-replace update ([assumption])."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, ClassVar
from urllib.parse import quote

from connectors.base.client import HttpClient
from connectors.base.entity import same_value
from connectors.base.protocols import Capabilities
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
from connectors.errors import InvalidRecordError, RecordError, RejectedRecordError
from schemas.envelope import ChangeEvent, utc_now

logger = logging.getLogger(__name__)

_SERVER_FIELDS = ("id", "updatedAt")


def get_path(row: Any, path: str) -> Any:
    """The value at a dotted path (``postAddress.country``)."""
    value = row
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


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


@contextmanager
def about(entity: str, record_id: str) -> Iterator[None]:
    """Fill in system, entity and id on any ``RecordError`` raised inside."""
    try:
        yield
    except RecordError as exc:
        exc.system = exc.system or SYSTEM
        exc.entity = exc.entity or entity
        exc.record_id = exc.record_id or record_id
        raise


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
        with about(entity, record_id):
            row = await self.client.get_json_optional(self._item(declared, record_id))
            return None if row is None else self._event(declared, row)

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Records whose ``field_path`` equals ``value``, from a full listing."""
        declared = type_for(entity)
        if value is None:
            return []
        matches: list[ChangeEvent] = []
        async for page in self.client.pages(declared.path):
            for row in page:
                if not same_value(get_path(row, field_path), value):
                    continue
                try:
                    matches.append(self._event(declared, row))
                except InvalidRecordError as exc:
                    logger.warning("skipping a match that fails validation: %s", exc)
        return matches

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """``POST`` the record; ``idempotency_key`` is not sent (no such header)."""
        declared = self._allowed(entity, "create", "")
        with about(entity, ""):
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
        with about(entity, record_id):
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
        if not getattr(capabilities(self.settings), operation):
            which = record_id or "(new)"
            msg = f"{SYSTEM} {entity} {which}: the API cannot {operation} it"
            raise RejectedRecordError(
                msg, system=SYSTEM, entity=entity, record_id=record_id
            )
        return declared

    @staticmethod
    def _item(declared: CrmofficeType, record_id: str) -> str:
        return f"{declared.path}/{quote(record_id, safe='')}"

    def _event(self, declared: CrmofficeType, row: Any) -> ChangeEvent:
        return to_event(declared, row, utc_now(), skew_of(self.settings))
