"""``ChargebeeSource``: updated_at paging, versions within a second, deletes, events."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from connectors.base.client import HttpClient
from connectors.base.protocols import SourcePage
from connectors.chargebee import ChargebeeSource, VersionTracker, build_client
from connectors.errors import MalformedResponseError
from schemas.envelope import Cursor, Operation
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.chargebee.conftest import (
    BASE,
    SECRET,
    T0,
    Listing,
    business_entity,
    event,
    item,
    settings,
)


def at(seconds: int, millis: int = 0) -> datetime:
    return datetime.fromtimestamp(T0 + seconds, UTC).replace(microsecond=millis * 1000)


async def read_all(
    client: HttpClient, entity: str, cursor: Cursor | None = None
) -> list[SourcePage]:
    source = ChargebeeSource(client, settings())
    return [page async for page in source.read(entity, cursor)]


def ids(pages: list[SourcePage]) -> list[str]:
    return [e.id for page in pages for e in page.events]


def test_entities_in_dependency_order() -> None:
    source = ChargebeeSource(build_client(settings()), settings())
    assert source.entities() == ("Business_entity", "Customer", "Item", "Order")


async def test_a_full_read_follows_next_offset_oldest_first(
    api: FakeApi, client: HttpClient
) -> None:
    listing = Listing([item(f"i{n}", n) for n in (3, 1, 2, 5, 4)])
    route = api.add("GET", f"{BASE}/items", listing)
    pages = await read_all(client, "Item")
    assert ids(pages) == ["i1", "i2", "i3", "i4", "i5"]
    first = listing.requests[0]
    assert first == {
        "limit": "2",
        "sort_by[asc]": "updated_at",
        "include_deleted": "true",
    }
    assert [r.get("offset") for r in listing.requests] == [None, "2", "4"]
    # The query stays the same while paging: the offset is Chargebee's keyset.
    assert {r.get("updated_at[after]") for r in listing.requests} == {None}
    assert pages[-1].cursor == Cursor(
        since=at(5), boundary_ids=(f"i5@{(T0 + 5) * 1000}",)
    )
    auth = route.requests[0].headers["Authorization"]
    assert auth.startswith("Basic ")
    assert SECRET not in auth  # encoded, as HTTP Basic is


async def test_modification_time_is_the_resource_version(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", f"{BASE}/items", Listing([item("i1", 0, 250)]))
    [page] = await read_all(client, "Item")
    [change] = page.events
    assert change.modified_at == at(0, 250)
    assert change.data is not None
    assert change.data["resource_version"] == T0 * 1000 + 250
    assert change.data["updated_at"] == T0


async def test_an_incremental_read_asks_for_the_cursors_second_again(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [item("i1", 0, 100), item("i2", 0, 200), item("i3", 0, 900)]
    listing = Listing(rows)
    api.add("GET", f"{BASE}/items", listing)
    cursor = Cursor(
        since=at(0, 200),
        boundary_ids=(f"i1@{T0 * 1000 + 100}", f"i2@{T0 * 1000 + 200}"),
    )
    pages = await read_all(client, "Item", cursor)
    assert ids(pages) == ["i3"]
    assert listing.requests[0]["updated_at[after]"] == str(T0 - 1)
    assert set(pages[-1].cursor.boundary_ids) == {
        f"i1@{T0 * 1000 + 100}",
        f"i2@{T0 * 1000 + 200}",
        f"i3@{T0 * 1000 + 900}",
    }


async def test_a_second_write_in_the_same_second_is_not_lost(
    api: FakeApi, client: HttpClient
) -> None:
    # i1 was read at version ...100; it changed again within that same second.
    listing = Listing([item("i1", 0, 700, name="Changed")])
    api.add("GET", f"{BASE}/items", listing)
    cursor = Cursor(since=at(0, 100), boundary_ids=(f"i1@{T0 * 1000 + 100}",))
    pages = await read_all(client, "Item", cursor)
    assert ids(pages) == ["i1"]
    assert pages[0].events[0].data is not None
    assert pages[0].events[0].data["name"] == "Changed"


async def test_nothing_new_yields_no_page(api: FakeApi, client: HttpClient) -> None:
    api.add("GET", f"{BASE}/items", Listing([item("i1", 0)]))
    cursor = Cursor(since=at(0), boundary_ids=(f"i1@{T0 * 1000}",))
    assert await read_all(client, "Item", cursor) == []


async def test_deleted_records_are_delete_events(
    api: FakeApi, client: HttpClient
) -> None:
    gone = item("i1", 1, deleted=True, status="deleted")
    api.add("GET", f"{BASE}/items", Listing([item("i0", 0), gone]))
    pages = await read_all(client, "Item")
    ops = [(e.id, e.op) for p in pages for e in p.events]
    assert ops == [("i0", Operation.UPSERT), ("i1", Operation.DELETE)]


async def test_a_malformed_record_is_a_bad_record_and_is_reported_once(
    api: FakeApi, client: HttpClient
) -> None:
    bad = item("bad", 1, is_shippable="sometimes")
    api.add("GET", f"{BASE}/items", Listing([item("i0", 0), bad, item("i2", 2)]))
    pages = await read_all(client, "Item")
    assert ids(pages) == ["i0", "i2"]
    [record] = [b for p in pages for b in p.bad_records]
    assert (record.record_id, record.entity) == ("bad", "Item")
    assert "is_shippable" in record.reason
    # Its version is in the cursor's past: the next read does not report it again.
    middle = Cursor(since=at(1), boundary_ids=(f"bad@{(T0 + 1) * 1000}",))
    again = await read_all(client, "Item", middle)
    assert [b for p in again for b in p.bad_records] == []


async def test_a_list_without_its_wrapper_is_a_malformed_page(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", f"{BASE}/orders", json_response({"orders": []}))
    with pytest.raises(MalformedResponseError, match='expected {"list"'):
        await read_all(client, "Order")


async def test_an_element_without_its_wrapper_is_a_bad_record(
    api: FakeApi, client: HttpClient
) -> None:
    body = {"list": [{"order": {"id": "o1", "updated_at": T0}}, {"id": "stray"}]}
    api.add("GET", f"{BASE}/orders", json_response(body))
    [page] = await read_all(client, "Order")
    assert ids([page]) == ["o1"]
    assert [b.record_id for b in page.bad_records] == ["stray"]


async def test_business_entities_are_read_from_their_events(
    api: FakeApi, client: HttpClient
) -> None:
    first = business_entity("acme", 0)
    renamed = business_entity("acme", 5, name="Acme AS")
    gone = business_entity("old", 6, deleted=True)
    route = api.add(
        "GET",
        f"{BASE}/events",
        json_response(
            {
                "list": [
                    event("business_entity_created", first, 1),
                    event("business_entity_updated", renamed, 2),
                ],
                "next_offset": "x",
            }
        ),
        json_response(
            {
                "list": [
                    event("business_entity_deleted", gone, 3),
                    {"event": {"id": "ev_4", "occurred_at": T0, "content": {}}},
                ]
            }
        ),
    )
    pages = await read_all(client, "Business_entity", Cursor(since=at(0)))
    changes = [(e.id, e.op) for p in pages for e in p.events]
    # Two versions in one page: the later one wins, as in every source.
    assert changes == [("acme", Operation.UPSERT), ("old", Operation.DELETE)]
    assert (pages[0].events[0].data or {})["name"] == "Acme AS"
    assert [b.record_id for p in pages for b in p.bad_records] == ["ev_4"]
    params = route.requests[0].url.params
    assert params["event_type[in]"] == (
        '["business_entity_created","business_entity_updated",'
        '"business_entity_deleted"]'
    )
    assert params["sort_by[asc]"] == "occurred_at"
    assert params["occurred_at[after]"] == str(T0 - 1)
    assert route.requests[1].url.params["offset"] == "x"


def test_the_version_tracker_only_moves_forward() -> None:
    tracker = VersionTracker(None)
    tracker.observe("a", at(5, 500))
    tracker.observe("b", at(5, 100))
    assert tracker.since == at(5, 500)
    assert tracker.seen("b", at(5, 100))
    assert not tracker.seen("b", at(5, 200))
    tracker.observe("c", at(3))  # an older second: ignored
    assert tracker.cursor.since == at(5, 500)
    tracker.observe("d", at(6))  # a new second starts a new boundary
    assert tracker.cursor == Cursor(since=at(6), boundary_ids=(f"d@{(T0 + 6) * 1000}",))
