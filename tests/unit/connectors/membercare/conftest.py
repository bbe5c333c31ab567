"""Membercare test helpers: settings, records, an opened client over ``FakeApi``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.membercare import MembercareSettings, build_client
from tests.fakes import FakeApi, Route, json_response
from tests.unit.connectors.conftest import Sleeps

SECRET = "client-api-key-very-secret"
BASE = "https://t.membercare.test/api"
# 2024-03-01 10:30 UTC is 11:30 in Oslo (winter time, +01:00).
NOW = datetime(2024, 3, 1, 10, 30, tzinfo=UTC)


def settings(**values: Any) -> MembercareSettings:
    options: dict[str, Any] = {
        "base_url": BASE,
        "api_key": SecretStr(SECRET),
        "person_to_impersonate": "1",
        "page_size": 2,
        "max_attempts": 2,
    }
    return MembercareSettings(**(options | values))


def envelope(
    rows: list[Any], page: int = 1, pages: int = 1, total: int | None = None
) -> dict[str, Any]:
    more = page < pages
    return {
        "totalCount": len(rows) if total is None else total,
        "totalPages": pages,
        "previousPageUrl": None,
        "nextPageUrl": f"https://elsewhere.test/x?page={page + 1}" if more else None,
        "result": rows,
    }


def company(dan: str, last_change: str, **fields: Any) -> dict[str, Any]:
    return {
        "url": f"{BASE}/v1/companies/{dan}",
        "debtorAccountNumber": dan,
        "companyName": f"Company {dan}",
        "lastChange": last_change,
        **fields,
    }


def add_token(
    api: FakeApi, *values: str, expiration: str = "2024-03-01T12:30:00"
) -> Route:
    replies = [
        json_response({"value": value, "expiration": expiration})
        for value in (values or ("tok-1",))
    ]
    return api.add("GET", "/api/v1/token", *replies)


def open_client(api: FakeApi, sleeps: Sleeps, **values: Any) -> HttpClient:
    return build_client(
        settings(**values), transport=api.transport, sleep=sleeps, now=lambda: NOW
    )


@pytest.fixture
async def client(api: FakeApi, sleeps: Sleeps) -> AsyncIterator[HttpClient]:
    """An opened Membercare client whose token request succeeds."""
    add_token(api)
    async with open_client(api, sleeps) as opened:
        yield opened


def params(request: httpx.Request) -> dict[str, str]:
    return dict(request.url.params)
