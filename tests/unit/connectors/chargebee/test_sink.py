"""``ChargebeeSink``: capabilities, client-chosen ids, form bodies, lookups, deletes."""

from __future__ import annotations

import httpx
import pytest

from connectors.base.client import HttpClient
from connectors.chargebee import ChargebeeSink, build_client, derived_id
from connectors.errors import (
    AuthenticationError,
    InvalidRecordError,
    RejectedRecordError,
)
from schemas.envelope import Operation
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.chargebee.conftest import (
    BASE,
    SECRET,
    T0,
    Listing,
    business_entity,
    error,
    event,
    form,
    item,
    settings,
    wrapped,
)
from tests.unit.connectors.conftest import Sleeps


def make_sink(client: HttpClient, **values: object) -> ChargebeeSink:
    return ChargebeeSink(client, settings(**values))


def test_capabilities_follow_the_api() -> None:
    sink = ChargebeeSink(build_client(settings()), settings())
    table = {
        entity: (caps.create, caps.update, caps.delete, caps.lookup_only)
        for entity in ("Business_entity", "Customer", "Item", "Order")
        for caps in [sink.capabilities(entity)]
    }
    assert table == {
        "Business_entity": (False, False, False, True),
        "Customer": (True, True, False, False),
        "Item": (True, True, True, False),
        "Order": (False, True, True, False),
    }


@pytest.mark.parametrize(
    ("entity", "operation"),
    [("Business_entity", "create"), ("Order", "create"), ("Business_entity", "update")],
)
async def test_writes_the_api_refuses_are_refused_here(
    client: HttpClient, entity: str, operation: str
) -> None:
    sink = make_sink(client)
    write = (
        sink.create(entity, {"name": "x"}, idempotency_key="k")
        if operation == "create"
        else sink.update(entity, "x", {"name": "y"})
    )
    with pytest.raises(RejectedRecordError, match=f"cannot {operation}"):
        await write


async def test_an_item_is_created_with_its_id_type_and_family(
    api: FakeApi, client: HttpClient
) -> None:
    post = api.add(
        "POST",
        f"{BASE}/items",
        httpx.Response(502),
        wrapped("item", item("WP-1", 0, description="Nice")),
    )
    created = await make_sink(client).create(
        "Item",
        {"id": "WP-1", "name": "Widget", "description": "Nice"},
        idempotency_key="flow:1:t",
    )
    assert created.id == "WP-1"
    assert post.calls == 2  # a lost answer is retried: the key makes it safe
    request = post.requests[0]
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert request.headers["chargebee-idempotency-key"] == "flow:1:t"
    assert form(request) == {
        "id": "WP-1",
        "name": "Widget",
        "description": "Nice",
        "type": "charge",
        "item_family_id": "webshop-products",
    }


async def test_without_a_mapped_id_one_is_derived_from_the_key(
    api: FakeApi, client: HttpClient
) -> None:
    key = "flow:src-1:2024-03-01T10:00:00+00:00"
    post = api.add("POST", f"{BASE}/items", wrapped("item", item(derived_id(key), 0)))
    await make_sink(client, item_type="plan", item_family_id="plans").create(
        "Item", {"name": "Widget"}, idempotency_key=key
    )
    body = form(post.requests[0])
    assert body["id"] == derived_id(key)
    assert (body["type"], body["item_family_id"]) == ("plan", "plans")
    assert derived_id(key) == derived_id(key)
    assert len(derived_id(key)) <= 50
    assert derived_id(key) != derived_id(key + "x")


async def test_an_id_already_taken_by_a_live_item_is_that_item(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("POST", f"{BASE}/items", error(400, "duplicate_entry", "id"))
    api.add("GET", f"{BASE}/items/WP-1", wrapped("item", item("WP-1", 0)))
    created = await make_sink(client).create(
        "Item", {"id": "WP-1", "name": "Widget"}, idempotency_key="k"
    )
    assert created.id == "WP-1"
    assert created.op is Operation.UPSERT


@pytest.mark.parametrize(
    "existing",
    [
        error(404, "resource_not_found"),
        wrapped("item", item("WP-1", 0, deleted=True, status="deleted")),
    ],
)
async def test_a_refused_create_stands_when_no_live_item_has_the_id(
    api: FakeApi, client: HttpClient, existing: httpx.Response
) -> None:
    api.add("POST", f"{BASE}/items", error(400, "param_wrong_value", "name"))
    api.add("GET", f"{BASE}/items/WP-1", existing)
    with pytest.raises(RejectedRecordError) as caught:
        await make_sink(client).create("Item", {"id": "WP-1"}, idempotency_key="k")
    assert (caught.value.entity, caught.value.record_id) == ("Item", "WP-1")


async def test_an_item_update_keeps_its_id(api: FakeApi, client: HttpClient) -> None:
    post = api.add(
        "POST", f"{BASE}/items/WP-1", wrapped("item", item("WP-1", 9, name="W2"))
    )
    sink = make_sink(client)
    updated = await sink.update("Item", "WP-1", {"id": "WP-1", "name": "W2"})
    assert form(post.requests[0]) == {"name": "W2"}
    await sink.update("Item", "WP-1", {"id": "", "name": "W2"})
    assert form(post.requests[1]) == {"name": "W2"}
    assert updated.data is not None
    assert updated.data["name"] == "W2"
    with pytest.raises(RejectedRecordError, match="the id cannot change"):
        await sink.update("Item", "WP-1", {"id": "WP-2"})


async def test_an_order_update_sends_times_as_unix_seconds(
    api: FakeApi, client: HttpClient
) -> None:
    order = {"id": "ord_1", "updated_at": T0, "reference_id": "O-1", "order_date": T0}
    post = api.add("POST", f"{BASE}/orders/ord_1", wrapped("order", order))
    sink = make_sink(client)
    await sink.update(
        "Order",
        "ord_1",
        {"reference_id": "O-1", "order_date": "2024-03-01T10:00:00+00:00"},
    )
    assert form(post.requests[0]) == {"reference_id": "O-1", "order_date": str(T0)}
    await sink.update("Order", "ord_1", {"shipping_date": "2024-03-01"})
    assert form(post.requests[1]) == {"shipping_date": str(T0 - 10 * 3600)}
    with pytest.raises(InvalidRecordError, match="order_date"):
        await sink.update("Order", "ord_1", {"order_date": "01.03.2024"})


async def test_a_customer_update_sends_billing_fields_to_update_billing_info(
    api: FakeApi, client: HttpClient
) -> None:
    customer = {"id": "c1", "updated_at": T0, "email": "k@x.no"}
    billing = api.add(
        "POST",
        f"{BASE}/customers/c1/update_billing_info",
        wrapped("customer", customer),
    )
    plain = api.add("POST", f"{BASE}/customers/c1", wrapped("customer", customer))
    await make_sink(client).update(
        "Customer",
        "c1",
        {"email": "k@x.no", "billing_address": {"city": "Oslo"}, "vat_number": "NO1"},
    )
    assert form(billing.requests[0]) == {
        "billing_address[city]": "Oslo",
        "vat_number": "NO1",
    }
    assert form(plain.requests[0]) == {"email": "k@x.no"}


async def test_find_uses_the_is_filter_where_chargebee_has_one(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [
        item("a", 0, name="Widget"),
        item("b", 1, name="Other"),
    ]  # b: ignored filter
    route = api.add(
        "GET", f"{BASE}/items", json_response({"list": [{"item": r} for r in rows]})
    )
    found = await make_sink(client).find("Item", "name", "widget")
    assert [e.id for e in found] == ["a"]
    assert route.requests[0].url.params["name[is]"] == "widget"
    assert "include_deleted" not in route.requests[0].url.params


async def test_find_reads_every_page_for_fields_without_a_filter(
    api: FakeApi, client: HttpClient
) -> None:
    orders = [
        {"id": f"o{n}", "updated_at": T0 + n, "reference_id": f"O-{n}"}
        for n in range(1, 6)
    ]
    listing = Listing(orders, key="order")
    api.add("GET", f"{BASE}/orders", listing)
    found = await make_sink(client).find("Order", "reference_id", "O-4")
    assert [e.id for e in found] == ["o4"]
    assert len(listing.requests) == 3
    assert "reference_id[is]" not in listing.requests[0]
    assert await make_sink(client).find("Order", "reference_id", None) == []


async def test_business_entities_are_looked_up_in_their_latest_state(
    api: FakeApi, client: HttpClient
) -> None:
    events = [
        event("business_entity_created", business_entity("acme", 0, name="Acme"), 1),
        event("business_entity_created", business_entity("old", 1, name="Old AS"), 2),
        event("business_entity_updated", business_entity("acme", 2, name="Acme AS"), 3),
        event("business_entity_deleted", business_entity("old", 3, deleted=True), 4),
    ]
    api.add("GET", f"{BASE}/events", json_response({"list": events}))
    sink = make_sink(client, known_business_entities={"legacy": "Legacy AS"})
    assert [e.id for e in await sink.find("Business_entity", "name", "acme as")] == [
        "acme"
    ]
    assert await sink.find("Business_entity", "name", "Acme") == []
    assert await sink.find("Business_entity", "name", "Old AS") == []
    legacy = await sink.find("Business_entity", "name", "Legacy AS")
    assert [e.id for e in legacy] == ["legacy"]
    old = await sink.get("Business_entity", "old")
    assert old is not None
    assert old.op is Operation.DELETE
    assert await sink.get("Business_entity", "nope") is None


async def test_get_unwraps_and_a_missing_record_is_none(
    api: FakeApi, client: HttpClient
) -> None:
    quoted = api.add("GET", f"{BASE}/items/a/b", wrapped("item", item("a/b", 0)))
    api.add("GET", f"{BASE}/items/nope", error(404, "resource_not_found"))
    sink = make_sink(client)
    found = await sink.get("Item", "a/b")
    assert found is not None
    assert found.id == "a/b"
    assert quoted.requests[0].url.raw_path == b"/api/v2/items/a%2Fb"
    assert await sink.get("Item", "nope") is None


async def test_delete_is_soft_and_idempotent(api: FakeApi, client: HttpClient) -> None:
    live, gone = item("a", 0), item("a", 1, deleted=True, status="deleted")
    api.add("GET", f"{BASE}/items/a", wrapped("item", live), wrapped("item", gone))
    api.add("GET", f"{BASE}/items/b", error(404, "resource_not_found"))
    post = api.add("POST", f"{BASE}/items/a/delete", wrapped("item", gone))
    sink = make_sink(client)
    await sink.delete("Item", "a")
    await sink.delete("Item", "a")  # already deleted: nothing sent
    await sink.delete("Item", "b")  # never existed: nothing sent
    assert post.calls == 1
    assert post.requests[0].headers["chargebee-idempotency-key"] == (
        "tether-delete:Item:a"
    )
    with pytest.raises(RejectedRecordError, match="cannot delete"):
        await sink.delete("Customer", "c1")


async def test_a_429_waits_as_long_as_retry_after_says(
    api: FakeApi, client: HttpClient, sleeps: Sleeps
) -> None:
    api.add(
        "GET",
        f"{BASE}/items/a",
        httpx.Response(429, headers={"Retry-After": "7"}, content=b"{}"),
        wrapped("item", item("a", 0)),
    )
    assert await make_sink(client).get("Item", "a") is not None
    assert sleeps.delays == [7.0]


async def test_a_refused_key_never_shows_in_the_error(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", f"{BASE}/items/a", error(401, "api_authentication_failed"))
    with pytest.raises(AuthenticationError) as caught:
        await make_sink(client).get("Item", "a")
    assert SECRET not in str(caught.value)
    assert str(caught.value).startswith("chargebee GET /api/v2/items/a -> 401")
