"""Chargebee test helpers: settings, an opened client, records and a fake listing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.chargebee import ChargebeeSettings, build_client
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.conftest import Sleeps

SECRET = "test_cbkey_8f2d-very-secret"
BASE = "/api/v2"
T0 = 1709287200
"""2024-03-01T10:00:00Z in Unix seconds."""


def settings(**values: Any) -> ChargebeeSettings:
    options: dict[str, Any] = {
        "site": "acme-test",
        "api_key": SecretStr(SECRET),
        "page_size": 2,
        "max_attempts": 3,
    }
    options.update(values)
    return ChargebeeSettings(**options)


def item(
    record_id: str, seconds: int, millis: int = 0, **fields: Any
) -> dict[str, Any]:
    """An item written ``seconds`` after T0 (``millis`` into that second)."""
    return {
        "id": record_id,
        "name": f"Item {record_id}",
        "type": "charge",
        "item_family_id": "webshop-products",
        "status": "active",
        "updated_at": T0 + seconds,
        "resource_version": (T0 + seconds) * 1000 + millis,
        "deleted": False,
        "object": "item",
        **fields,
    }


def business_entity(record_id: str, seconds: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": record_id,
        "name": f"Entity {record_id}",
        "status": "active",
        "updated_at": T0 + seconds,
        "resource_version": (T0 + seconds) * 1000,
        "deleted": False,
        "object": "business_entity",
        **fields,
    }


def event(kind: str, entity: dict[str, Any], number: int) -> dict[str, Any]:
    return {
        "event": {
            "id": f"ev_{number}",
            "occurred_at": entity["updated_at"],
            "event_type": kind,
            "content": {"business_entity": entity},
        }
    }


def form(request: httpx.Request) -> dict[str, str]:
    """A form-encoded request body as a dict."""
    return dict(httpx.QueryParams(request.content.decode()))


def wrapped(key: str, record: dict[str, Any], status: int = 200) -> httpx.Response:
    return json_response({key: record}, status)


def error(status: int, code: str, param: str | None = None) -> httpx.Response:
    body = {"message": "refused", "type": "invalid_request", "api_error_code": code}
    if param:
        body["param"] = param
    return httpx.Response(status, content=orjson.dumps(body))


class Listing:
    """``GET /{res}``: ``updated_at[after]`` (exclusive), ascending, keyset offsets."""

    def __init__(self, rows: list[dict[str, Any]], key: str = "item") -> None:
        self.rows = rows
        self.key = key
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.requests.append(params)
        rows = sorted(
            self.rows, key=lambda r: (r["updated_at"], r.get("resource_version", 0))
        )
        if "updated_at[after]" in params:
            after = int(params["updated_at[after]"])
            rows = [r for r in rows if r["updated_at"] > after]
        start = int(params.get("offset", 0))
        limit = int(params.get("limit", 10))
        page = rows[start : start + limit]
        body: dict[str, Any] = {"list": [{self.key: r} for r in page]}
        if start + limit < len(rows):
            body["next_offset"] = str(start + limit)
        return json_response(body)


@pytest.fixture
async def client(api: FakeApi, sleeps: Sleeps) -> AsyncIterator[HttpClient]:
    """An opened Chargebee client over the fake API."""
    async with build_client(
        settings(), transport=api.transport, sleep=sleeps
    ) as opened:
        yield opened
