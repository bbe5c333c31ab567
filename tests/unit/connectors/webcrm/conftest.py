"""Webcrm test helpers: settings, an opened client over ``FakeApi``, a fake feed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.webcrm import WebcrmSettings, build_client
from tests.fakes import FakeApi, Route, json_response
from tests.unit.connectors.conftest import Sleeps

SECRET = "app-token-5e2f-very-secret"
BASE = "https://webcrm.test"
T0 = datetime(2024, 3, 1, 10, tzinfo=UTC)


def settings(**values: Any) -> WebcrmSettings:
    options: dict[str, Any] = {
        "base_url": BASE,
        "api_token": SecretStr(SECRET),
        "page_size": 2,
        "max_attempts": 3,
    }
    options.update(values)
    return WebcrmSettings(**options)


def login_body(token: str = "access-1", expires_in: int = 3600) -> dict[str, Any]:
    return {
        "AccessToken": token,
        "RefreshToken": "refresh",
        "Error": None,
        "ErrorDescription": None,
        "IsError": False,
        "ExpiresIn": expires_in,
        "TokenType": "Bearer",
        "SystemId": 1,
    }


def at(seconds: float) -> str:
    """``T0 + seconds`` as Webcrm renders it: 7 fractional digits, +01:00."""
    moment = (T0 + timedelta(seconds=seconds)).astimezone(
        datetime.strptime("+0100", "%z").tzinfo
    )
    text = moment.isoformat(timespec="microseconds")
    return f"{text[:-6]}0{text[-6:]}"


def org(record_id: Any, seconds: float, **fields: Any) -> dict[str, Any]:
    return {
        "OrganisationId": record_id,
        "OrganisationName": f"Org {record_id}",
        "OrganisationUpdatedAt": at(seconds),
        **fields,
    }


class Feed:
    """``/Queries`` over ``rows``: the ``>=`` filter, order, ``Page``/``Size``."""

    def __init__(
        self, rows: list[dict[str, Any]], field: str = "OrganisationUpdatedAt"
    ):
        self.rows = rows
        self.field = field
        self.requests: list[tuple[str, int]] = []

    def time_of(self, row: dict[str, Any]) -> datetime:
        try:
            return datetime.fromisoformat(row[self.field])
        except (KeyError, TypeError, ValueError):
            return T0 - timedelta(days=1)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        script = request.url.params["script"]
        match = re.search(r">= '([^']+)'", script)
        assert match is not None, script
        since = datetime.fromisoformat(match[1])
        page, size = int(request.url.params["Page"]), int(request.url.params["Size"])
        self.requests.append((match[1], page))
        selected = [row for row in self.rows if self.time_of(row) >= since]
        selected.sort(key=self.time_of)
        chunk = selected[(page - 1) * size : page * size]
        return json_response([{**row, "RowNumber": i} for i, row in enumerate(chunk)])


def add_login(api: FakeApi, *replies: httpx.Response) -> Route:
    return api.add(
        "POST", "/Auth/ApiLogin", *(replies or (json_response(login_body()),))
    )


@pytest.fixture
async def client(api: FakeApi, sleeps: Sleeps) -> AsyncIterator[HttpClient]:
    """An opened Webcrm client whose login succeeds."""
    add_login(api)
    async with build_client(
        settings(), transport=api.transport, sleep=sleeps
    ) as opened:
        yield opened
