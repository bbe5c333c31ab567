"""``CustomcrmSink``: idempotent create, partial update, soft delete, get, find."""

from __future__ import annotations

import httpx
import orjson
import pytest

from connectors.base.client import HttpClient
from connectors.customcrm import CustomcrmSink, build_client
from connectors.errors import (
    AuthenticationError,
    RejectedRecordError,
    UnreadableMatchError,
)
from schemas.envelope import Operation
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.customcrm.conftest import SECRET, customer, settings


def make_sink(client: HttpClient) -> CustomcrmSink:
    return CustomcrmSink(client, settings())


def test_capabilities_allow_everything() -> None:
    sink = CustomcrmSink(build_client(settings()), settings())
    for entity in ("Customer", "Contact", "Product"):
        caps = sink.capabilities(entity)
        assert (caps.create, caps.update, caps.delete) == (True, True, True)


async def test_create_sends_the_idempotency_key_and_retries_safely(
    api: FakeApi, client: HttpClient
) -> None:
    post = api.add(
        "POST",
        "/api/customers",
        httpx.Response(502),
        json_response(customer("C-1001", 0), 201),
    )
    event = await make_sink(client).create(
        "Customer",
        {"Name": "Fjord Bygg AS", "Id": "mine", "Deleted": False},
        idempotency_key="flow-1:src-9",
    )
    assert event.id == "C-1001"
    assert post.calls == 2
    assert {r.headers["Idempotency-Key"] for r in post.requests} == {"flow-1:src-9"}
    assert orjson.loads(post.requests[0].content) == {"Name": "Fjord Bygg AS"}


async def test_get_live_deleted_and_missing(api: FakeApi, client: HttpClient) -> None:
    api.add("GET", "/api/customers/C-1", json_response(customer("C-1", 0)))
    api.add(
        "GET", "/api/customers/C-2", json_response(customer("C-2", 0, Deleted=True))
    )
    api.add("GET", "/api/customers/C-3", json_response({"error": "not_found"}, 404))
    sink = make_sink(client)
    live = await sink.get("Customer", "C-1")
    assert live is not None
    assert live.op is Operation.UPSERT
    deleted = await sink.get("Customer", "C-2")
    assert deleted is not None
    assert deleted.op is Operation.DELETE
    assert await sink.get("Customer", "C-3") is None


async def test_get_quotes_the_id(api: FakeApi, client: HttpClient) -> None:
    route = api.add("GET", "/api/customers/a/b", json_response(customer("a/b", 0)))
    await make_sink(client).get("Customer", "a/b")
    assert route.requests[0].url.raw_path == b"/api/customers/a%2Fb"


async def test_find_uses_the_filter_and_checks_it(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [
        customer("C-1", 0, Email="Post@Fjord.no"),
        customer("C-2", 0, Email="post@fjord.no", Deleted=True),
        customer("C-3", 0, Email="other@x.no"),  # a server ignoring the filter
        # Deleted, so no match even though tether cannot read it.
        {"Id": "C-4", "Email": "post@fjord.no", "UpdatedAt": "x", "Deleted": True},
    ]
    route = api.add(
        "GET",
        "/api/customers",
        json_response({"data": rows[:2], "next_page": 2}),
        json_response({"data": rows[2:], "next_page": None}),
    )
    found = await make_sink(client).find("Customer", "Email", "post@fjord.no")
    assert [event.id for event in found] == ["C-1"]
    assert route.requests[0].url.params["Email"] == "post@fjord.no"
    assert route.requests[1].url.params["page"] == "2"


async def test_find_refuses_to_answer_over_a_match_it_cannot_read(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [
        customer("C-1", 0, Email="post@fjord.no"),
        {"Id": "C-4", "Email": "post@fjord.no", "Name": "Fjord\x07", "UpdatedAt": "x"},
    ]
    api.add("GET", "/api/customers", json_response({"data": rows, "next_page": None}))
    with pytest.raises(UnreadableMatchError) as caught:
        await make_sink(client).find("Customer", "Email", "post@fjord.no")
    assert caught.value.record_id == "C-4"
    assert [event.id for event in caught.value.found] == ["C-1"]


async def test_find_sends_booleans_as_text(api: FakeApi, client: HttpClient) -> None:
    route = api.add(
        "GET", "/api/products", json_response({"data": [], "next_page": None})
    )
    assert await make_sink(client).find("Product", "Active", True) == []
    assert route.requests[0].url.params["Active"] == "true"


async def test_find_of_nothing_is_nothing(client: HttpClient) -> None:
    assert await make_sink(client).find("Customer", "Email", None) == []


async def test_update_puts_only_the_changes(api: FakeApi, client: HttpClient) -> None:
    put = api.add(
        "PUT", "/api/customers/C-1", json_response(customer("C-1", 5, City="Bergen"))
    )
    event = await make_sink(client).update(
        "Customer", "C-1", {"City": "Bergen", "UpdatedAt": "2020-01-01T00:00:00Z"}
    )
    assert orjson.loads(put.requests[0].content) == {"City": "Bergen"}
    assert event.data is not None
    assert event.data["City"] == "Bergen"


async def test_update_of_a_missing_record_is_rejected(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("PUT", "/api/contacts/P-9", json_response({"error": "not_found"}, 404))
    with pytest.raises(RejectedRecordError) as caught:
        await make_sink(client).update("Contact", "P-9", {"Title": "CFO"})
    error = caught.value
    assert (error.system, error.entity, error.record_id) == (
        "customcrm",
        "Contact",
        "P-9",
    )


async def test_delete_is_idempotent(api: FakeApi, client: HttpClient) -> None:
    route = api.add(
        "DELETE",
        "/api/products/PR-1",
        httpx.Response(204),
        json_response({"error": "not_found"}, 404),
    )
    sink = make_sink(client)
    await sink.delete("Product", "PR-1")
    await sink.delete("Product", "PR-1")
    assert route.calls == 2


async def test_a_refused_key_never_shows_in_the_error(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/api/customers/C-1", json_response({"error": "unauthorized"}, 401))
    with pytest.raises(AuthenticationError) as caught:
        await make_sink(client).get("Customer", "C-1")
    assert SECRET not in str(caught.value)
    assert str(caught.value).startswith("customcrm GET /api/customers/C-1 -> 401")
