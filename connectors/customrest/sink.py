"""``CustomRestSink``: writes over our REST contract (idempotent creates)."""

from __future__ import annotations

from typing import Any

from connectors.base.entity import EntitySpec
from connectors.base.pagination import CursorPaginator, scan
from connectors.base.sink import HttpSink
from connectors.customrest.client import NEXT_PAGE, rows
from schemas.envelope import ChangeEvent


def _writable(spec: EntitySpec, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` without the server-owned ones, which the contract refuses."""
    owned = {spec.id_field, spec.updated_field, spec.deleted_field}
    return {name: value for name, value in fields.items() if name not in owned}


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CustomRestSink(HttpSink):
    """Writes over our REST contract; creates are safe to retry (idempotency key).

    ``get`` and ``delete`` (soft; a record already gone counts as deleted) are
    the base sink's.
    """

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Live (not deleted) entities whose ``field_path`` equals ``value``.

        The server filters; results are checked again here, so a server that
        ignored an unknown filter can never make everything look like a match.
        """
        spec = self.spec(entity)
        if value is None:
            return []
        path = f"/{spec.path}"

        async def fetch(token: int) -> tuple[list[Any], Any]:
            params = {
                field_path: _query_value(value),
                "page": token,
                "page_size": self.settings.page_size,
            }
            body = await self.client.get_json(path, params=params)
            return rows(self.client, path, body), body

        pages = scan(CursorPaginator(1, NEXT_PAGE), fetch)
        return await self.matching(spec, pages, field_path, value)

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """``POST`` with ``Idempotency-Key``: a retry returns the first result."""
        spec = self.writable(entity, "create")
        with self.about(spec):
            return await self.write(
                spec,
                "POST",
                f"/{spec.path}",
                body=_writable(spec, data),
                headers={"Idempotency-Key": idempotency_key},
                idempotent=True,
            )

    async def update(
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        *,
        expected: ChangeEvent | None = None,
    ) -> ChangeEvent:
        """``PUT`` only the changed fields; returns the new state.

        With ``expected``, or when the body is merged from the record
        (``merges``), the record is read right before each attempt and checked
        (``connectors.base.fresh``).
        """
        spec = self.writable(entity, "update", record_id)
        with self.about(spec, record_id):
            prepare = None
            if expected is not None or self.merges(spec, changes):
                fresh = self.fresh_read(spec, record_id, changes, expected)

                async def body() -> dict[str, Any]:
                    row = await fresh.row()
                    return _writable(spec, self.merged(spec, row, changes))

                prepare = body
            return await self.write(
                spec,
                "PUT",
                self.item(spec, record_id),
                body=_writable(spec, changes),
                prepare=prepare,
            )

    def merges(self, spec: EntitySpec, changes: dict[str, Any]) -> bool:
        """Whether ``changes`` must be merged into the current record (no)."""
        return False

    def merged(
        self, spec: EntitySpec, current: Any, changes: dict[str, Any]
    ) -> dict[str, Any]:
        """The fields to ``PUT`` for ``changes``, given the current record."""
        return changes
