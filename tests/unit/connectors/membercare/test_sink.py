"""``MembercareSink``: capabilities, finds, and only the writes the API takes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
import pytest

from connectors.base.client import HttpClient
from connectors.errors import ConfigurationError, RejectedRecordError, TransientError
from connectors.membercare import MembercareSink, build_client
from connectors.membercare._fields import indexed, merged_address
from schemas.countries import country_code
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.membercare.conftest import company, envelope, settings

NORGE = {"id": 1, "iso2Letter": "NO", "iso3Letter": None, "name": "Norge"}
SVERIGE = {"id": 2, "iso2Letter": "SE", "iso3Letter": None, "name": "Sverige"}


def sink(client: HttpClient) -> MembercareSink:
    return MembercareSink(client, settings())


def body(request: Any) -> Any:
    return orjson.loads(request.content)


def test_capabilities_follow_the_api() -> None:
    table = MembercareSink(build_client(settings()), settings())
    lookup_only = {
        e for e in ("Products", "Countries") if table.capabilities(e).lookup_only
    }
    assert lookup_only == {"Products", "Countries"}
    invoices = table.capabilities("Invoices")
    assert (invoices.create, invoices.update, invoices.delete) == (False, True, False)
    for entity in ("Companies", "Persons", "Organizations"):
        caps = table.capabilities(entity)
        assert (caps.create, caps.update, caps.delete) == (True, True, False)


@pytest.mark.parametrize(
    ("text", "code"),
    [("Norge", "NO"), (" norway ", "NO"), ("NO", "NO"), ("nor", "NO"),
     ("Sverige", "SE"), ("Storbritannia", "GB"), ("UK", "GB"), ("Narnia", None),
     (None, None), (47, None)],
)  # fmt: skip
def test_country_spellings(text: Any, code: str | None) -> None:
    assert country_code(text) == code


async def test_countries_are_found_by_name_code_or_spelling(
    api: FakeApi, client: HttpClient
) -> None:
    api.add(
        "GET", "/api/v1/addresses/countries", json_response(envelope([NORGE, SVERIGE]))
    )
    found = sink(client)
    assert [e.id for e in await found.find("Countries", "name", "Norge")] == ["NO"]
    assert [e.id for e in await found.find("Countries", "name", "Norway")] == ["NO"]
    assert [e.id for e in await found.find("Countries", "iso2Letter", "se")] == ["SE"]
    assert await found.find("Countries", "name", "Narnia") == []
    assert await found.find("Countries", "name", None) == []


async def test_get_answers_none_for_what_cannot_exist(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/api/v1/companies/404", json_response({"status": 404}, 404))
    assert await sink(client).get("Invoices", "not-a-number") is None
    assert await sink(client).get("Companies", "404") is None


@pytest.mark.parametrize(
    ("entity", "operation"),
    [("Products", "create"), ("Countries", "update"), ("Invoices", "create"),
     ("Companies", "delete"), ("Persons", "delete")],
)  # fmt: skip
async def test_refused_operations_send_nothing(
    api: FakeApi, entity: str, operation: str
) -> None:
    # Never opened: any request at all would fail with "used before open()".
    target = sink(build_client(settings(), transport=api.transport))
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "create": lambda: target.create(entity, {"name": "x"}, idempotency_key="k"),
        "update": lambda: target.update(entity, "1", {"name": "x"}),
        "delete": lambda: target.delete(entity, "1"),
    }
    with pytest.raises(RejectedRecordError, match=f"cannot {operation}") as caught:
        await calls[operation]()
    assert (caught.value.system, caught.value.entity) == ("membercare", entity)
    assert api.requests == []


@pytest.mark.parametrize(
    ("entity", "changes", "field"),
    [
        ("Companies", {"businessNumbers": {"vat": "NO1MVA"}}, "businessNumbers"),
        ("Companies", {"name": "x"}, "name"),
        ("Organizations", {"addresses": {"0": {"street": "x"}}}, "addresses"),
        ("Invoices", {"payDueDate": "2024-05-01"}, "payDueDate"),
        ("Persons", {"firstName": "x"}, "firstName"),
    ],
)
async def test_unwritable_fields_refuse_the_whole_change(
    api: FakeApi, entity: str, changes: dict[str, Any], field: str
) -> None:
    target = sink(build_client(settings(), transport=api.transport))
    with pytest.raises(RejectedRecordError, match=f"cannot write {field}") as caught:
        await target.update(entity, "1", changes)
    assert caught.value.record_id == "1"
    assert api.requests == []


async def test_create_company_then_its_addresses(
    api: FakeApi, client: HttpClient
) -> None:
    created = company("1001", "2024-03-01T11:00:00", addresses=[])
    post = api.add("POST", "/api/v1/companies", json_response(created, 201))
    addresses = api.add(
        "POST", "/api/v1/companies/1001/addresses", json_response([], 201)
    )
    reread = api.add("GET", "/api/v1/companies/1001", json_response(created))
    data = {
        "companyName": "Fjord AS",
        "einvoiceEmail": "f@fjord.no",
        "addresses": {"0": {"street": "Storgata", "postalCode": {"zipCode": "0155"},
                            "country": {"iso2Letter": "NO"}}},
    }  # fmt: skip
    event = await sink(client).create("Companies", data, idempotency_key="k")
    assert event.id == "1001"
    assert post.requests[0].url.params["useAutomaticDebtorAccountNumber"] == "true"
    assert body(post.requests[0]) == {
        "companyName": "Fjord AS",
        "einvoiceEmail": "f@fjord.no",
    }
    [address] = body(addresses.requests[0])
    assert address["street"] == "Storgata"
    assert address["postalCode"] == {"zipCode": "0155", "city": None}
    assert address["country"] == {"iso2Letter": "NO"}
    assert reread.calls == 1


async def test_a_lost_create_is_not_repeated(api: FakeApi, client: HttpClient) -> None:
    post = api.add("POST", "/api/v1/persons", json_response({}, 502))
    with pytest.raises(TransientError, match="outcome unknown"):
        await sink(client).create("Persons", {"firstname": "K"}, idempotency_key="k")
    assert post.calls == 1


async def test_person_updates_use_person_patch_names(
    api: FakeApi, client: HttpClient
) -> None:
    kari = {
        "debtorAccountNumber": "2",
        "firstname": "Kari",
        "lastChange": "2024-03-01T11:00:00",
    }
    patch = api.add("PATCH", "/api/v1/persons/2", json_response(kari))
    api.add("GET", "/api/v1/persons/2", json_response(kari))
    event = await sink(client).update(
        "Persons", "2", {"firstname": "Kari", "externalId": "p-1"}
    )
    assert body(patch.requests[0]) == {"firstName": "Kari", "externalId": "p-1"}
    assert event.id == "2"


async def test_company_updates_put_the_whole_company_put(
    api: FakeApi, client: HttpClient
) -> None:
    address = {
        "street": "Storgata",
        "addressType": 1,
        "postalCode": {"id": 155, "zipCode": "0155", "city": "Oslo"},
        "country": NORGE,
    }
    current = company(
        "1001",
        "2024-03-01T11:00:00",
        einvoiceEmail="f@fjord.no",
        externalId="e-1",
        memberType=2,
        addresses=[address],
    )
    api.add("GET", "/api/v1/companies/1001", json_response(current))
    put = api.add("PUT", "/api/v1/companies/1001", json_response(current))
    addresses = api.add(
        "POST", "/api/v1/companies/1001/addresses", json_response([], 201)
    )
    changes = {
        "companyName": "New AS",
        "addresses": {"0": {"postalCode": {"zipCode": "5003"}}},
    }
    await sink(client).update("Companies", "1001", changes)
    sent = body(put.requests[0])
    assert sent == {
        "companyName": "New AS",
        "einvoiceEmail": "f@fjord.no",
        "externalId": "e-1",
    }
    [address] = body(addresses.requests[0])
    assert address["street"] == "Storgata"
    assert address["postalCode"] == {"zipCode": "5003", "city": "Oslo"}
    assert address["country"] == {"iso2Letter": "NO"}


async def test_invoices_update_their_finance_status(
    api: FakeApi, client: HttpClient
) -> None:
    invoice = {"id": 90001, "financeStatus": 2}
    patch = api.add("PATCH", "/api/v1/invoices/90001", json_response(invoice))
    api.add("GET", "/api/v1/invoices/90001", json_response(invoice))
    event = await sink(client).update("Invoices", "90001", {"financeStatus": 2})
    assert body(patch.requests[0]) == {"financeStatus": 2}
    assert event.data is not None
    assert event.data["financeStatus"] == 2


async def test_organizations_are_created_once_per_number(
    api: FakeApi, client: HttpClient
) -> None:
    lag = {"identificationNumber": "0301", "name": "Oslo lokallag"}
    lookup = api.add(
        "GET",
        "/api/v1/organizations/0301",
        json_response({"status": 404}, 404),
        json_response(lag),
    )
    post = api.add("POST", "/api/v1/organizations", json_response({}, 502))
    target = sink(client)
    event = await target.create("Organizations", lag, idempotency_key="k")
    assert event.id == "0301"
    assert (post.calls, lookup.calls) == (1, 2)
    again = await target.create("Organizations", lag, idempotency_key="k")
    assert again.id == "0301"
    assert post.calls == 1
    with pytest.raises(RejectedRecordError, match="identificationNumber"):
        await target.create("Organizations", {"name": "x"}, idempotency_key="k")


def test_address_changes_come_as_lists_or_indexed_objects() -> None:
    assert indexed([{"street": "a"}, "junk"]) == {0: {"street": "a"}}
    assert indexed({"1": {"street": "b"}, "x": {}}) == {1: {"street": "b"}}
    assert indexed("street") == {}
    fresh = merged_address(None, {"street": "a", "country": {"name": "Sverige"}})
    assert fresh["addressType"] == 1
    assert fresh["country"] == {"iso2Letter": "SE"}
    unknown = merged_address(None, {"country": {"name": "Narnia"}})
    assert unknown["country"] == {"name": "Narnia"}


def test_unknown_types_and_wrong_clients_are_configuration_errors() -> None:
    target = MembercareSink(build_client(settings()), settings())
    with pytest.raises(ConfigurationError, match="no entity type 'Members'"):
        target.capabilities("Members")
    other = HttpClient(system="crmoffice", base_url="https://x.test")
    with pytest.raises(
        ConfigurationError, match="membercare needs a membercare client"
    ):
        MembercareSink(other, settings())
