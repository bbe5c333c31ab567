"""``MembercareSink``: reads and the writes Membercare's API allows, nothing more.

What each type takes (systems.md 5.1, 9.4):

- Companies: create is ``POST ?useAutomaticDebtorAccountNumber=true`` without
  name, numbers, addresses or contacts, then ``POST /{dan}/addresses``; update is
  ``PUT /{dan}`` of the CompanyPut fields (a full replace, so they are merged
  into the current values first) and ``POST /{dan}/addresses`` for addresses.
- Persons: create is ``POST`` (an upsert); update is ``PATCH /{dan}`` whose
  names differ from the read model (``firstname`` -> ``firstName``).
- Organizations: create ``POST`` (``identificationNumber`` is the client's, so a
  retried create finds the first one), update ``PATCH /{idNo}``.
- Invoices: update of ``financeStatus`` only. Products, countries: lookup only.

A change the API cannot write (``businessNumbers``, an organization's address,
an invoice line) is refused as a whole with ``RejectedRecordError`` naming the
fields, before anything is sent: applying part of it would leave the link
believing the rest was written.

Companies and persons get their numbers from the server and the API has no
idempotency key: a create whose answer is lost raises ``TransientError``
("outcome unknown") and is not repeated; the engine finds the entity by its
natural key before creating again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base.entity import EntitySpec, same_value
from connectors.base.fresh import FreshRead
from connectors.base.pagination import scan
from connectors.base.sink import HttpSink
from connectors.errors import RejectedRecordError
from connectors.membercare._fields import (
    COMPANY_CREATE_FIELDS,
    COMPANY_PUT_FIELDS,
    ORGANIZATION_CREATE_FIELDS,
    ORGANIZATION_PATCH_FIELDS,
    PERSON_FIELDS,
    PERSON_PATCH_NAMES,
    indexed,
    merged_address,
)
from connectors.membercare.client import SYSTEM, envelope, paginator
from connectors.membercare.entities import ENTITIES
from connectors.membercare.settings import MembercareSettings
from schemas.countries import country_code
from schemas.envelope import ChangeEvent
from schemas.paths import get_value


class MembercareSink(HttpSink):
    """Writes to Membercare; see the module docstring for what each type takes.

    ``get`` and ``delete`` are the base sink's: types without a time say "now",
    and no type can be deleted.
    """

    system = SYSTEM
    specs = ENTITIES
    settings: MembercareSettings

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Records whose ``field_path`` equals ``value``, from a full listing.

        The API filters nothing tether matches on, so the listing is filtered
        here (text case-insensitively). Countries also match by spelling: a
        ``name`` or ``iso2Letter`` of "Norway", "Norge" or "NO" finds Norge.
        """
        spec = self.spec(entity)
        if value is None:
            return []
        code = country_code(value) if spec.name == "Countries" else None

        def hit(row: Any) -> bool:
            return same_value(get_value(row, field_path), value) or (
                code is not None and get_value(row, "iso2Letter") == code
            )

        async def fetch(page: int) -> tuple[list[Any], Any]:
            query = {"page": page, "pageSize": self.settings.page_size}
            body = await envelope(self.client, spec.path, query)
            return body["result"], body

        pages = scan(paginator(spec.path), fetch)
        return await self.matching(spec, pages, field_path, value, hit)

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """Create as the type's API allows (see the module docstring).

        ``idempotency_key`` is not sent: Membercare has no such header.
        """
        spec = self.writable(entity, "create")
        with self.about(spec):
            if spec.name == "Organizations":
                return await self._create_organization(spec, data)
            addresses = indexed(data.get("addresses"))
            allowed = (
                COMPANY_CREATE_FIELDS if spec.name == "Companies" else PERSON_FIELDS
            )
            self._refuse_unwritable(spec, "", data, [*allowed, "addresses"])
            body = {k: v for k, v in data.items() if k in allowed}
            created = await self.write(
                spec,
                "POST",
                spec.path,
                params={"useAutomaticDebtorAccountNumber": "true"},
                body=body,
                idempotent=False,
            )
            if addresses:
                await self._post_addresses(spec, created.id, None, addresses)
                return self.event(spec, await self.current(spec, created.id))
            return created

    async def update(
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        *,
        expected: ChangeEvent | None = None,
    ) -> ChangeEvent:
        """Apply ``changes`` through the type's update endpoints; the new state.

        Right before each attempt of each write the record is read again and
        checked against ``expected`` (``connectors.base.fresh``); the company
        ``PUT`` and the address ``POST`` merge into that read. A ``PATCH``
        without ``expected`` reads nothing first.
        """
        spec = self.writable(entity, "update", record_id)
        with self.about(spec, record_id):
            path = self.item(spec, record_id)
            fresh = self.fresh_read(spec, record_id, changes, expected)
            check = fresh.check if expected is not None else None
            if spec.name == "Invoices":
                self._refuse_unwritable(spec, record_id, changes, ["financeStatus"])
                await self.client.request(
                    "PATCH", path, body=changes, idempotent=True, prepare=check
                )
            elif spec.name == "Organizations":
                self._refuse_unwritable(
                    spec, record_id, changes, ORGANIZATION_PATCH_FIELDS
                )
                await self.client.request(
                    "PATCH", path, body=changes, idempotent=True, prepare=check
                )
            elif spec.name == "Persons":
                await self._update_person(spec, record_id, changes, fresh)
            else:
                await self._update_company(spec, record_id, changes, fresh)
            return self.event(spec, await self.current(spec, record_id))

    # -- helpers -------------------------------------------------------------------

    def _refuse_unwritable(
        self,
        spec: EntitySpec,
        record_id: str,
        data: Mapping[str, Any],
        allowed: list[str],
    ) -> None:
        refused = sorted(set(data) - set(allowed))
        if refused:
            which = record_id or "(new)"
            fields = ", ".join(refused)
            msg = f"{SYSTEM} {spec.name} {which}: the API cannot write {fields}"
            raise RejectedRecordError(
                msg, system=SYSTEM, entity=spec.name, record_id=record_id
            )

    async def _update_person(
        self,
        spec: EntitySpec,
        record_id: str,
        changes: dict[str, Any],
        fresh: FreshRead,
    ) -> None:
        allowed = [*PERSON_PATCH_NAMES, "addresses"]
        self._refuse_unwritable(spec, record_id, changes, allowed)
        patch = {
            PERSON_PATCH_NAMES[k]: v
            for k, v in changes.items()
            if k in PERSON_PATCH_NAMES
        }
        if patch:
            path = self.item(spec, record_id)
            check = fresh.check if fresh.expected is not None else None
            await self.client.request(
                "PATCH", path, body=patch, idempotent=True, prepare=check
            )
        await self._update_addresses(spec, record_id, changes, fresh)

    async def _update_company(
        self,
        spec: EntitySpec,
        record_id: str,
        changes: dict[str, Any],
        fresh: FreshRead,
    ) -> None:
        allowed = [*COMPANY_PUT_FIELDS, "addresses"]
        self._refuse_unwritable(spec, record_id, changes, allowed)
        put = {k: v for k, v in changes.items() if k in COMPANY_PUT_FIELDS}
        if put:

            async def merged() -> dict[str, Any]:
                current = await fresh.row()
                body = {f: current.get(f) for f in COMPANY_PUT_FIELDS if f in current}
                return body | put

            path = self.item(spec, record_id)
            await self.client.request("PUT", path, prepare=merged)
        await self._update_addresses(spec, record_id, changes, fresh)

    async def _update_addresses(
        self,
        spec: EntitySpec,
        record_id: str,
        changes: Mapping[str, Any],
        fresh: FreshRead,
    ) -> None:
        wanted = indexed(changes.get("addresses"))
        if not wanted:
            return

        async def merged() -> list[dict[str, Any]]:
            return _addresses(await fresh.row(), wanted)

        path = self.item(spec, record_id, "/addresses")
        # Posting the same address again replaces it with itself: safe to retry.
        await self.client.request("POST", path, idempotent=True, prepare=merged)

    async def _post_addresses(
        self,
        spec: EntitySpec,
        record_id: str,
        current: Mapping[str, Any] | None,
        wanted: dict[int, dict[str, Any]],
    ) -> None:
        body = _addresses(current, wanted)
        path = self.item(spec, record_id, "/addresses")
        # Posting the same address again replaces it with itself: safe to retry.
        await self.client.request("POST", path, body=body, idempotent=True)

    async def _create_organization(
        self, spec: EntitySpec, data: Mapping[str, Any]
    ) -> ChangeEvent:
        key = data.get("identificationNumber")
        if not isinstance(key, str) or not key:
            msg = f"{SYSTEM} Organizations (new): identificationNumber is required"
            raise RejectedRecordError(msg, system=SYSTEM, entity=spec.name)
        self._refuse_unwritable(spec, key, data, ORGANIZATION_CREATE_FIELDS)

        async def post() -> ChangeEvent:
            body = dict(data)
            return await self.write(
                spec, "POST", spec.path, body=body, idempotent=False
            )

        # The client chose the key: one already there is a replay of this create.
        return await self.create_once(spec.name, key, post)


def _addresses(
    current: Mapping[str, Any] | None, wanted: dict[int, dict[str, Any]]
) -> list[dict[str, Any]]:
    """The addresses to post: ``current``'s with ``wanted``'s fields over them."""
    existing = list((current or {}).get("addresses") or [])
    return [
        merged_address(existing[i] if i < len(existing) else None, partial)
        for i, partial in sorted(wanted.items())
    ]
