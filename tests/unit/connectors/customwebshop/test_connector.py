"""Customwebshop connector: entity types, order lines merged by index, reads."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.customwebshop import (
    CustomwebshopSettings,
    CustomwebshopSink,
    CustomwebshopSource,
    build_client,
    merge_lines,
)
from connectors.errors import RejectedRecordError
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.conftest import Sleeps

LINE = {"ProductId": "PR-1", "Description": "Dues", "Quantity": 1, "UnitPrice": 500}


def settings() -> CustomwebshopSettings:
    return CustomwebshopSettings(
        base_url="https://shop.test/api", api_key=SecretStr("k"), page_size=2
    )


def order(record_id: str, **fields: Any) -> dict[str, Any]:
    return {
        "Id": record_id,
        "UpdatedAt": "2024-03-01T10:00:00.000Z",
        "Deleted": False,
        "Lines": [LINE],
        **fields,
    }


@pytest.fixture
async def client(api: FakeApi, sleeps: Sleeps) -> AsyncIterator[HttpClient]:
    async with build_client(
        settings(), transport=api.transport, sleep=sleeps
    ) as opened:
        yield opened


def test_entities_and_capabilities() -> None:
    client = build_client(settings())
    source = CustomwebshopSource(client, settings())
    sink = CustomwebshopSink(client, settings())
    assert source.entities() == ("Customer", "Product", "Order")
    for entity in source.entities():
        caps = sink.capabilities(entity)
        assert (caps.create, caps.update, caps.delete) == (True, True, True)


def test_merge_lines() -> None:
    current = [LINE, LINE | {"ProductId": "PR-2"}]
    assert merge_lines(current, {"1": {"Quantity": 3}}) == [
        LINE,
        LINE | {"ProductId": "PR-2", "Quantity": 3},
    ]
    assert merge_lines(current, [{"Description": "x"}]) == [
        LINE | {"Description": "x"},
        LINE | {"ProductId": "PR-2"},
    ]
    assert merge_lines([], {"1": {"Description": "second"}}) == [
        {},
        {"Description": "second"},
    ]
    bads: tuple[object, ...] = ("text", {"first": {}}, [1])
    for bad in bads:
        with pytest.raises(RejectedRecordError, match="Lines"):
            merge_lines([], bad)


async def test_an_order_is_created_with_lines_as_a_list(
    api: FakeApi, client: HttpClient
) -> None:
    post = api.add("POST", "/api/orders", json_response(order("O-5001"), 201))
    sink = CustomwebshopSink(client, settings())
    await sink.create(
        "Order",
        {"Reference": "7", "Lines": {"0": {"Description": "Dues", "Quantity": 1}}},
        idempotency_key="k",
    )
    body = orjson.loads(post.requests[0].content)
    assert body == {
        "Reference": "7",
        "Lines": [{"Description": "Dues", "Quantity": 1}],
    }


async def test_a_line_change_is_merged_into_the_current_lines(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/api/orders/O-1", json_response(order("O-1")))
    put = api.add("PUT", "/api/orders/O-1", json_response(order("O-1")))
    sink = CustomwebshopSink(client, settings())
    await sink.update(
        "Order", "O-1", {"Lines": {"0": {"Description": "Dues 2024"}}, "Reference": "8"}
    )
    assert orjson.loads(put.requests[0].content) == {
        "Lines": [LINE | {"Description": "Dues 2024"}],
        "Reference": "8",
    }


async def test_a_line_change_to_a_missing_order_is_rejected(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/api/orders/O-9", json_response({"error": "not_found"}, 404))
    sink = CustomwebshopSink(client, settings())
    with pytest.raises(RejectedRecordError) as caught:
        await sink.update("Order", "O-9", {"Lines": [{"Quantity": 2}]})
    assert (caught.value.entity, caught.value.record_id) == ("Order", "O-9")


async def test_an_update_without_lines_is_a_plain_put(
    api: FakeApi, client: HttpClient
) -> None:
    put = api.add(
        "PUT", "/api/orders/O-1", json_response(order("O-1", Status="shipped"))
    )
    event = await CustomwebshopSink(client, settings()).update(
        "Order", "O-1", {"Status": "shipped"}
    )
    assert orjson.loads(put.requests[0].content) == {"Status": "shipped"}
    assert event.data is not None
    assert event.data["Lines"][0]["UnitPrice"] == 500.0


async def test_orders_are_read_with_their_lines(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [order("O-1", Reference=7, OrderDate="2024-03-01")]
    api.add("GET", "/api/orders", json_response({"data": rows, "next_page": None}))
    source = CustomwebshopSource(client, settings())
    [page] = [page async for page in source.read("Order", None)]
    [event] = page.events
    assert event.data is not None
    assert event.data["Reference"] == "7"
    assert event.data["OrderDate"] == "2024-03-01"
    assert event.data["Lines"] == [
        {
            "ProductId": "PR-1",
            "Description": "Dues",
            "Quantity": 1.0,
            "UnitPrice": 500.0,
            "VatRate": None,
        }
    ]
