"""Crmoffice test helpers: settings, records, an opened client over ``FakeApi``."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.crmoffice import CrmofficeSettings, build_client
from tests.fakes import FakeApi, Route, json_response
from tests.unit.connectors.conftest import Sleeps

SECRET = "crmoffice-client-secret-1234"


def settings(**values: Any) -> CrmofficeSettings:
    options: dict[str, Any] = {
        "base_url": "https://api.crm.test",
        "client_id": "tether",
        "client_secret": SecretStr(SECRET),
        "page_size": 2,
        "max_attempts": 1,
    }
    return CrmofficeSettings(**(options | values))


def grant(
    token: str = "at-1", refresh: str | None = None, expires: int = 3600
) -> httpx.Response:
    body: dict[str, Any] = {
        "access_token": token,
        "expires_in": expires,
        "token_type": "Bearer",
        "scope": "crmoffice offline_access",
    }
    if refresh:
        body["refresh_token"] = refresh
    return json_response(body)


def add_token(api: FakeApi, *replies: Any) -> Route:
    return api.add("POST", "/connect/token", *(replies or (grant(),)))


def company(
    cid: str, updated: str | None = "2024-03-01T10:00:00.000Z", **fields: Any
) -> dict[str, Any]:
    row: dict[str, Any] = {"id": cid, "name": f"Company {cid}", **fields}
    if updated is not None:
        row["updatedAt"] = updated
    return row


@pytest.fixture
async def client(api: FakeApi, sleeps: Sleeps) -> AsyncIterator[HttpClient]:
    add_token(api)
    async with build_client(settings(), transport=api.transport, sleep=sleeps) as c:
        yield c
