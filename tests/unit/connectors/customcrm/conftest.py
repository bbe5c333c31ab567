"""Customcrm test helpers: settings, an opened client, a fake change listing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.customcrm import CustomcrmSettings, build_client
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.conftest import Sleeps

SECRET = "ccrm-key-77d1-very-secret"
T0 = datetime(2024, 3, 1, 10, tzinfo=UTC)


def settings(**values: Any) -> CustomcrmSettings:
    options: dict[str, Any] = {
        "base_url": "https://customcrm.test/api",
        "api_key": SecretStr(SECRET),
        "page_size": 2,
        "max_attempts": 3,
    }
    options.update(values)
    return CustomcrmSettings(**options)


def at(seconds: float) -> str:
    moment = T0 + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def customer(record_id: str, seconds: float, **fields: Any) -> dict[str, Any]:
    return {
        "Id": record_id,
        "Name": f"Customer {record_id}",
        "UpdatedAt": at(seconds),
        "Deleted": False,
        **fields,
    }


class Listing:
    """``GET /{res}``: ``updated_since`` (inclusive), order, pages, ``next_page``."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.requests.append(params)
        page, size = int(params.get("page", 1)), int(params.get("page_size", 100))
        selected = list(self.rows)
        if "updated_since" in params:
            since = datetime.fromisoformat(params["updated_since"])
            selected = [
                r for r in selected if datetime.fromisoformat(r["UpdatedAt"]) >= since
            ]
        selected.sort(key=lambda r: (r["UpdatedAt"], r["Id"]))
        chunk = selected[(page - 1) * size : page * size]
        more = len(selected) > page * size
        return json_response({"data": chunk, "next_page": page + 1 if more else None})


@pytest.fixture
async def client(api: FakeApi, sleeps: Sleeps) -> AsyncIterator[HttpClient]:
    """An opened Customcrm client over the fake API."""
    async with build_client(
        settings(), transport=api.transport, sleep=sleeps
    ) as opened:
        yield opened
