"""``WebcrmSink``: capabilities, get, find, unsafe create, full update, delete."""

from __future__ import annotations

import httpx
import orjson
import pytest

from connectors.base.client import HttpClient
from connectors.errors import (
    FatalError,
    InvalidRecordError,
    MalformedResponseError,
    RejectedRecordError,
    TransientError,
    UnreadableMatchError,
)
from connectors.webcrm import WebcrmSink, build_client
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.webcrm.conftest import T0, org, settings


def make_sink(client: HttpClient | None = None) -> WebcrmSink:
    """A sink; without a client, one that is never opened (no request may happen)."""
    return WebcrmSink(client or build_client(settings()), settings())


def test_capabilities_follow_the_api() -> None:
    sink = make_sink()
    for entity in ("Organisations", "Persons"):
        caps = sink.capabilities(entity)
        assert (caps.create, caps.update, caps.delete) == (True, True, False)
    caps = sink.capabilities("Products")
    assert (caps.create, caps.update, caps.delete) == (True, True, True)


async def test_get_found_and_missing(api: FakeApi, client: HttpClient) -> None:
    api.add("GET", "/Organisations/7", json_response(org(7, 0)))
    api.add("GET", "/Organisations/8", json_response({"Message": "not found"}, 404))
    sink = make_sink(client)
    event = await sink.get("Organisations", "7")
    assert event is not None
    assert (event.id, event.modified_at) == ("7", T0)
    assert await sink.get("Organisations", "8") is None


async def test_get_of_a_non_numeric_id_is_none_without_a_request() -> None:
    assert await make_sink().get("Organisations", "C-1001") is None


async def test_find_filters_a_full_listing(api: FakeApi, client: HttpClient) -> None:
    pages = [
        [
            org(1, 0, OrganisationVatNumber="NO1"),
            org(2, 0, OrganisationVatNumber="no1"),
        ],
        [org(3, 0, OrganisationVatNumber="NO3")],
        [],
    ]
    route = api.add("GET", "/Organisations", *(json_response(p) for p in pages))
    found = await make_sink(client).find(
        "Organisations", "OrganisationVatNumber", "NO1"
    )
    assert [event.id for event in found] == ["1", "2"]
    assert [r.url.params["Page"] for r in route.requests] == ["1", "2", "3"]


async def test_find_does_not_read_an_invalid_match_as_none(
    api: FakeApi, client: HttpClient
) -> None:
    pages = [[org(1, 0, OrganisationVatNumber="NO3"), {"OrganisationVatNumber": "NO1"}]]
    api.add(
        "GET", "/Organisations", *(json_response(p) for p in pages), json_response([])
    )
    with pytest.raises(UnreadableMatchError, match="OrganisationId: Field required"):
        await make_sink(client).find("Organisations", "OrganisationVatNumber", "NO1")


async def test_find_by_nested_field(api: FakeApi, client: HttpClient) -> None:
    row = org(1, 0, OrganisationCountryData={"CodeISO": "NO", "Name": "Norway"})
    api.add("GET", "/Organisations", json_response([row]), json_response([]))
    found = await make_sink(client).find(
        "Organisations", "OrganisationCountryData.CodeISO", "NO"
    )
    assert [event.id for event in found] == ["1"]


async def test_find_refuses_a_listing_that_is_not_an_array(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/Persons", json_response({"Message": "?"}))
    with pytest.raises(MalformedResponseError, match="expected a JSON array"):
        await make_sink(client).find("Persons", "PersonEmail", "a@b.no")


async def test_create_posts_id_zero_then_reads_back(
    api: FakeApi, client: HttpClient
) -> None:
    post = api.add("POST", "/Organisations", json_response(41))
    api.add("GET", "/Organisations/41", json_response(org(41, 0)))
    event = await make_sink(client).create(
        "Organisations", {"OrganisationName": "Fjord Bygg AS"}, idempotency_key="k-1"
    )
    assert event.id == "41"
    body = orjson.loads(post.requests[0].content)
    assert body == {"OrganisationName": "Fjord Bygg AS", "OrganisationId": 0}
    assert "Idempotency-Key" not in post.requests[0].headers


@pytest.mark.parametrize("reply", [httpx.Response(502), httpx.Response(504)])
async def test_create_with_an_unknown_outcome_is_not_posted_again(
    api: FakeApi, client: HttpClient, reply: httpx.Response
) -> None:
    post = api.add("POST", "/Persons", reply)
    with pytest.raises(TransientError, match="outcome unknown") as caught:
        await make_sink(client).create(
            "Persons", {"PersonEmail": "a@b.no"}, idempotency_key="k"
        )
    assert post.calls == 1
    assert "a@b.no" not in str(caught.value)


async def test_create_after_a_timeout_is_not_posted_again(
    api: FakeApi, client: HttpClient
) -> None:
    post = api.add("POST", "/Persons", httpx.ReadTimeout)
    with pytest.raises(TransientError, match="outcome unknown"):
        await make_sink(client).create("Persons", {}, idempotency_key="k")
    assert post.calls == 1


async def test_create_refuses_an_odd_answer(api: FakeApi, client: HttpClient) -> None:
    api.add("POST", "/Products", json_response({"ProductId": 3}))
    with pytest.raises(FatalError, match="expected the new ProductId, got dict"):
        await make_sink(client).create("Products", {}, idempotency_key="k")


async def test_update_puts_the_whole_merged_object(
    api: FakeApi, client: HttpClient
) -> None:
    current = org(5, 0, OrganisationCity="Oslo", OrganisationCustom7="kept")
    after = org(5, 9, OrganisationCity="Bergen", OrganisationCustom7="kept")
    get = api.add(
        "GET", "/Organisations/5", json_response(current), json_response(after)
    )
    put = api.add("PUT", "/Organisations/5", httpx.Response(204))
    event = await make_sink(client).update(
        "Organisations", "5", {"OrganisationCity": "Bergen"}
    )
    sent = orjson.loads(put.requests[0].content)
    assert sent == {**current, "OrganisationCity": "Bergen"}
    assert event.data is not None
    assert event.data["OrganisationCity"] == "Bergen"
    assert get.calls == 2


async def test_update_of_a_missing_entity_is_rejected_with_coordinates(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/Persons/9", json_response({"Message": "not found"}, 404))
    with pytest.raises(RejectedRecordError) as caught:
        await make_sink(client).update("Persons", "9", {"PersonEmail": "x@y.no"})
    error = caught.value
    assert (error.system, error.entity, error.record_id) == ("webcrm", "Persons", "9")


async def test_update_with_a_wrong_type_is_refused_before_the_put(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/Organisations/5", json_response(org(5, 0)))
    with pytest.raises(InvalidRecordError, match="OrganisationOwner"):
        await make_sink(client).update(
            "Organisations", "5", {"OrganisationOwner": "nobody"}
        )


async def test_a_rejected_put_names_the_record(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/Organisations/5", json_response(org(5, 0)))
    api.add("PUT", "/Organisations/5", json_response({"Message": "invalid"}, 400))
    with pytest.raises(RejectedRecordError) as caught:
        await make_sink(client).update("Organisations", "5", {"OrganisationCity": "X"})
    assert (caught.value.entity, caught.value.record_id) == ("Organisations", "5")
    assert "webcrm PUT /Organisations/5 -> 400" in str(caught.value)


async def test_delete_products_and_tolerate_missing(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("DELETE", "/Products/3", httpx.Response(204))
    api.add("DELETE", "/Products/4", json_response({"Message": "gone"}, 404))
    sink = make_sink(client)
    await sink.delete("Products", "3")
    await sink.delete("Products", "4")


@pytest.mark.parametrize("entity", ["Organisations", "Persons"])
async def test_delete_is_refused_where_the_api_has_none(entity: str) -> None:
    sink = make_sink()
    with pytest.raises(RejectedRecordError, match="cannot delete") as caught:
        await sink.delete(entity, "1")
    assert (caught.value.entity, caught.value.record_id) == (entity, "1")
