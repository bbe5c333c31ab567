"""Membercare stand-in: the writes systems.md 9.4 lists, and every refusal."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

AUTO = {"useAutomaticDebtorAccountNumber": "true"}
ADDRESS = {
    "street": "Storgata",
    "number": "1",
    "postalCode": {"zipCode": "0155", "city": "Oslo"},
    "country": {"iso2Letter": "NO"},
}


def create_company(mc: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = mc.post(
        "/companies", params=AUTO, json={"companyName": "Fjord AS"} | fields
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_post_company_assigns_the_debtor_number(mc, membercare):
    company = create_company(mc, einvoiceEmail="f@fjord.no")
    assert company["debtorAccountNumber"] == "1001"
    assert company["name"] == "Fjord AS"
    assert company["addresses"] == []
    assert company["lastChange"]
    assert membercare.write_count("Companies") == 1


@pytest.mark.parametrize(
    "field",
    ["debtorAccountNumber", "name", "nameHistory", "businessNumbers", "addresses",
     "invoiceAddresses", "readdressings", "contacts"],
)  # fmt: skip
def test_post_company_refuses_what_it_must_not_carry(mc, membercare, field):
    value: Any = [ADDRESS] if field.endswith(("ses", "ings", "tory", "tacts")) else "x"
    if field == "businessNumbers":
        value = {"vat": "NO912345678MVA"}
    response = mc.post(
        "/companies", params=AUTO, json={"companyName": "A", field: value}
    )
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert membercare.write_count() == 0


def test_post_company_without_automatic_numbers_needs_a_free_one(mc, membercare):
    assert mc.post("/companies", json={"companyName": "A"}).status_code == 400
    chosen = mc.post(
        "/companies", json={"companyName": "A", "debtorAccountNumber": "77"}
    )
    assert chosen.status_code == 201
    again = mc.post(
        "/companies", json={"companyName": "B", "debtorAccountNumber": "77"}
    )
    assert again.status_code == 400
    assert create_company(mc)["debtorAccountNumber"] == "1001"


@pytest.mark.parametrize(
    "body", [{}, {"companyName": 7}, {"companyName": "A", "memberType": "x"}, []]
)
def test_post_company_validates(mc, membercare, body):
    assert mc.post("/companies", params=AUTO, json=body).status_code == 400
    assert membercare.write_count() == 0


def test_put_company_replaces_the_company_put_fields(mc, membercare):
    company = create_company(mc, einvoiceEmail="f@fjord.no", externalId="e-1")
    dan = company["debtorAccountNumber"]
    response = mc.put(f"/companies/{dan}", json={"companyName": "Fjord 2 AS"})
    assert response.status_code == 200
    body = response.json()
    assert (body["name"], body["einvoiceEmail"], body["externalId"]) == (
        "Fjord 2 AS",
        None,
        None,
    )
    assert body["lastChange"] > company["lastChange"]
    assert mc.put(f"/companies/{dan}", json={"einvoiceEmail": "x"}).status_code == 400
    assert mc.put("/companies/999", json={"companyName": "A"}).status_code == 404


def test_addresses_are_posted_separately_and_replace_the_same_type(mc, membercare):
    dan = create_company(mc)["debtorAccountNumber"]
    posted = mc.post(f"/companies/{dan}/addresses", json=[ADDRESS])
    assert posted.status_code == 201
    [address] = posted.json()
    assert address["country"]["name"] == "Norge"
    assert address["postalCode"] == {"id": 155, "zipCode": "0155", "city": "Oslo"}
    moved = ADDRESS | {"street": "Lillegata", "country": {"name": "Sverige"}}
    other = ADDRESS | {"addressType": 2}
    assert (
        mc.post(f"/companies/{dan}/addresses", json=[moved, other]).status_code == 201
    )
    addresses = mc.get(f"/companies/{dan}").json()["addresses"]
    assert [(a["street"], a["addressType"]) for a in addresses] == [
        ("Lillegata", 1),
        ("Storgata", 2),
    ]
    assert addresses[0]["country"]["iso2Letter"] == "SE"
    assert membercare.write_count("Companies") == 3


@pytest.mark.parametrize(
    "body",
    [ADDRESS, [ADDRESS | {"country": {"iso2Letter": "XX"}}],
     [ADDRESS | {"country": None}],
     [ADDRESS | {"street": 5}], [ADDRESS | {"postalCode": "0155"}]],
)  # fmt: skip
def test_bad_addresses_are_400(mc, membercare, body):
    dan = create_company(mc)["debtorAccountNumber"]
    assert mc.post(f"/companies/{dan}/addresses", json=body).status_code == 400
    assert mc.post("/companies/999/addresses", json=[ADDRESS]).status_code == 404


def test_post_person_inserts_or_updates(mc, membercare):
    created = mc.post(
        "/persons", params=AUTO, json={"firstname": "Kari", "lastname": "N"}
    )
    assert created.status_code == 201
    dan = created.json()["debtorAccountNumber"]
    assert created.json()["name"] == "Kari N"
    upsert = mc.post("/persons", json={"debtorAccountNumber": dan, "externalId": "p-1"})
    assert upsert.status_code == 200
    assert (upsert.json()["firstname"], upsert.json()["externalId"]) == ("Kari", "p-1")
    assert len(membercare.records("Persons")) == 1


@pytest.mark.parametrize(
    ("params", "body"),
    [
        (AUTO, {"firstname": "K", "addresses": [ADDRESS]}),
        (AUTO, {"firstname": "K", "contacts": [{"type": 1, "value": "k@x.no"}]}),
        (AUTO, {}),
        (AUTO, {"debtorAccountNumber": "404", "firstname": "K"}),
        ({}, {"firstname": "K"}),
        (AUTO, {"firstname": "K", "gender": "female"}),
    ],
    ids=["addresses", "contacts", "no-name", "unknown-dan", "no-number", "bad-type"],
)
def test_post_person_refusals(mc, membercare, params, body):
    assert mc.post("/persons", params=params, json=body).status_code == 400
    assert membercare.write_count() == 0


def test_patch_person_takes_person_patch_names(mc, membercare):
    dan = mc.post("/persons", params=AUTO, json={"firstname": "Kari"}).json()[
        "debtorAccountNumber"
    ]
    patched = mc.patch(
        f"/persons/{dan}", json={"firstName": "Karianne", "lastName": "N"}
    )
    assert patched.status_code == 200
    assert (patched.json()["firstname"], patched.json()["name"]) == (
        "Karianne",
        "Karianne N",
    )
    # The read model's names are not PersonPatch's: refused, not ignored.
    assert mc.patch(f"/persons/{dan}", json={"firstname": "X"}).status_code == 400
    assert mc.patch("/persons/999", json={"firstName": "X"}).status_code == 404
    assert mc.post(f"/persons/{dan}/addresses", json=[ADDRESS]).status_code == 201


def test_organizations_post_and_patch(mc, membercare):
    created = mc.post(
        "/organizations", json={"identificationNumber": "0301", "name": "Oslo"}
    )
    assert created.status_code == 201
    assert created.json()["fullName"] == "Oslo"
    again = mc.post(
        "/organizations", json={"identificationNumber": "0301", "name": "X"}
    )
    assert again.status_code == 400
    assert mc.post("/organizations", json={"name": "No number"}).status_code == 400
    with_address = {"identificationNumber": "1", "name": "A", "addresses": [ADDRESS]}
    assert mc.post("/organizations", json=with_address).status_code == 400
    patched = mc.patch("/organizations/0301", json={"name2": "lokallag"})
    assert patched.json()["fullName"] == "Oslo lokallag"
    assert mc.patch("/organizations/0301", json={"addresses": []}).status_code == 400
    assert membercare.write_count("Organizations") == 2


def test_invoices_change_only_their_finance_status(mc, membercare):
    membercare.seed("Invoices", [{"id": 90001, "financeStatus": 0, "invoiceItems": []}])
    assert (
        mc.patch("/invoices/90001", json={"financeStatus": 2}).json()["financeStatus"]
        == 2
    )
    assert mc.put("/invoices/90001", json={"financeStatus": 3}).status_code == 200
    for body in ({"financeStatus": 4}, {"financeStatus": "1"}, {"financeStatus": 1.0},
                 {"financeStatus": 1, "payDueDate": "2024-01-01"}, {}):  # fmt: skip
        assert mc.patch("/invoices/90001", json=body).status_code == 400
    assert mc.patch("/invoices/1", json={"financeStatus": 1}).status_code == 404
    assert membercare.write_count("Invoices") == 2


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/invoices"),
        ("DELETE", "/invoices/90001"),
        ("POST", "/products"),
        ("PUT", "/products/11"),
        ("PATCH", "/products/11"),
        ("DELETE", "/products/11"),
        ("POST", "/addresses/countries"),
        ("PUT", "/addresses/countries/NO"),
        ("DELETE", "/addresses/countries/NO"),
        ("DELETE", "/companies/1001"),
        ("DELETE", "/persons/20001"),
        ("DELETE", "/organizations/0301"),
        ("PATCH", "/companies/1001"),
        ("PUT", "/persons/20001"),
    ],
)
def test_what_the_api_cannot_do_is_405(mc, membercare, method, path):
    response = mc.request(method, path, json={"name": "x"})
    assert response.status_code == 405
    assert membercare.write_count() == 0


def test_writes_need_a_token(http, membercare):
    url = f"{membercare.url}/api/v1/companies"
    assert http.post(url, params=AUTO, json={"companyName": "A"}).status_code == 401
    assert membercare.write_count() == 0
