"""``WebcrmSink``: get, find, create, full-object update and (Products) delete."""

from __future__ import annotations

from typing import Any

from connectors.base.entity import field_value, same_value
from connectors.base.pagination import PageNumberPaginator
from connectors.base.sink import HttpSink, matching_events
from connectors.errors import RejectedRecordError
from connectors.webcrm.client import ENTITIES, SYSTEM
from schemas.envelope import ChangeEvent


class WebcrmSink(HttpSink):
    """Writes to Webcrm.

    Webcrm has no idempotency key, so a create is sent as an unsafe request: when
    its outcome is unknown the client raises ``TransientError`` instead of posting
    again, and the caller looks the entity up by its natural key first.
    ``PUT`` replaces the whole object, so an update reads the current object,
    merges the changes and sends it all back.
    """

    system = SYSTEM
    specs = ENTITIES

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        """The entity's current state, or ``None``."""
        spec = self.spec(entity)
        if not record_id.isdigit():
            return None  # Webcrm ids are integers: nothing else can exist
        with self.about(spec, record_id):
            row = await self.client.get_json_optional(f"/{spec.path}/{record_id}")
            return None if row is None else self.event(spec, row)

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Entities whose ``field_path`` equals ``value``, from a full listing.

        ``/Queries`` filters only on the modification time, so the listing is
        filtered here. Records that fail validation are skipped (and logged).
        """
        spec = self.spec(entity)
        path = f"/{spec.path}"
        matches: list[ChangeEvent] = []
        paginator = PageNumberPaginator()
        while not paginator.finished:
            params = {"Page": paginator.current_token, "Size": self.settings.page_size}
            rows = await self.client.get_json(path, params=params)
            if not isinstance(rows, list):
                problem = f"expected a JSON array, got {type(rows).__name__}"
                error = self.client.shape_error("GET", path, problem)
                raise error
            matches += matching_events(
                rows,
                lambda row: same_value(field_value(row, field_path), value),
                lambda row: self.event(spec, row),
            )
            paginator.advance(rows)
        return matches

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """``POST`` with ``{E}Id: 0``, then read the new entity back.

        ``idempotency_key`` is not sent: Webcrm has no such header.
        """
        spec = self.spec(entity)
        self.require(spec, "create")
        path = f"/{spec.path}"
        with self.about(spec):
            body = {**data, spec.id_field: 0}
            response = await self.client.request(
                "POST", path, body=body, idempotent=False
            )
            new_id = self.client.decode_json(response)
            if isinstance(new_id, bool) or not isinstance(new_id, int | str):
                problem = (
                    f"expected the new {spec.id_field}, got {type(new_id).__name__}"
                )
                error = self.client.shape_error("POST", path, problem)
                raise error
            row = await self.client.get_json(f"{path}/{new_id}")
            return self.event(spec, row)

    async def update(
        self, entity: str, record_id: str, changes: dict[str, Any]
    ) -> ChangeEvent:
        """Merge ``changes`` into the current object and ``PUT`` all of it."""
        spec = self.spec(entity)
        self.require(spec, "update", record_id)
        path = f"/{spec.path}/{record_id}"
        with self.about(spec, record_id):
            current = await self.client.get_json_optional(path)
            if not isinstance(current, dict):
                msg = f"{SYSTEM} {spec.name} {record_id}: does not exist, cannot update"
                raise RejectedRecordError(msg)
            merged = {**current, **changes, spec.id_field: current.get(spec.id_field)}
            self.event(spec, merged)  # refuse locally what Webcrm would refuse
            await self.client.request("PUT", path, body=merged)
            return self.event(spec, await self.client.get_json(path))

    async def delete(self, entity: str, record_id: str) -> None:
        """Delete (Products only); an entity already gone counts as deleted."""
        spec = self.spec(entity)
        self.require(spec, "delete", record_id)
        with self.about(spec, record_id):
            await self.client.request_optional("DELETE", f"/{spec.path}/{record_id}")
