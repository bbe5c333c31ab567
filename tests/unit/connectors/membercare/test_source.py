"""``MembercareSource``: the debtors feed with per-id fetches, and snapshot reads."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from connectors.base.client import HttpClient
from connectors.base.protocols import SourcePage
from connectors.errors import FatalError, MalformedResponseError
from connectors.membercare import MembercareSource, build_client
from schemas.envelope import Cursor, Operation
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.membercare.conftest import (
    BASE,
    company,
    envelope,
    settings,
)

OSLO = ZoneInfo("Europe/Oslo")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=OSLO)


def person(dan: str, last_change: str) -> dict[str, Any]:
    return {
        "url": f"{BASE}/v1/persons/{dan}",
        "debtorAccountNumber": dan,
        "firstname": "Kari",
        "lastChange": last_change,
    }


class DebtorFeed:
    """``/debtors``: strictly after a local ``changedAfter``, by time then number."""

    def __init__(self, debtors: list[dict[str, Any]]) -> None:
        self.debtors = debtors
        self.requests: list[tuple[str | None, int]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        after = params.get("changedAfter")
        rows = [
            d
            for d in self.debtors
            if after is None or local(d["lastChange"]) > local(after)
        ]
        rows.sort(key=lambda d: (local(d["lastChange"]), int(d["debtorAccountNumber"])))
        page, size = int(params["page"]), int(params["pageSize"])
        self.requests.append((after, page))
        chunk = rows[(page - 1) * size : page * size]
        items = [
            {k: d[k] for k in ("url", "debtorAccountNumber", "lastChange")}
            for d in chunk
        ]
        pages = math.ceil(len(rows) / size)
        return json_response(envelope(items, page, pages, len(rows)))


def serve(api: FakeApi, *records: dict[str, Any]) -> None:
    for record in records:
        path = record["url"].removeprefix("https://t.membercare.test")
        api.add("GET", path, json_response(record))


async def read_all(
    client: HttpClient, entity: str, cursor: Cursor | None = None
) -> list[SourcePage]:
    source = MembercareSource(client, settings())
    return [page async for page in source.read(entity, cursor)]


def ids(pages: list[SourcePage]) -> list[str]:
    return [event.id for page in pages for event in page.events]


def test_entities_in_dependency_order() -> None:
    source = MembercareSource(build_client(settings()), settings())
    assert source.entities() == (
        "Countries",
        "Products",
        "Companies",
        "Persons",
        "Organizations",
        "Invoices",
    )


async def test_companies_come_from_the_feed_fetched_in_full(
    api: FakeApi, client: HttpClient
) -> None:
    companies = [
        company("1001", "2024-03-01T11:00:00"),
        company("1002", "2024-03-01T11:00:01.5"),
        company("1003", "2024-07-01T12:00:00"),
    ]
    feed = DebtorFeed([*companies, person("2", "2024-03-01T11:00:00.5")])
    api.add("GET", "/api/v1/debtors", feed)
    serve(api, *companies)
    pages = await read_all(client, "Companies")
    assert ids(pages) == ["1001", "1002", "1003"]
    events = [e for p in pages for e in p.events]
    assert events[0].modified_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert events[2].modified_at == datetime(2024, 7, 1, 10, tzinfo=UTC)  # summer
    assert events[1].data is not None
    assert events[1].data["companyName"] == "Company 1002"
    assert pages[-1].cursor == Cursor(
        since=datetime(2024, 7, 1, 10, tzinfo=UTC), boundary_ids=("1003",)
    )
    assert feed.requests[0] == (None, 1)


async def test_the_cursor_goes_back_in_local_time_one_millisecond_early(
    api: FakeApi, client: HttpClient
) -> None:
    feed = DebtorFeed([company("1001", "2024-03-01T11:00:00")])
    api.add("GET", "/api/v1/debtors", feed)
    cursor = Cursor(since=datetime(2024, 3, 1, 10, tzinfo=UTC), boundary_ids=("1001",))
    assert await read_all(client, "Companies", cursor) == []
    assert feed.requests == [("2024-03-01T10:59:59.999", 1)]


async def test_a_page_that_moves_the_cursor_restarts_at_page_one(
    api: FakeApi, client: HttpClient
) -> None:
    companies = [company(str(1001 + i), f"2024-03-01T11:00:0{i}") for i in range(5)]
    feed = DebtorFeed(companies)
    api.add("GET", "/api/v1/debtors", feed)
    serve(api, *companies)
    pages = await read_all(client, "Companies")
    assert ids(pages) == [c["debtorAccountNumber"] for c in companies]
    assert [page for _, page in feed.requests] == [1, 1, 1, 1]
    assert feed.requests[1][0] == "2024-03-01T11:00:00.999"


async def test_a_record_gone_before_its_fetch_is_skipped(
    api: FakeApi, client: HttpClient
) -> None:
    api.add(
        "GET", "/api/v1/debtors", DebtorFeed([company("1001", "2024-03-01T11:00:00")])
    )
    api.add("GET", "/api/v1/companies/1001", json_response({"status": 404}, 404))
    assert await read_all(client, "Companies") == []


async def test_bad_records_and_bad_feed_items(api: FakeApi, client: HttpClient) -> None:
    broken = company("1001", "2024-03-01T11:00:00", memberType="member")
    items = [
        broken,
        {"url": f"{BASE}/v1/companies/1002", "debtorAccountNumber": "1002"},
        {"debtorAccountNumber": "1003", "lastChange": "2024-03-01T11:00:00"},
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return json_response(envelope(items))

    api.add("GET", "/api/v1/debtors", handler)
    serve(api, broken)
    pages = await read_all(client, "Companies")
    bad = [(b.record_id, b.reason) for p in pages for b in p.bad_records]
    assert [record_id for record_id, _ in bad] == ["1001", "1002"]
    assert "memberType" in bad[0][1]
    # Named like every other bad record: system, type, id, then why.
    assert (
        bad[1][1] == "membercare Companies 1002: feed item: lastChange: Field required"
    )
    assert ids(pages) == []


async def test_persons_read_the_same_feed(api: FakeApi, client: HttpClient) -> None:
    kari = person("2", "2024-03-01T11:00:00")
    api.add(
        "GET",
        "/api/v1/debtors",
        DebtorFeed([company("1001", "2024-03-01T11:00:00"), kari]),
    )
    serve(api, kari)
    assert ids(await read_all(client, "Persons")) == ["2"]


def organization(number: str, name: str) -> dict[str, Any]:
    return {"identificationNumber": number, "name": name}


class Listing:
    def __init__(self, rows: list[dict[str, Any]], total: int | None = None) -> None:
        self.rows = rows
        self.total = total
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        page, size = (
            int(request.url.params["page"]),
            int(request.url.params["pageSize"]),
        )
        pages = max(1, math.ceil(len(self.rows) / size))
        chunk = self.rows[(page - 1) * size : page * size]
        return json_response(envelope(chunk, page, pages, self.total))


async def test_organizations_are_read_as_snapshots(
    api: FakeApi, client: HttpClient
) -> None:
    listing = Listing([organization(f"0{i}", f"Lag {i}") for i in range(3)])
    api.add("GET", "/api/v1/organizations", listing)
    before = datetime.now(UTC)
    pages = await read_all(client, "Organizations")
    assert ids(pages) == ["00", "01", "02"]
    assert all(
        before <= e.modified_at <= datetime.now(UTC) for p in pages for e in p.events
    )
    # The next page is asked of the tenant, never of the host nextPageUrl names.
    assert {r.url.host for r in listing.requests} == {"t.membercare.test"}
    assert [r.url.params["page"] for r in listing.requests] == ["1", "2"]
    cursor = pages[-1].cursor
    assert await read_all(client, "Organizations", cursor) == []
    listing.rows[1] = organization("01", "Lag en")
    changed = await read_all(client, "Organizations", cursor)
    assert ids(changed) == ["01"]
    listing.rows.pop(2)
    gone = await read_all(client, "Organizations", changed[-1].cursor)
    assert [(e.id, e.op) for p in gone for e in p.events] == [("02", Operation.DELETE)]


async def test_an_incomplete_listing_deletes_nothing(
    api: FakeApi, client: HttpClient
) -> None:
    listing = Listing([organization("1", "A"), organization("2", "B")])
    api.add("GET", "/api/v1/organizations", listing)
    cursor = (await read_all(client, "Organizations"))[-1].cursor
    listing.rows, listing.total = [organization("1", "A")], 2
    assert await read_all(client, "Organizations", cursor) == []


async def test_a_listing_that_never_ends_is_fatal(
    api: FakeApi, client: HttpClient
) -> None:
    looping = envelope([organization("1", "A")], page=1, pages=2) | {"totalPages": 1}
    api.add("GET", "/api/v1/organizations", json_response(looping))
    with pytest.raises(FatalError, match="still names a next page"):
        await read_all(client, "Organizations")


async def test_a_body_that_is_no_envelope_is_a_malformed_page(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/api/v1/invoices", json_response([{"id": 1}]))
    with pytest.raises(MalformedResponseError, match="not a page envelope"):
        await read_all(client, "Invoices")


async def test_invoices_validate_their_fields(api: FakeApi, client: HttpClient) -> None:
    line = {"description": "Kontingent", "unitPrice": 500.0, "quantity": 1.0}
    rows = [
        {
            "id": 90001,
            "financeStatus": 1,
            "financeDate": "2024-03-01T00:00:00",
            "invoiceItems": [line],
            "payer": {"debtorAccountNumber": "2"},
        },
        {"id": "ninety", "financeStatus": 1},
    ]
    api.add("GET", "/api/v1/invoices", json_response(envelope(rows)))
    [page] = await read_all(client, "Invoices")
    [event] = page.events
    assert event.data is not None
    assert event.data["invoiceItems"][0]["unitPrice"] == 500.0
    assert event.data["payer"]["debtorAccountNumber"] == "2"
    assert event.data["financeDate"] == "2024-03-01T00:00:00"
    assert [b.record_id for b in page.bad_records] == ["ninety"]
    assert event.modified_at - datetime.now(UTC) < timedelta(seconds=5)
