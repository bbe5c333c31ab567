"""``ChargebeeSink``: items, orders (no create), customers, business entities."""

from __future__ import annotations

import logging
from typing import Any

from connectors.base.entity import same_value
from connectors.base.pagination import CursorPaginator, scan
from connectors.base.sink import HttpSink
from connectors.chargebee._form import derived_id, to_unix
from connectors.chargebee.client import (
    NEXT_OFFSET,
    SYSTEM,
    business_entity_events,
    list_page,
    list_rows,
    post_form,
    unwrap,
)
from connectors.chargebee.entities import ENTITIES, ChargebeeEntity
from connectors.chargebee.settings import ChargebeeSettings
from connectors.errors import InvalidRecordError, RejectedRecordError
from schemas.envelope import ChangeEvent, Operation
from schemas.paths import get_value

logger = logging.getLogger(__name__)

ORDER_TIMES = frozenset(
    {"order_date", "shipping_date", "shipped_at", "delivered_at", "cancelled_at"}
)
"""Order fields Chargebee takes as Unix seconds; flows hand them over as ISO text."""
BILLING_FIELDS = frozenset({"billing_address", "vat_number"})
"""Customer fields only ``POST /customers/{id}/update_billing_info`` changes."""


class ChargebeeSink(HttpSink):
    """Writes to Chargebee, within what its API allows.

    - Items: create with a client-chosen id (the mapped ``id``, else one derived
      from the idempotency key) plus the settings' ``type`` and
      ``item_family_id``, and the ``chargebee-idempotency-key`` header: a retried
      create replays, and an item already holding that id is returned as the
      created one. Update, soft delete.
    - Orders: update and delete only (creating one needs an invoice).
    - Customers: create (id derived from the idempotency key) and update.
    - Business entities: lookup only, from the Events API (latest state per id).
    """

    system = SYSTEM
    specs = ENTITIES
    settings: ChargebeeSettings

    def _spec(
        self, entity: str, operation: str = "", record_id: str = ""
    ) -> ChargebeeEntity:
        if operation:
            spec = self.writable(entity, operation, record_id)
        else:
            spec = self.spec(entity)
        assert isinstance(spec, ChargebeeEntity)
        return spec

    # -- reads ------------------------------------------------------------------------

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        """The current state; a deleted record is a delete event, without data."""
        spec = self._spec(entity)
        with self.about(spec, record_id):
            if spec.name == "Business_entity":
                return (await self._business_entities()).get(record_id)
            path = self.item(spec, record_id)
            body = await self.client.get_json_optional(path)
            if body is None:
                return None
            return self.event(
                spec, unwrap(self.client, body, spec.wrapper, "GET", path)
            )

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Live entities whose ``field_path`` equals ``value``.

        The list call filters with ``field[is]`` where Chargebee supports it;
        otherwise (``reference_id``, nested paths) the list is read in full.
        Results are checked again here either way.
        """
        spec = self._spec(entity)
        if value is None:
            return []
        if spec.name == "Business_entity":
            return [
                event
                for event in (await self._business_entities()).values()
                if event.op is Operation.UPSERT
                and same_value(get_value(event.data, field_path), value)
            ]
        path = f"/{spec.path}"
        params: dict[str, Any] = {"limit": self.settings.page_size}
        if field_path in spec.filters and not isinstance(value, bool):
            params[f"{field_path}[is]"] = str(value)

        async def fetch(offset: str | None) -> tuple[list[Any], Any]:
            body = await list_page(self.client, path, params, offset)
            return list_rows(self.client, body, spec.wrapper, path), body

        pages = scan(CursorPaginator(None, NEXT_OFFSET), fetch)
        return await self.matching(spec, pages, field_path, value)

    async def _business_entities(self) -> dict[str, ChangeEvent]:
        """Every business entity's latest state, replayed from its events."""
        spec = self._spec("Business_entity")
        latest: dict[str, Any] = {
            key: {"id": key, "name": name, "status": "active", "resource_version": 0}
            for key, name in self.settings.known_business_entities.items()
        }
        params = business_entity_events(self.settings.page_size)

        async def fetch(offset: str | None) -> tuple[list[Any], Any]:
            body = await list_page(self.client, "/events", params, offset)
            return list_rows(self.client, body, "event", "/events"), body

        async for events, _ in scan(CursorPaginator(None, NEXT_OFFSET), fetch):
            for event in events:
                content = event.get("content") if isinstance(event, dict) else None
                entity = (
                    content.get(spec.wrapper) if isinstance(content, dict) else None
                )
                if isinstance(entity, dict) and entity.get("id"):
                    latest[str(entity["id"])] = entity
        states: dict[str, ChangeEvent] = {}
        for key, row in latest.items():
            try:
                states[key] = self.event(spec, row)
            except InvalidRecordError as exc:
                logger.warning(
                    "skipping a business entity that fails validation: %s", exc
                )
        return states

    # -- writes -----------------------------------------------------------------------

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """Create with a client-chosen id; a retry never makes a second entity."""
        spec = self._spec(entity, "create")
        params = {
            k: v for k, v in data.items() if k not in ("deleted", "resource_version")
        }
        record_id = str(params.get("id") or derived_id(idempotency_key))
        params["id"] = record_id
        if spec.name == "Item":
            params.setdefault("type", self.settings.item_type)
            params.setdefault("item_family_id", self.settings.item_family_id)

        async def post() -> ChangeEvent:
            path = f"/{spec.path}"
            key = idempotency_key
            body = await post_form(self.client, path, params, idempotency_key=key)
            row = unwrap(self.client, body, spec.wrapper, "POST", spec.path)
            return self.event(spec, row)

        with self.about(spec, record_id):
            # Refused, the id may be taken already: by our own earlier create whose
            # idempotency key the server forgot, or by an entity matching would
            # have linked anyway. A live one with this id is the result.
            settles = (RejectedRecordError,)
            return await self.create_once(
                entity, record_id, post, look_first=False, settles=settles
            )

    async def update(
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        *,
        expected: ChangeEvent | None = None,
    ) -> ChangeEvent:
        """``POST /{res}/{id}`` with the changes; returns the new state.

        With ``expected``, the entity is read right before each attempt and
        checked (``connectors.base.fresh``); the changes alone are sent.
        """
        spec = self._spec(entity, "update", record_id)
        with self.about(spec, record_id):
            params = self._update_params(spec, record_id, changes)
            check = None
            if expected is not None:

                async def read() -> Any:
                    path = self.item(spec, record_id)
                    body = await self.client.get_json(path)
                    return unwrap(self.client, body, spec.wrapper, "GET", path)

                check = self.fresh_read(spec, record_id, changes, expected, read).check
            body: Any = None
            if spec.name == "Customer":
                billing = {k: v for k, v in params.items() if k in BILLING_FIELDS}
                params = {k: v for k, v in params.items() if k not in BILLING_FIELDS}
                if billing:
                    path = self.item(spec, record_id, "/update_billing_info")
                    body = await post_form(self.client, path, billing, prepare=check)
            if params or body is None:
                path = self.item(spec, record_id)
                body = await post_form(self.client, path, params, prepare=check)
            row = unwrap(self.client, body, spec.wrapper, "POST", spec.path)
            return self.event(spec, row)

    def _update_params(
        self, spec: ChargebeeEntity, record_id: str, changes: dict[str, Any]
    ) -> dict[str, Any]:
        params = dict(changes)
        new_id = params.pop("id", None)
        # An empty mapped id (a product without SKU) has no id to move to.
        if new_id not in (None, "") and str(new_id) != record_id:
            msg = (
                f"{SYSTEM} {spec.name} {record_id}: the id cannot change (to {new_id})"
            )
            raise RejectedRecordError(msg)
        if spec.name == "Order":
            for name in ORDER_TIMES & params.keys():
                try:
                    params[name] = to_unix(params[name])
                except ValueError as exc:
                    msg = f"{SYSTEM} Order {record_id}: {name}: {exc}"
                    raise InvalidRecordError(msg) from None
        return params

    async def delete(self, entity: str, record_id: str) -> None:
        """Soft delete; an entity already deleted or gone counts as deleted."""
        spec = self._spec(entity, "delete", record_id)
        with self.about(spec, record_id):
            current = await self.get(entity, record_id)
            if current is None or current.op is Operation.DELETE:
                return
            key = f"tether-delete:{spec.name}:{record_id}"
            path = self.item(spec, record_id, "/delete")
            await post_form(self.client, path, idempotency_key=key)
