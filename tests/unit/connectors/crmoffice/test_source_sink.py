"""Crmoffice source and sink, with each assumption on and off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest

from connectors.base.client import HttpClient
from connectors.base.protocols import SourcePage
from connectors.base.snapshot import SNAPSHOT_MARK
from connectors.crmoffice import CrmofficeSink, CrmofficeSource, build_client
from connectors.errors import (
    ConfigurationError,
    FatalError,
    RejectedRecordError,
    TransientError,
)
from schemas.envelope import Cursor
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.crmoffice.conftest import company, settings

T0 = datetime(2024, 3, 1, 10, tzinfo=UTC)


def stamp(seconds: float) -> str:
    moment = T0 + timedelta(seconds=seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Feed:
    """``?updatedSince=`` (inclusive, by time) with ``page``/``pageSize``."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.requests: list[dict[str, str]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.requests.append(params)
        since = datetime.fromisoformat(params["updatedSince"].replace("Z", "+00:00"))
        rows = [r for r in self.rows if datetime.fromisoformat(r["updatedAt"]) >= since]
        rows.sort(key=lambda r: (r["updatedAt"], r["id"]))
        page, size = int(params.get("page", 1)), int(params.get("pageSize", 1000))
        return json_response({"items": rows[(page - 1) * size : page * size]})


async def read_all(
    client: HttpClient, cursor: Cursor | None = None, **values: Any
) -> list[SourcePage]:
    source = CrmofficeSource(client, settings(**values))
    return [page async for page in source.read("Companies", cursor)]


def ids(pages: list[SourcePage]) -> list[str]:
    return [event.id for page in pages for event in page.events]


async def test_the_feed_starts_from_1970_and_restarts_when_the_cursor_moves(
    api: FakeApi, client: HttpClient
) -> None:
    feed = Feed([company(f"c-{i}", stamp(i)) for i in range(3)])
    api.add("GET", "/companies", feed)
    pages = await read_all(client)
    assert ids(pages) == ["c-0", "c-1", "c-2"]
    assert feed.requests[0] == {
        "updatedSince": "1970-01-01T00:00:00.000Z",
        "page": "1",
        "pageSize": "2",
    }
    assert feed.requests[1]["updatedSince"] == "2024-03-01T10:00:01.000Z"
    assert feed.requests[1]["page"] == "1"
    assert pages[-1].cursor == Cursor(
        since=T0 + timedelta(seconds=2), boundary_ids=("c-2",)
    )
    assert await read_all(client, pages[-1].cursor) == []


async def test_clock_skew_and_missing_times(api: FakeApi, client: HttpClient) -> None:
    rows = [company("c-1", stamp(0)), company("c-2", None), company("c-3", stamp(1))]
    api.add("GET", "/companies", json_response({"items": rows}))
    [page] = await read_all(client, clock_skew_seconds=30)
    assert [e.modified_at for e in page.events] == [
        T0 + timedelta(seconds=30),
        T0 + timedelta(seconds=31),
    ]
    assert [b.record_id for b in page.bad_records] == ["c-2"]
    assert "CRMOFFICE_UPDATED_SINCE" in page.bad_records[0].reason


async def test_without_paging_one_request_answers_everything(
    api: FakeApi, client: HttpClient
) -> None:
    feed = Feed([company(f"c-{i}", stamp(i)) for i in range(5)])
    api.add("GET", "/companies", feed)
    assert len(ids(await read_all(client, paging=False))) == 5
    assert feed.requests == [{"updatedSince": "1970-01-01T00:00:00.000Z"}]


async def test_a_server_that_does_not_page(api: FakeApi, client: HttpClient) -> None:
    rows = [company(f"c-{i}", stamp(0)) for i in range(3)]
    api.add("GET", "/companies", json_response({"items": rows}))
    assert len(ids(await read_all(client))) == 3  # more than a page: all of it
    same = {"items": rows[:2]}
    api.routes.clear()
    api.add("GET", "/companies", json_response(same))
    cursor = Cursor(since=T0, boundary_ids=("c-0", "c-1"))
    with pytest.raises(FatalError, match="CRMOFFICE_PAGING"):
        await read_all(client, cursor)


async def test_snapshots_when_updated_since_is_off(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [company("c-1", None), company("c-2", stamp(5))]

    def listing(request: httpx.Request) -> httpx.Response:
        first = request.url.params["page"] == "1"
        return json_response({"items": rows if first else []})

    route = api.add("GET", "/companies", listing)
    before = datetime.now(UTC)
    pages = await read_all(client, updated_since=False)
    after = datetime.now(UTC)
    events = [e for p in pages for e in p.events]
    assert [e.id for e in events] == ["c-1", "c-2"]
    assert events[1].modified_at == T0 + timedelta(seconds=5)  # its own time
    assert before <= events[0].modified_at <= after  # the time it was read
    assert "updatedSince" not in route.requests[0].url.params
    cursor = pages[-1].cursor
    assert cursor.boundary_ids[0] == SNAPSHOT_MARK
    assert await read_all(client, cursor, updated_since=False) == []
    # Switching the assumption back on starts the feed over.
    api.routes.clear()
    api.add("GET", "/companies", Feed([company("c-2", stamp(5))]))
    assert ids(await read_all(client, cursor)) == ["c-2"]


def test_writes_off_means_lookup_only() -> None:
    sink = CrmofficeSink(build_client(settings()), settings(writes=False))
    assert all(sink.capabilities(e).lookup_only for e in ("Companies", "Contacts"))
    on = CrmofficeSink(build_client(settings()), settings())
    caps = on.capabilities("Activities")
    assert (caps.create, caps.update, caps.delete) == (True, True, False)


async def test_refused_writes_send_nothing(api: FakeApi) -> None:
    sink = CrmofficeSink(
        build_client(settings(), transport=api.transport), settings(writes=False)
    )
    with pytest.raises(RejectedRecordError, match="cannot create"):
        await sink.create("Companies", {"name": "x"}, idempotency_key="k")
    with pytest.raises(RejectedRecordError, match="cannot update"):
        await sink.update("Contacts", "p-1", {"givenName": "x"})
    with pytest.raises(RejectedRecordError, match="cannot delete"):
        await sink.delete("Activities", "a-1")
    assert api.requests == []


async def test_updates_merge_nested_addresses_and_put_everything(
    api: FakeApi, client: HttpClient
) -> None:
    visit = {"streetAddress": "Storgata 1", "postalArea": "Oslo", "country": "Norge"}
    current = company("c-1", stamp(0), orgNr="912345678", visitAddress=visit)
    api.add("GET", "/companies/c-1", json_response(current))
    put = api.add(
        "PUT", "/companies/c-1", json_response(current | {"updatedAt": stamp(1)})
    )
    event = await CrmofficeSink(client, settings()).update(
        "Companies", "c-1", {"visitAddress": {"country": "NO"}}
    )
    sent = orjson.loads(put.requests[0].content)
    assert "id" not in sent
    assert "updatedAt" not in sent
    assert sent["orgNr"] == "912345678"
    assert sent["visitAddress"] == {
        "streetAddress": "Storgata 1",
        "postalArea": "Oslo",
        "country": "NO",
    }
    assert event.modified_at == T0 + timedelta(seconds=1)


async def test_create_is_unsafe_and_strips_server_fields(
    api: FakeApi, client: HttpClient
) -> None:
    post = api.add(
        "POST",
        "/companies",
        json_response(company("c-9", stamp(0)), 201),
        json_response({}, 502),
    )
    sink = CrmofficeSink(client, settings())
    created = await sink.create(
        "Companies", {"id": "x", "name": "A"}, idempotency_key="k"
    )
    assert created.id == "c-9"
    assert orjson.loads(post.requests[0].content) == {"name": "A"}
    with pytest.raises(TransientError, match="outcome unknown"):
        await sink.create("Companies", {"name": "A"}, idempotency_key="k")
    assert post.calls == 2


async def test_get_and_find(api: FakeApi, client: HttpClient) -> None:
    api.add("GET", "/companies/c-404", json_response({}, 404))
    rows = [
        company("c-1", stamp(0), visitAddress={"country": "Norge"}),
        company("c-2", stamp(1), visitAddress={"country": "Sverige"}),
    ]

    def listing(request: httpx.Request) -> httpx.Response:
        first = request.url.params["page"] == "1"
        return json_response({"items": rows if first else []})

    api.add("GET", "/companies", listing)
    sink = CrmofficeSink(client, settings())
    assert await sink.get("Companies", "c-404") is None
    found = await sink.find("Companies", "visitAddress.country", "norge")
    assert [e.id for e in found] == ["c-1"]
    assert await sink.find("Companies", "name", None) == []


async def test_a_missing_record_cannot_be_updated(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/contacts/p-1", json_response({}, 404))
    with pytest.raises(RejectedRecordError, match="does not exist") as caught:
        await CrmofficeSink(client, settings()).update(
            "Contacts", "p-1", {"givenName": "K"}
        )
    assert (caught.value.entity, caught.value.record_id) == ("Contacts", "p-1")


async def test_find_refuses_a_listing_that_repeats_itself(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [company("c-1", stamp(0)), company("c-2", stamp(1))]
    api.add("GET", "/companies", json_response({"items": rows}))
    with pytest.raises(FatalError, match="CRMOFFICE_PAGING"):
        await CrmofficeSink(client, settings()).find("Companies", "name", "x")


def test_unknown_types_and_wrong_clients_are_configuration_errors() -> None:
    sink = CrmofficeSink(build_client(settings()), settings())
    with pytest.raises(ConfigurationError, match="no entity type 'Users'"):
        sink.capabilities("Users")
    other = HttpClient(system="membercare", base_url="https://x.test")
    with pytest.raises(ConfigurationError, match="crmoffice needs a crmoffice client"):
        CrmofficeSource(other, settings())
