"""Our own generic REST contract (Customcrm, Customwebshop): client, source, sink.

Contract: ``Authorization: Bearer <key>``;
``GET /{res}?updated_since=<ISO>&page=&page_size=`` -> ``{"data": [...],
"next_page": n | null}``, inclusive and ordered by ``UpdatedAt`` then ``Id``, with
soft-deleted records (``Deleted: true``); equality filters ``GET /{res}?Field=v``;
``GET /{res}/{Id}``; ``POST /{res}`` -> 201 object (``Idempotency-Key`` makes a
repeat return the original); ``PUT /{res}/{Id}`` partial -> 200 object;
``DELETE /{res}/{Id}`` soft -> 204; 429 with ``Retry-After``.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import httpx
from pydantic import SecretStr

from connectors.base.auth import BearerAuth
from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec, field_value, same_value
from connectors.base.pagination import CursorPaginator
from connectors.base.ratelimit import SlidingWindowLimiter
from connectors.base.settings import ConnectorSettings
from connectors.base.sink import HttpSink
from connectors.base.source import HttpSource
from connectors.errors import InvalidRecordError
from schemas.envelope import ChangeEvent, Operation

logger = logging.getLogger(__name__)

NEXT_PAGE = "next_page"


class CustomRestSettings(ConnectorSettings):
    """Settings of a system on our REST contract; ``base_url`` has no default.

    Attributes:
        api_key: Sent as ``Authorization: Bearer <api_key>``.
    """

    api_key: SecretStr


class CustomRestClient(HttpClient):
    """``HttpClient`` with a bearer API key and the settings' limits.

    Args:
        settings: The system's settings.
        system: The system id (``customcrm``).
        transport: An httpx transport (tests).
        **overrides: Further ``HttpClient`` arguments (``sleep``, ``now``, ``rng``).
    """

    def __init__(
        self,
        settings: CustomRestSettings,
        *,
        system: str,
        transport: httpx.AsyncBaseTransport | None = None,
        **overrides: Any,
    ) -> None:
        limit = settings.rate_limit_per_minute
        super().__init__(
            system=system,
            base_url=settings.base_url,
            auth=BearerAuth(settings.api_key),
            retry=settings.retry_policy(),
            timeout=settings.timeout,
            limiter=SlidingWindowLimiter(limit) if limit else None,
            transport=transport,
            **overrides,
        )


def _rows(client: HttpClient, path: str, body: Any) -> list[Any]:
    data = body.get("data") if isinstance(body, Mapping) else None
    # Without ``next_page`` the listing would look finished after this page and
    # the pages after it would be skipped without a word.
    if not isinstance(data, list) or NEXT_PAGE not in body:
        if body is None:
            got = "an empty body"
        elif isinstance(body, Mapping):
            got = f"an object with {', '.join(sorted(map(str, body))) or 'no keys'}"
        else:
            got = f"a JSON {type(body).__name__}"
        problem = f'expected {{"data": [...], "next_page": ...}}, got {got}'
        error = client.shape_error("GET", path, problem, body)
        raise error
    return data


def _writable(spec: EntitySpec, fields: dict[str, Any]) -> dict[str, Any]:
    """``fields`` without the server-owned ones, which the contract refuses."""
    owned = {spec.id_field, spec.updated_field, spec.deleted_field}
    return {name: value for name, value in fields.items() if name not in owned}


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class CustomRestSource(HttpSource):
    """Changes from ``GET /{res}?updated_since=&page=&page_size=``."""

    def paginator(self) -> CursorPaginator[int]:
        """Page 1, then whatever ``next_page`` says, until it is ``null``."""
        return CursorPaginator(1, NEXT_PAGE)

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        """One page of records updated at or after ``since``."""
        path = f"/{spec.path}"
        params: dict[str, Any] = {"page": token, "page_size": self.settings.page_size}
        if since is not None:
            iso = since.astimezone(UTC).isoformat().replace("+00:00", "Z")
            params["updated_since"] = iso
        body = await self.client.get_json(path, params=params)
        return _rows(self.client, path, body), body


class CustomRestSink(HttpSink):
    """Writes over our REST contract; creates are safe to retry (idempotency key)."""

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        """The current state; a soft-deleted record is a delete event, no data."""
        spec = self.spec(entity)
        with self.about(spec, record_id):
            row = await self.client.get_json_optional(self._item(spec, record_id))
            return None if row is None else self.event(spec, row)

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Live (not deleted) entities whose ``field_path`` equals ``value``.

        The server filters; results are checked again here, so a server that
        ignored an unknown filter can never make everything look like a match.
        """
        spec = self.spec(entity)
        if value is None:
            return []
        path = f"/{spec.path}"
        matches: list[ChangeEvent] = []
        paginator: CursorPaginator[int] = CursorPaginator(1, NEXT_PAGE)
        while not paginator.finished:
            params = {
                field_path: _query_value(value),
                "page": paginator.current_token,
                "page_size": self.settings.page_size,
            }
            body = await self.client.get_json(path, params=params)
            for row in _rows(self.client, path, body):
                if not same_value(field_value(row, field_path), value):
                    continue
                try:
                    event = self.event(spec, row)
                except InvalidRecordError as exc:
                    logger.warning("skipping a match that fails validation: %s", exc)
                    continue
                if event.op is Operation.UPSERT:
                    matches.append(event)
            paginator.advance(body)
        return matches

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """``POST`` with ``Idempotency-Key``: a retry returns the first result."""
        spec = self.spec(entity)
        self.require(spec, "create")
        with self.about(spec):
            response = await self.client.request(
                "POST",
                f"/{spec.path}",
                body=_writable(spec, data),
                headers={"Idempotency-Key": idempotency_key},
                idempotent=True,
            )
            return self.event(spec, self.client.decode_json(response))

    async def update(
        self, entity: str, record_id: str, changes: dict[str, Any]
    ) -> ChangeEvent:
        """``PUT`` only the changed fields; returns the new state."""
        spec = self.spec(entity)
        self.require(spec, "update", record_id)
        with self.about(spec, record_id):
            path = self._item(spec, record_id)
            body = _writable(spec, changes)
            response = await self.client.request("PUT", path, body=body)
            return self.event(spec, self.client.decode_json(response))

    async def delete(self, entity: str, record_id: str) -> None:
        """Soft delete; an entity already gone counts as deleted."""
        spec = self.spec(entity)
        self.require(spec, "delete", record_id)
        with self.about(spec, record_id):
            await self.client.request_optional("DELETE", self._item(spec, record_id))

    @staticmethod
    def _item(spec: EntitySpec, record_id: str) -> str:
        return f"/{spec.path}/{quote(record_id, safe='')}"
