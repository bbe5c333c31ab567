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
from typing import Any, ClassVar

from connectors.base.client import HttpClient
from connectors.base.entity import same_value
from connectors.base.protocols import Capabilities
from connectors.base.sink import (
    item_path,
    matching_events,
    record_context,
    require_operation,
)
from connectors.errors import (
    RejectedRecordError,
    TransientError,
)
from connectors.membercare._fields import (
    COMPANY_CREATE_FIELDS,
    COMPANY_PUT_FIELDS,
    ORGANIZATION_CREATE_FIELDS,
    ORGANIZATION_PATCH_FIELDS,
    PERSON_FIELDS,
    PERSON_PATCH_NAMES,
    country_code,
    get_path,
    indexed,
    merged_address,
)
from connectors.membercare.client import (
    SYSTEM,
    MembercareType,
    membercare_client,
    to_event,
    type_for,
)
from connectors.membercare.settings import MembercareSettings
from schemas.envelope import ChangeEvent, utc_now

_ADDRESSED = ("Companies", "Persons")


class MembercareSink:
    """Writes to Membercare; see the module docstring for what each type takes.

    Args:
        client: The Membercare client, shared with the source.
        settings: Membercare settings.
    """

    system: ClassVar[str] = SYSTEM

    def __init__(self, client: HttpClient, settings: MembercareSettings) -> None:
        self.client = membercare_client(client)
        self.settings = settings

    def capabilities(self, entity: str) -> Capabilities:
        """What the API allows for ``entity``."""
        return type_for(entity).capabilities

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        """The current state, or ``None``; types without a time say "now"."""
        with record_context(SYSTEM, entity, record_id):
            return await self._get(entity, record_id)

    async def _get(self, entity: str, record_id: str) -> ChangeEvent | None:
        declared = type_for(entity)
        if declared.id_field == "id" and not record_id.isdigit():
            return None  # integer ids: nothing else can exist
        row = await self.client.get_json_optional(self._item(declared, record_id))
        return None if row is None else self._event(declared, row)

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Records whose ``field_path`` equals ``value``, from a full listing.

        The API filters nothing tether matches on, so the listing is filtered
        here (text case-insensitively). Countries also match by spelling: a
        ``name`` or ``iso2Letter`` of "Norway", "Norge" or "NO" finds Norge.
        """
        declared = type_for(entity)
        if value is None:
            return []
        code = country_code(value) if declared.name == "Countries" else None

        def hit(row: Any) -> bool:
            return same_value(get_path(row, field_path), value) or (
                code is not None and get_path(row, "iso2Letter") == code
            )

        matches: list[ChangeEvent] = []
        async for page in self.client.pages(declared.path):
            matches += matching_events(
                page.result, hit, lambda row: self._event(declared, row)
            )
        return matches

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """Create as the type's API allows (see the module docstring).

        ``idempotency_key`` is not sent: Membercare has no such header.
        """
        with record_context(SYSTEM, entity):
            return await self._create(entity, data)

    async def _create(self, entity: str, data: dict[str, Any]) -> ChangeEvent:
        declared = self._allowed(entity, "create", "")
        addresses = (
            indexed(data.get("addresses")) if declared.name in _ADDRESSED else {}
        )
        if declared.name == "Organizations":
            return await self._create_organization(declared, data)
        allowed = (
            COMPANY_CREATE_FIELDS if declared.name == "Companies" else PERSON_FIELDS
        )
        self._refuse_unwritable(declared, "", data, [*allowed, "addresses"])
        body = {k: v for k, v in data.items() if k in allowed}
        response = await self.client.request(
            "POST",
            declared.path,
            params={"useAutomaticDebtorAccountNumber": "true"},
            body=body,
            idempotent=False,
        )
        created = self._event(declared, self.client.decode_json(response))
        if addresses:
            await self._post_addresses(declared, created.id, None, addresses)
            return await self._reread(declared, created.id)
        return created

    async def update(
        self, entity: str, record_id: str, changes: dict[str, Any]
    ) -> ChangeEvent:
        """Apply ``changes`` through the type's update endpoints; the new state."""
        with record_context(SYSTEM, entity, record_id):
            return await self._update(entity, record_id, changes)

    async def _update(
        self, entity: str, record_id: str, changes: dict[str, Any]
    ) -> ChangeEvent:
        declared = self._allowed(entity, "update", record_id)
        name = declared.name
        path = self._item(declared, record_id)
        if name == "Invoices":
            self._refuse_unwritable(declared, record_id, changes, ["financeStatus"])
            await self.client.request("PATCH", path, body=changes, idempotent=True)
        elif name == "Organizations":
            self._refuse_unwritable(
                declared, record_id, changes, ORGANIZATION_PATCH_FIELDS
            )
            await self.client.request("PATCH", path, body=changes, idempotent=True)
        elif name == "Persons":
            self._refuse_unwritable(
                declared, record_id, changes, [*PERSON_PATCH_NAMES, "addresses"]
            )
            patch = {
                PERSON_PATCH_NAMES[k]: v
                for k, v in changes.items()
                if k in PERSON_PATCH_NAMES
            }
            if patch:
                await self.client.request("PATCH", path, body=patch, idempotent=True)
            await self._update_addresses(declared, record_id, changes)
        else:
            self._refuse_unwritable(
                declared, record_id, changes, [*COMPANY_PUT_FIELDS, "addresses"]
            )
            put = {k: v for k, v in changes.items() if k in COMPANY_PUT_FIELDS}
            if put:
                current = await self._current(declared, record_id)
                body = {f: current.get(f) for f in COMPANY_PUT_FIELDS if f in current}
                await self.client.request("PUT", path, body=body | put)
            await self._update_addresses(declared, record_id, changes)
        return await self._reread(declared, record_id)

    async def delete(self, entity: str, record_id: str) -> None:
        """Membercare deletes nothing through its API."""
        self._allowed(entity, "delete", record_id)

    # -- helpers -------------------------------------------------------------------

    def _allowed(self, entity: str, operation: str, record_id: str) -> MembercareType:
        declared = type_for(entity)
        require_operation(declared.capabilities, SYSTEM, entity, operation, record_id)
        return declared

    @staticmethod
    def _refuse_unwritable(
        declared: MembercareType,
        record_id: str,
        data: Mapping[str, Any],
        allowed: list[str],
    ) -> None:
        refused = sorted(set(data) - set(allowed))
        if refused:
            which = record_id or "(new)"
            fields = ", ".join(refused)
            msg = f"{SYSTEM} {declared.name} {which}: the API cannot write {fields}"
            raise RejectedRecordError(
                msg, system=SYSTEM, entity=declared.name, record_id=record_id
            )

    @staticmethod
    def _item(declared: MembercareType, record_id: str) -> str:
        return item_path(declared.path, record_id)

    def _event(self, declared: MembercareType, row: Any) -> ChangeEvent:
        return to_event(declared, row, utc_now(), self.client.clock)

    async def _current(
        self, declared: MembercareType, record_id: str
    ) -> dict[str, Any]:
        row = await self.client.get_json_optional(self._item(declared, record_id))
        if not isinstance(row, dict):
            msg = f"{SYSTEM} {declared.name} {record_id}: does not exist"
            raise RejectedRecordError(
                msg, system=SYSTEM, entity=declared.name, record_id=record_id
            )
        return row

    async def _reread(self, declared: MembercareType, record_id: str) -> ChangeEvent:
        return self._event(declared, await self._current(declared, record_id))

    async def _update_addresses(
        self, declared: MembercareType, record_id: str, changes: Mapping[str, Any]
    ) -> None:
        wanted = indexed(changes.get("addresses"))
        if wanted:
            current = await self._current(declared, record_id)
            await self._post_addresses(declared, record_id, current, wanted)

    async def _post_addresses(
        self,
        declared: MembercareType,
        record_id: str,
        current: Mapping[str, Any] | None,
        wanted: dict[int, dict[str, Any]],
    ) -> None:
        existing = list((current or {}).get("addresses") or [])
        body = [
            merged_address(existing[i] if i < len(existing) else None, partial)
            for i, partial in sorted(wanted.items())
        ]
        path = f"{self._item(declared, record_id)}/addresses"
        # Posting the same address again replaces it with itself: safe to retry.
        await self.client.request("POST", path, body=body, idempotent=True)

    async def _create_organization(
        self, declared: MembercareType, data: Mapping[str, Any]
    ) -> ChangeEvent:
        key = data.get("identificationNumber")
        if not isinstance(key, str) or not key:
            msg = f"{SYSTEM} Organizations (new): identificationNumber is required"
            raise RejectedRecordError(msg, system=SYSTEM, entity=declared.name)
        self._refuse_unwritable(declared, key, data, ORGANIZATION_CREATE_FIELDS)
        existing = await self._get(declared.name, key)
        if existing is not None:
            return existing  # the client chose the key: this is a replay
        try:
            response = await self.client.request(
                "POST", declared.path, body=dict(data), idempotent=False
            )
        except (TransientError, RejectedRecordError):
            # Lost answer or "already exists": whether it exists now decides.
            existing = await self._get(declared.name, key)
            if existing is None:
                raise
            return existing
        return self._event(declared, self.client.decode_json(response))
