"""Membercare stand-in: page envelope, lists, single records, the debtors feed."""

from __future__ import annotations

import pytest

from standins.membercare import membercare_sample


@pytest.fixture
def sample(membercare):
    data = membercare_sample(companies=6, persons=5, organizations=3, invoices=4)
    for resource, records in data.items():
        if resource != "Countries":
            membercare.seed(resource, records)
    return data


def test_the_envelope_pages_with_absolute_links_to_the_stand_in(mc, membercare, sample):
    first = mc.get("/companies", params={"pageSize": 4}).json()
    assert set(first) == {
        "totalCount",
        "totalPages",
        "previousPageUrl",
        "nextPageUrl",
        "result",
    }
    assert (first["totalCount"], first["totalPages"]) == (6, 2)
    assert first["previousPageUrl"] is None
    assert first["nextPageUrl"] == (
        f"{membercare.url}/api/v1/companies?pageSize=4&page=2"
    )
    second = mc.get(first["nextPageUrl"]).json()
    assert len(second["result"]) == 2
    assert second["nextPageUrl"] is None
    assert second["previousPageUrl"].endswith("pageSize=4&page=1")
    dans = [c["debtorAccountNumber"] for c in first["result"] + second["result"]]
    assert dans == [str(n) for n in range(1001, 1007)]


def test_page_size_defaults_to_50_and_is_bounded(mc, membercare):
    membercare.seed("Products", [{"name": f"P{i}"} for i in range(55)])
    body = mc.get("/products").json()
    assert (len(body["result"]), body["totalPages"]) == (50, 2)
    assert mc.get("/products", params={"PageSize": 5}).json()["totalPages"] == 11
    assert mc.get("/products", params={"pageSize": 1001}).status_code == 400
    assert mc.get("/products", params={"page": 0}).status_code == 400
    assert mc.get("/products", params={"page": "x"}).status_code == 400
    past = mc.get("/products", params={"page": 9}).json()
    assert (past["result"], past["nextPageUrl"]) == ([], None)


@pytest.mark.parametrize(
    ("path", "count"),
    [
        ("/companies", 6),
        ("/persons", 5),
        ("/organizations", 3),
        ("/invoices", 4),
        ("/products", 8),
        ("/addresses/countries", 22),
    ],
)
def test_every_list_endpoint(mc, sample, path, count):
    body = mc.get(path, params={"pageSize": 100}).json()
    assert body["totalCount"] == count
    assert all(r["url"].endswith(f"/api/v1{path}/{r['url'].rsplit('/', 1)[1]}")
               for r in body["result"])  # fmt: skip


def test_single_records_by_their_path_keys(mc, membercare, sample):
    company = mc.get("/companies/1001").json()
    assert company["url"] == f"{membercare.url}/api/v1/companies/1001"
    assert company["invoicesLink"].endswith("/companies/1001/invoices")
    assert company["name"] == company["companyName"]
    assert mc.get("/persons/20001").json()["name"] == (
        f"{sample['Persons'][0]['firstname']} {sample['Persons'][0]['lastname']}"
    )
    org = mc.get("/organizations/0301").json()
    assert org["fullName"] == "Oslo lokallag"
    assert org["companyLink"] == f"{membercare.url}/api/v1/companies/1001"
    invoice = mc.get("/invoices/90001").json()
    assert invoice["payer"]["url"].startswith(f"{membercare.url}/api/v1/")
    assert mc.get("/products/11").json()["name"] == "Kontingent"
    assert mc.get("/addresses/countries/no").json()["name"] == "Norge"


@pytest.mark.parametrize(
    "path",
    ["/companies/999", "/persons/1", "/organizations/0000", "/invoices/1",
     "/invoices/abc", "/products/x", "/addresses/countries/XX"],
)  # fmt: skip
def test_missing_records_are_404(mc, sample, path):
    response = mc.get(path)
    assert response.status_code == 404
    assert response.json()["status"] == 404


def test_sample_countries_are_norwegian_with_iso_codes(mc):
    rows = mc.get("/addresses/countries", params={"pageSize": 100}).json()["result"]
    names = {row["iso2Letter"]: row["name"] for row in rows}
    assert {"NO", "SE", "DK", "FI", "IS", "GB", "DE", "US"} <= set(names)
    assert (names["NO"], names["SE"], names["DK"]) == ("Norge", "Sverige", "Danmark")
    assert all(row["iso3Letter"] is None for row in rows)


def test_debtors_feed_is_strictly_after_a_local_time(mc, membercare):
    membercare.seed(
        "Companies",
        [
            {"companyName": "A", "lastChange": "2024-03-01T10:00:00"},
            {"companyName": "B", "lastChange": "2024-03-01T10:00:00.5"},
        ],
    )
    membercare.seed(
        "Persons", [{"firstname": "Kari", "lastChange": "2024-07-01T12:00:00"}]
    )
    feed = mc.get("/debtors", params={"changedAfter": "2024-03-01T10:00:00"}).json()
    assert [r["name"] for r in feed["result"]] == ["B", "Kari"]
    everything = mc.get("/debtors").json()["result"]
    assert [r["name"] for r in everything] == ["A", "B", "Kari"]
    # An explicit offset is honoured: 09:00Z is 10:00 Oslo winter time.
    utc = mc.get("/debtors", params={"changedAfter": "2024-03-01T09:00:00+00:00"})
    assert [r["name"] for r in utc.json()["result"]] == ["B", "Kari"]


def test_debtor_items_are_the_base_fields_with_a_self_link(mc, membercare, sample):
    items = mc.get("/debtors", params={"pageSize": 100}).json()["result"]
    assert len(items) == 11
    first = items[0]
    assert set(first) == {
        "url",
        "debtorAccountNumber",
        "name",
        "addresses",
        "contacts",
        "lastChange",
    }
    kinds = {item["url"].split("/")[-2] for item in items}
    assert kinds == {"companies", "persons"}
    times = [item["lastChange"] for item in items]
    assert times == sorted(times, key=lambda t: t.ljust(23, "0"))


def test_debtors_feed_rejects_a_bad_date(mc):
    assert mc.get("/debtors", params={"changedAfter": "yesterday"}).status_code == 400


def test_an_edit_moves_a_debtor_to_the_end_of_the_feed(mc, membercare, sample):
    before = mc.get("/debtors", params={"pageSize": 100}).json()["result"]
    membercare.edit("Companies", "1001", {"companyName": "Moved AS"})
    after = mc.get("/debtors", params={"pageSize": 100}).json()["result"]
    assert after[-1]["name"] == "Moved AS"
    assert after[-1]["lastChange"] > before[-1]["lastChange"]


def test_sample_data_is_deterministic_and_realistic():
    first = membercare_sample(seed=5)
    assert first == membercare_sample(seed=5)
    assert first != membercare_sample(seed=6)
    companies = first["Companies"]
    assert any(c["businessNumbers"]["vat"] is None for c in companies)
    assert all(c["companyName"].endswith(" AS") for c in companies)
    assert {a["country"]["iso2Letter"] for c in companies for a in c["addresses"]} >= {
        "NO"
    }
    payers = {i["payer"]["url"].split("/")[0] for i in first["Invoices"]}
    assert payers == {"companies", "persons"}
