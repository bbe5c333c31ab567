"""``WebcrmSink``: get, find, create, full-object update and (Products) delete."""

from __future__ import annotations

from typing import Any

from connectors.base.pagination import PageNumberPaginator, scan
from connectors.base.sink import HttpSink
from connectors.webcrm.client import SYSTEM
from connectors.webcrm.entities import ENTITIES
from schemas.envelope import ChangeEvent


class WebcrmSink(HttpSink):
    """Writes to Webcrm.

    Webcrm has no idempotency key, so a create is sent as an unsafe request: when
    its outcome is unknown the client raises ``TransientError`` instead of posting
    again, and the caller looks the entity up by its natural key first.
    ``PUT`` replaces the whole object, so an update reads the current object
    right before each attempt, merges the changes and sends it all back.
    ``get`` and ``delete`` (Products; an entity already gone counts as deleted)
    are the base sink's.
    """

    system = SYSTEM
    specs = ENTITIES

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Entities whose ``field_path`` equals ``value``, from a full listing.

        ``/Queries`` filters only on the modification time, so the listing is
        filtered here. A matching record that fails validation raises
        ``UnreadableMatchError`` (``HttpSink.matching``).
        """
        spec = self.spec(entity)
        path = f"/{spec.path}"

        async def fetch(token: int) -> tuple[list[Any], Any]:
            params = {"Page": token, "Size": self.settings.page_size}
            rows = await self.client.get_json(path, params=params)
            if not isinstance(rows, list):
                problem = f"expected a JSON array, got {type(rows).__name__}"
                error = self.client.shape_error("GET", path, problem)
                raise error
            return rows, rows

        pages = scan(PageNumberPaginator(), fetch)
        return await self.matching(spec, pages, field_path, value)

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """``POST`` with ``{E}Id: 0``, then read the new entity back.

        ``idempotency_key`` is not sent: Webcrm has no such header.
        """
        spec = self.writable(entity, "create")
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
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        *,
        expected: ChangeEvent | None = None,
    ) -> ChangeEvent:
        """Merge ``changes`` into the current object and ``PUT`` all of it.

        The object is read again right before each ``PUT`` attempt and checked
        against ``expected`` (``connectors.base.fresh``): a retry never sends
        a stale object, and a field edited meanwhile is not overwritten.
        """
        spec = self.writable(entity, "update", record_id)
        path = self.item(spec, record_id)
        with self.about(spec, record_id):
            fresh = self.fresh_read(spec, record_id, changes, expected)

            async def merged() -> dict[str, Any]:
                current = await fresh.row()
                body = {**current, **changes, spec.id_field: current.get(spec.id_field)}
                self.event(spec, body)  # refuse locally what Webcrm would refuse
                return body

            await self.client.request("PUT", path, prepare=merged)
            return self.event(spec, await self.client.get_json(path))
