"""``WebcrmSource``: the /Queries change feed, keyset paging, cursors, bad rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from connectors.base.client import HttpClient
from connectors.base.protocols import SourcePage
from connectors.errors import FatalError, MalformedResponseError
from connectors.webcrm import ENTITIES, WebcrmSource, build_client, change_query
from schemas.envelope import Cursor, Operation
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.conftest import Sleeps
from tests.unit.connectors.webcrm.conftest import T0, Feed, at, org, settings


async def read_all(
    source: WebcrmSource, entity: str, cursor: Cursor | None
) -> list[SourcePage]:
    return [page async for page in source.read(entity, cursor)]


def ids(pages: list[SourcePage]) -> list[str]:
    return [event.id for page in pages for event in page.events]


def make_source(client: HttpClient) -> WebcrmSource:
    return WebcrmSource(client, settings())


def test_entities_in_dependency_order() -> None:
    source = WebcrmSource(build_client(settings()), settings())
    assert source.entities() == ("Organisations", "Persons", "Products")


def test_change_query_uses_the_supported_pattern() -> None:
    since = datetime(2024, 3, 1, 11, 15, 30, tzinfo=UTC)
    assert change_query(ENTITIES[1], since) == (
        "SELECT * FROM Person WHERE PersonUpdatedAt >= '2024-03-01T11:15:30Z'"
        " ORDER BY PersonUpdatedAt"
    )


async def test_full_read_pages_until_an_empty_array(
    api: FakeApi, client: HttpClient
) -> None:
    feed = Feed([org(i, i) for i in range(1, 6)])
    route = api.add("GET", "/Queries", feed)
    pages = await read_all(make_source(client), "Organisations", None)
    assert ids(pages) == ["1", "2", "3", "4", "5"]
    assert feed.requests[0] == ("0001-01-01T00:00:00Z", 1)
    assert route.requests[0].url.params["Size"] == "2"
    last = pages[-1].cursor
    assert last == Cursor(since=T0 + timedelta(seconds=5), boundary_ids=("5",))
    # Ends on an empty array, never on a short page.
    assert feed.requests[-1][1] == 2


async def test_events_carry_wire_names_and_utc_times(
    api: FakeApi, client: HttpClient
) -> None:
    row = org(7, 0, OrganisationVatNumber="NO912345678MVA", OrganisationOwner=3)
    api.add("GET", "/Queries", Feed([row]))
    [page] = await read_all(make_source(client), "Organisations", None)
    [event] = page.events
    assert (event.system, event.entity, event.id) == ("webcrm", "Organisations", "7")
    assert event.op is Operation.UPSERT
    assert event.modified_at == T0
    assert event.modified_at.tzinfo == UTC
    assert event.data is not None
    assert event.data["OrganisationId"] == 7
    assert event.data["OrganisationVatNumber"] == "NO912345678MVA"
    assert event.data["OrganisationUpdatedAt"] == "2024-03-01T11:00:00+01:00"
    assert "RowNumber" not in event.data


async def test_the_read_restarts_from_the_cursor_after_each_page(
    api: FakeApi, client: HttpClient
) -> None:
    feed = Feed([org(i, i) for i in range(1, 5)])
    api.add("GET", "/Queries", feed)
    await read_all(make_source(client), "Organisations", None)
    # Each request asks again from the newest time seen, at page 1; only a page
    # with nothing newer moves on to the next page number.
    assert feed.requests[1:] == [
        ("2024-03-01T10:00:02Z", 1),
        ("2024-03-01T10:00:03Z", 1),
        ("2024-03-01T10:00:04Z", 1),
        ("2024-03-01T10:00:04Z", 2),
    ]


async def test_an_edit_during_the_read_skips_nothing(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [org(i, i) for i in range(1, 6)]
    feed = Feed(rows)

    def edit_after_first_page(request: httpx.Request) -> httpx.Response:
        response = feed(request)
        if len(feed.requests) == 1:
            rows[0]["OrganisationUpdatedAt"] = at(100)  # record 1 moves to the end
        return response

    api.add("GET", "/Queries", edit_after_first_page)
    pages = await read_all(make_source(client), "Organisations", None)
    assert ids(pages) == ["1", "2", "3", "4", "5", "1"]


async def test_boundary_ids_at_the_cursor_are_skipped(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/Queries", Feed([org(1, 0), org(2, 0), org(3, 1)]))
    cursor = Cursor(since=T0, boundary_ids=("1",))
    pages = await read_all(make_source(client), "Organisations", cursor)
    assert ids(pages) == ["2", "3"]
    assert pages[0].cursor == Cursor(since=T0, boundary_ids=("1", "2"))


async def test_nothing_new_yields_nothing(api: FakeApi, client: HttpClient) -> None:
    api.add("GET", "/Queries", Feed([org(1, 0), org(2, 0)]))
    cursor = Cursor(since=T0, boundary_ids=("1", "2"))
    assert await read_all(make_source(client), "Organisations", cursor) == []


async def test_the_cursor_only_moves_forward(api: FakeApi, client: HttpClient) -> None:
    cursor = Cursor(since=T0 + timedelta(seconds=10), boundary_ids=("9",))
    # A feed that ignores the filter and sends older rows too.
    api.add(
        "GET",
        "/Queries",
        json_response([org(1, 0), org(2, 20), org(3, 5)]),
        json_response([]),
    )
    pages = await read_all(make_source(client), "Organisations", cursor)
    assert ids(pages) == ["1", "2", "3"]
    assert pages[0].cursor == Cursor(
        since=T0 + timedelta(seconds=20), boundary_ids=("2",)
    )


async def test_many_rows_at_one_instant_page_forward(
    api: FakeApi, client: HttpClient
) -> None:
    feed = Feed([org(i, 0) for i in range(1, 6)])
    api.add("GET", "/Queries", feed)
    pages = await read_all(make_source(client), "Organisations", None)
    assert sorted(ids(pages)) == ["1", "2", "3", "4", "5"]
    assert pages[-1].cursor.boundary_ids == ("1", "2", "3", "4", "5")


async def test_an_api_ignoring_the_page_number_raises(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/Queries", json_response([org(1, 0), org(2, 0)]))
    with pytest.raises(FatalError, match="repeats page"):
        await read_all(make_source(client), "Organisations", None)


async def test_malformed_rows_become_bad_records_and_the_rest_flows(
    api: FakeApi, client: HttpClient
) -> None:
    rows: list[Any] = [
        org(1, 1),
        org("abc", 2),
        {"OrganisationName": "no id", "OrganisationUpdatedAt": at(3)},
        org(4, 4, OrganisationUpdatedAt="last tuesday"),
        org(5, 5),
    ]
    api.add("GET", "/Queries", json_response(rows), json_response([]))
    source = WebcrmSource(client, settings(page_size=10))
    [page] = await read_all(source, "Organisations", None)
    assert [e.id for e in page.events] == ["1", "5"]
    bad = {b.record_id: b for b in page.bad_records}
    assert set(bad) == {"abc", "<missing>", "4"}
    assert all(
        b.system == "webcrm" and b.entity == "Organisations" for b in bad.values()
    )
    assert "OrganisationId" in bad["abc"].reason
    assert "OrganisationUpdatedAt" in bad["4"].reason
    assert bad["abc"].payload == rows[1]
    assert page.cursor == Cursor(since=T0 + timedelta(seconds=5), boundary_ids=("5",))


async def test_a_bad_row_without_id_is_not_reported_again_from_the_cursor(
    api: FakeApi, client: HttpClient
) -> None:
    no_id = {"OrganisationName": "no id", "OrganisationUpdatedAt": at(3)}
    api.add("GET", "/Queries", Feed([org(1, 1), no_id]))
    source = WebcrmSource(client, settings(page_size=10))
    first = await read_all(source, "Organisations", None)
    assert [b.record_id for p in first for b in p.bad_records] == ["<missing>"]
    cursor = first[-1].cursor
    assert cursor.since == T0 + timedelta(seconds=3)
    # The feed returns the record again at the cursor (>=): it is not new.
    again = await read_all(source, "Organisations", cursor)
    assert [b.record_id for p in again for b in p.bad_records] == []


async def test_a_bad_row_with_a_readable_position_is_not_reported_twice(
    api: FakeApi, client: HttpClient
) -> None:
    bad = org(1, 1, OrganisationOwner="not a number")
    api.add("GET", "/Queries", Feed([bad]))
    source = WebcrmSource(client, settings(page_size=10))
    pages = await read_all(source, "Organisations", None)
    assert [b.record_id for p in pages for b in p.bad_records] == ["1"]
    assert pages[0].cursor == Cursor(
        since=T0 + timedelta(seconds=1), boundary_ids=("1",)
    )
    again = await read_all(source, "Organisations", pages[0].cursor)
    assert again == []


async def test_throttling_waits_for_retry_after_seconds(
    api: FakeApi, client: HttpClient, sleeps: Sleeps
) -> None:
    throttled = json_response(
        {"RetryAfterSeconds": 14, "Message": "throttled", "Type": "TooManyRequests"},
        429,
    )
    api.add("GET", "/Queries", throttled, json_response([]))
    assert await read_all(make_source(client), "Persons", None) == []
    assert sleeps.delays == [14.0]


async def test_a_body_that_is_not_an_array_is_a_malformed_page(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/Queries", json_response({"Message": "odd"}))
    with pytest.raises(
        MalformedResponseError,
        match="expected a JSON array of Products, got a JSON dict",
    ):
        await read_all(make_source(client), "Products", None)
