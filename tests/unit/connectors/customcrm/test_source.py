"""``CustomcrmSource``: updated_since paging, soft deletes, cursors, bad rows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base.client import HttpClient
from connectors.base.protocols import SourcePage
from connectors.customcrm import CustomcrmSource, build_client
from connectors.errors import FatalError, MalformedResponseError
from schemas.envelope import Cursor, Operation
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.customcrm.conftest import T0, Listing, customer, settings


async def read_all(
    client: HttpClient, entity: str, cursor: Cursor | None
) -> list[SourcePage]:
    source = CustomcrmSource(client, settings())
    return [page async for page in source.read(entity, cursor)]


def ids(pages: list[SourcePage]) -> list[str]:
    return [event.id for page in pages for event in page.events]


def test_entities_in_dependency_order() -> None:
    source = CustomcrmSource(build_client(settings()), settings())
    assert source.entities() == ("Customer", "Contact", "Product")


async def test_full_read_follows_next_page(api: FakeApi, client: HttpClient) -> None:
    listing = Listing([customer(f"C-{i}", i) for i in range(1, 6)])
    route = api.add("GET", "/api/customers", listing)
    pages = await read_all(client, "Customer", None)
    assert ids(pages) == ["C-1", "C-2", "C-3", "C-4", "C-5"]
    assert "updated_since" not in listing.requests[0]
    assert listing.requests[0]["page_size"] == "2"
    assert listing.requests[1]["updated_since"] == "2024-03-01T10:00:02Z"
    assert pages[-1].cursor == Cursor(
        since=T0 + timedelta(seconds=5), boundary_ids=("C-5",)
    )
    assert route.requests[0].headers["Authorization"].startswith("Bearer ")


async def test_incremental_read_skips_boundary_ids(
    api: FakeApi, client: HttpClient
) -> None:
    listing = Listing([customer("C-1", 0), customer("C-2", 0), customer("C-3", 1)])
    api.add("GET", "/api/customers", listing)
    cursor = Cursor(since=T0, boundary_ids=("C-1",))
    pages = await read_all(client, "Customer", cursor)
    assert ids(pages) == ["C-2", "C-3"]
    assert listing.requests[0]["updated_since"] == "2024-03-01T10:00:00Z"


async def test_soft_deleted_records_are_delete_events(
    api: FakeApi, client: HttpClient
) -> None:
    api.add(
        "GET",
        "/api/contacts",
        Listing(
            [
                {
                    "Id": "P-1",
                    "LastName": "Nordmann",
                    "UpdatedAt": "2024-03-01T10:00:00.000Z",
                    "Deleted": True,
                },
            ]
        ),
    )
    [page] = await read_all(client, "Contact", None)
    [event] = page.events
    assert (event.op, event.data, event.id) == (Operation.DELETE, None, "P-1")
    assert event.modified_at == T0


async def test_products_carry_typed_values(api: FakeApi, client: HttpClient) -> None:
    row = {
        "Id": "PR-1",
        "Name": "Widget",
        "Price": 499,
        "VatRate": 25.0,
        "Active": True,
        "UpdatedAt": "2024-03-01T10:00:00.000Z",
        "Deleted": False,
    }
    api.add("GET", "/api/products", Listing([row]))
    [page] = await read_all(client, "Product", None)
    assert page.events[0].data is not None
    assert page.events[0].data["Price"] == 499.0


async def test_a_malformed_row_is_a_bad_record(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [
        customer("C-1", 0),
        {"Name": "no id", "UpdatedAt": "2024-03-01T10:00:01Z"},
        customer("C-3", 2, Deleted="maybe"),
    ]
    api.add("GET", "/api/customers", json_response({"data": rows, "next_page": None}))
    [page] = await read_all(client, "Customer", None)
    assert ids([page]) == ["C-1"]
    assert [b.record_id for b in page.bad_records] == ["<missing>", "C-3"]


async def test_a_repeated_next_page_raises(api: FakeApi, client: HttpClient) -> None:
    api.add(
        "GET",
        "/api/customers",
        json_response({"data": [customer("C-1", 0)], "next_page": 2}),
        json_response({"data": [customer("C-1", 0)], "next_page": 2}),
    )
    with pytest.raises(FatalError, match="repeated"):
        await read_all(client, "Customer", Cursor(since=T0, boundary_ids=("C-1",)))


async def test_a_body_without_data_is_a_malformed_page(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/api/customers", json_response([customer("C-1", 0)]))
    with pytest.raises(
        MalformedResponseError, match=r"customcrm GET /api/customers: expected"
    ):
        await read_all(client, "Customer", None)
