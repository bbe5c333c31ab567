"""Bad input at the connector boundary: bodies, limits, future times, duplicates."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import AwareDatetime

from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec, RecordLimits
from connectors.base.pagination import PageNumberPaginator, Paginator
from connectors.base.settings import ConnectorSettings
from connectors.base.source import HttpSource
from connectors.errors import (
    FatalError,
    InvalidRecordError,
    MalformedResponseError,
    SyncError,
    TransientError,
)
from schemas.base import WireModel
from tests.fakes import FakeApi

NOW = datetime(2024, 5, 1, 12, tzinfo=UTC)


class Thing(WireModel):
    Id: int
    Name: str | None = None
    Price: float | None = None
    UpdatedAt: AwareDatetime


SPEC = EntitySpec("Things", "things", Thing, "Id", "UpdatedAt")


def row(record_id: Any, minutes: int = 0, **fields: Any) -> dict[str, Any]:
    stamp = (NOW - timedelta(hours=1) + timedelta(minutes=minutes)).isoformat()
    return {"Id": record_id, "UpdatedAt": stamp} | fields


def test_malformed_response_is_transient() -> None:
    assert issubclass(MalformedResponseError, TransientError)
    assert issubclass(MalformedResponseError, SyncError)
    assert not issubclass(MalformedResponseError, FatalError)


@pytest.fixture
async def client(api: FakeApi) -> AsyncIterator[HttpClient]:
    async with HttpClient(
        system="demo", base_url="https://demo.test", transport=api.transport
    ) as opened:
        yield opened


def reply(api: FakeApi, content: bytes, content_type: str = "application/json") -> None:
    headers = {"Content-Type": content_type}
    api.add("GET", "/x", httpx.Response(200, content=content, headers=headers))


@pytest.mark.parametrize(
    ("content", "content_type", "says"),
    [
        (b'{"data": [{"Id": 1}, {"Id"', "application/json", "truncated JSON"),
        (b'[{"Name": "unterminated', "application/json", "truncated JSON"),
        (b"<?xml version='1.0'?><Error/>", "application/xml", "XML or markup"),
        (b"<html><body>Bad gateway</body></html>", "text/html", "an HTML page"),
        (b"Service Unavailable", "text/plain", "a body that is not JSON (text/plain"),
    ],
)
async def test_unusable_listing_bodies_are_malformed_responses(
    api: FakeApi, client: HttpClient, content: bytes, content_type: str, says: str
) -> None:
    reply(api, content, content_type)
    with pytest.raises(MalformedResponseError, match=re.escape(says)) as caught:
        await client.get_json("/x")
    assert caught.value.excerpt == content.decode()
    assert caught.value.content_type == content_type
    assert "?" not in str(caught.value)


async def test_invalid_utf8_is_kept_to_the_strings_holding_it(
    api: FakeApi, client: HttpClient
) -> None:
    reply(api, b'[{"Id": 1, "Name": "ok"}, {"Id": 2, "Name": "bad \xff\xfe"}]')
    body = await client.get_json("/x")
    assert body[0] == {"Id": 1, "Name": "ok"}
    assert body[1]["Name"] == "bad \udcff\udcfe"


async def test_nan_literals_are_read_and_left_to_the_models(
    api: FakeApi, client: HttpClient
) -> None:
    reply(api, b'[{"Id": 1, "Price": NaN}]')
    [bad] = await client.get_json("/x")
    with pytest.raises(InvalidRecordError, match="Price: Input should be a finite"):
        SPEC.to_event("demo", bad | {"UpdatedAt": NOW.isoformat()}, now=NOW)


def test_text_longer_than_the_limit_is_refused_naming_it() -> None:
    limits = RecordLimits(max_text_chars=10)
    assert SPEC.to_event("demo", row(1, Name="x" * 10), limits, NOW).id == "1"
    with pytest.raises(
        InvalidRecordError, match="Name: .*11 characters, more than the"
    ):
        SPEC.to_event("demo", row(1, Name="x" * 11), limits, NOW)


def test_the_limit_comes_from_the_settings() -> None:
    settings = ConnectorSettings(base_url="https://x", max_text_chars=5)
    source = ListSource(HttpClient(system="demo", base_url="https://x"), settings)
    assert source.limits.max_text_chars == 5
    assert source.limits.max_future == timedelta(days=1)


def test_modification_times_too_far_ahead_are_refused() -> None:
    soon = row(1) | {"UpdatedAt": (NOW + timedelta(hours=23)).isoformat()}
    assert SPEC.to_event("demo", soon, now=NOW).id == "1"
    late = row(1) | {"UpdatedAt": "9999-12-31T23:59:59+00:00"}
    with pytest.raises(InvalidRecordError, match="more than 1 day.s. in the future"):
        SPEC.to_event("demo", late, now=NOW)
    assert SPEC.position(late, NOW + timedelta(days=1)) is None
    assert SPEC.position(late) is not None


class ListSource(HttpSource):
    """A source over fixed pages (one fetch per page, then an empty one)."""

    system = "demo"
    specs = (SPEC,)
    pages: list[list[Any]] = []

    def paginator(self, spec: EntitySpec) -> Paginator[Any]:
        return PageNumberPaginator()

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        rows = self.pages[token - 1] if token <= len(self.pages) else []
        # A feed lists what changed at or after ``since``, as the real ones do.
        rows = [r for r in rows if since is None or _when(r) >= since]
        return rows, rows


def _when(raw: Any) -> datetime:
    try:
        return datetime.fromisoformat(raw["UpdatedAt"])
    except (TypeError, ValueError):
        return datetime.max.replace(tzinfo=UTC)


async def read(rows: list[Any]) -> tuple[list[str], list[tuple[str, str]]]:
    settings = ConnectorSettings(base_url="https://x")
    source = ListSource(HttpClient(system="demo", base_url="https://x"), settings)
    source.pages = [rows]
    events, bad = [], []
    async for page in source.read("Things", None):
        events += [f"{e.id}:{(e.data or {}).get('Name')}" for e in page.events]
        bad += [(b.record_id, b.reason) for b in page.bad_records]
    return events, bad


async def test_one_id_twice_at_one_time_with_different_content_is_dead_lettered():
    events, bad = await read([row(1, Name="A"), row(2, Name="ok"), row(1, Name="B")])
    assert events == ["2:ok"]
    [(record_id, reason)] = bad
    assert record_id == "1"
    assert "listed twice in one page" in reason


async def test_identical_repeats_and_later_versions_are_ordinary():
    events, bad = await read([row(1, Name="A"), row(1, Name="A")])
    assert (events, bad) == (["1:A"], [])
    events, bad = await read([row(1, Name="A"), row(1, minutes=5, Name="B")])
    assert (events, bad) == (["1:B"], [])


async def test_a_far_future_record_does_not_move_the_cursor():
    settings = ConnectorSettings(base_url="https://x")
    source = ListSource(HttpClient(system="demo", base_url="https://x"), settings)
    future = row(9) | {"UpdatedAt": "9999-01-01T00:00:00+00:00"}
    source.pages = [[row(1), future]]
    [page] = [p async for p in source.read("Things", None)]
    assert [b.record_id for b in page.bad_records] == ["9"]
    assert page.cursor.since is not None
    assert page.cursor.since.year == 2024
