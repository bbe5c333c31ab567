"""``TidsbankenSink``: get, find, create with a client-chosen ``Id``, update."""

from __future__ import annotations

import hashlib
from typing import Any
from urllib.parse import quote

from connectors.base.entity import EntitySpec
from connectors.base.pagination import OffsetPaginator, scan
from connectors.base.sink import HttpSink
from connectors.errors import RejectedRecordError
from connectors.tidsbanken.client import SYSTEM, literal, values
from connectors.tidsbanken.entities import ENTITIES, TIME_FIELD
from connectors.tidsbanken.settings import TidsbankenSettings
from schemas.envelope import ChangeEvent

KUNDE_PATH = "prosjekt/Kunde"
AVDELING_WRITE_PATH = "ansatt/Avdeling"


def derived_id(prefix: str, idempotency_key: str) -> str:
    """The ``Id`` of an entity tether creates: stable for one idempotency key."""
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:12]
    return f"{prefix}{digest}"


def _server_fields(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` without what the server owns (time, OData annotations)."""
    return {
        k: v for k, v in row.items() if k != TIME_FIELD and not k.startswith("@odata")
    }


class TidsbankenSink(HttpSink):
    """Writes to Tidsbanken.

    Ids are the client's, so a create is idempotent: the ``Id`` comes from the
    data or is derived from the idempotency key, an entity that already has it is
    returned as is, and a create whose outcome is unknown (lost response, refused
    as a duplicate) is settled by looking the ``Id`` up. ``null`` properties are
    left out of inserts, which Tidsbanken refuses. Kunde updates replace the whole
    object (``PUT`` of an array), so they merge into the state read right
    before each attempt (``connectors.base.fresh``); Avdeling updates are
    ``PATCH``es of the changes alone.
    """

    system = SYSTEM
    specs = ENTITIES
    settings: TidsbankenSettings

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        """The entity's current state, or ``None``."""
        spec = self.spec(entity)
        with self.about(spec, record_id):
            row = await self._row(spec, record_id)
            return None if row is None else self.event(spec, row)

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Entities whose ``field_path`` equals ``value`` (by ``Id``, else a listing).

        Text compares case-insensitively, like the other sinks' ``find``; OData's
        ``eq`` would not, so the listing is filtered here.
        """
        spec = self.spec(entity)
        if value is None:
            return []
        if field_path == "Id":
            found = await self.get(entity, str(value))
            return [] if found is None else [found]

        async def fetch(skip: int) -> tuple[list[Any], Any]:
            params = {
                "$orderby": "Id asc",
                "$top": self.settings.page_size,
                "$skip": skip,
            }
            rows = values(await self.client.get_json(spec.path, params=params))
            return rows or [], rows or []

        pages = scan(OffsetPaginator(self.settings.page_size), fetch)
        return await self.matching(spec, pages, field_path, value)

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """``POST`` with the ``Id`` from ``data`` or derived from the key."""
        spec = self.writable(entity, "create")
        given = data.get("Id")
        record_id = (
            str(given)
            if given
            else derived_id(self.settings.id_prefix, idempotency_key)
        )
        body = {k: v for k, v in _server_fields(data).items() if v is not None}
        body["Id"] = record_id

        async def post() -> ChangeEvent:
            self.event(spec, body | {TIME_FIELD: "1970-01-01T00:00:00Z"})
            path = KUNDE_PATH if spec.name == "Kunde" else AVDELING_WRITE_PATH
            return await self.write(spec, "POST", path, body=body, idempotent=False)

        with self.about(spec, record_id):
            # An entity holding the Id is a replay; a lost response or a refused
            # "duplicate Id" is settled by whether it exists now.
            return await self.create_once(entity, record_id, post)

    async def update(
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        *,
        expected: ChangeEvent | None = None,
    ) -> ChangeEvent:
        """Kunde: merge and ``PUT`` the array; Avdeling: ``PATCH`` the changes.

        Right before each attempt the entity is read again and checked against
        ``expected`` (``connectors.base.fresh``); a Kunde is merged into that
        read. An Avdeling ``PATCH`` without ``expected`` reads nothing first.
        """
        spec = self.writable(entity, "update", record_id)
        with self.about(spec, record_id):
            fields = {k: v for k, v in _server_fields(changes).items() if k != "Id"}

            async def read() -> dict[str, Any]:
                current = await self._row(spec, record_id)
                if current is None:
                    msg = f"{SYSTEM} {spec.name} {record_id}: does not exist"
                    raise RejectedRecordError(msg)
                return current

            fresh = self.fresh_read(spec, record_id, fields, expected, read)
            if spec.name == "Kunde":

                async def merged() -> list[dict[str, Any]]:
                    current = await fresh.row()
                    body = _server_fields(current) | fields | {"Id": record_id}
                    self.event(spec, body | {TIME_FIELD: current.get(TIME_FIELD)})
                    return [body]

                await self.client.request("PUT", KUNDE_PATH, prepare=merged)
            else:
                path = f"{AVDELING_WRITE_PATH}/{quote(record_id, safe='')}"
                check = fresh.check if expected is not None else None
                await self.client.request(
                    "PATCH", path, body=fields, idempotent=True, prepare=check
                )
            row = await self._row(spec, record_id)
            if row is None:
                msg = f"{SYSTEM} {spec.name} {record_id}: gone right after the update"
                raise RejectedRecordError(msg)
            return self.event(spec, row)

    async def _row(self, spec: EntitySpec, record_id: str) -> dict[str, Any] | None:
        """The raw stored entity, or ``None``."""
        if spec.name == "Kunde":
            key = quote(literal(record_id), safe="'()")
            body = await self.client.get_json_optional(f"{KUNDE_PATH}({key})")
            if body is None:
                return None
            # Sesam reads single results from "value"; OData would send the entity
            # bare. Both are accepted.
            rows = values(body)
        else:
            params = {"$filter": f"Id eq {literal(record_id)}", "$top": 1}
            rows = values(await self.client.get_json(spec.path, params=params))
        if rows is None:
            return body if isinstance(body, dict) else None
        row = rows[0] if rows else None
        return row if isinstance(row, dict) else None
