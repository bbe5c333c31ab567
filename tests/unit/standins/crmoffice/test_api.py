"""Crmoffice stand-in: OAuth2 token endpoint, items lists, writes, assumption knobs."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from standins.crmoffice import COUNTRY_SPELLINGS, CrmofficeStandIn, crmoffice_sample


def token_form(crmoffice: CrmofficeStandIn, **changes: Any) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": crmoffice.oauth.client_id,
        "client_secret": crmoffice.oauth.client_secret,
        "scope": "crmoffice offline_access",
    }
    return {k: v for k, v in (form | changes).items() if v is not None}


def test_client_credentials_give_a_jwt_like_bearer(http, crmoffice):
    response = http.post(f"{crmoffice.url}/connect/token", data=token_form(crmoffice))
    assert response.status_code == 200
    body = response.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 3600)
    assert body["access_token"].count(".") == 2
    assert "refresh_token" not in body
    assert response.headers["cache-control"] == "no-store"


def test_client_credentials_in_basic_auth(http, crmoffice):
    pair = f"{crmoffice.oauth.client_id}:{crmoffice.oauth.client_secret}"
    header = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode()}
    form = {"grant_type": "client_credentials"}
    response = http.post(f"{crmoffice.url}/connect/token", data=form, headers=header)
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"client_secret": "wrong"}, "invalid_client"),
        ({"client_id": None}, "invalid_client"),
        ({"scope": "crmoffice admin"}, "invalid_scope"),
        ({"grant_type": "password"}, "unsupported_grant_type"),
        ({"grant_type": "refresh_token", "refresh_token": "made-up"}, "invalid_grant"),
    ],
)
def test_token_refusals(http, crmoffice, changes, error):
    url = f"{crmoffice.url}/connect/token"
    response = http.post(url, data=token_form(crmoffice, **changes))
    assert response.status_code == 400
    assert response.json() == {"error": error}


@pytest.mark.parametrize("rotate", [False, True])
def test_refresh_tokens(http, crmoffice, rotate):
    crmoffice.oauth.rotate_refresh_tokens = rotate
    try:
        first = crmoffice.oauth.consent()
        form = token_form(crmoffice, grant_type="refresh_token", refresh_token=first)
        url = f"{crmoffice.url}/connect/token"
        body = http.post(url, data=form).json()
        assert body["access_token"]
        assert (body["refresh_token"] == first) is not rotate
        assert "offline_access" in body["scope"]
        again = http.post(url, data=form)
        assert again.status_code == (400 if rotate else 200)
    finally:
        crmoffice.oauth.rotate_refresh_tokens = False


def test_calls_need_a_live_bearer_token(http, co, crmoffice):
    assert http.get(f"{crmoffice.url}/companies").status_code == 401
    bad = http.get(f"{crmoffice.url}/companies", headers={"Authorization": "Bearer x"})
    assert bad.status_code == 401
    assert "invalid_token" in bad.headers["www-authenticate"]
    assert co.get("/companies").status_code == 200
    crmoffice.expire_tokens()
    assert co.get("/companies").status_code == 401
    crmoffice.oauth.static_tokens.add("static")
    static = http.get(
        f"{crmoffice.url}/users", headers={"Authorization": "Bearer static"}
    )
    assert static.status_code == 200


def test_lists_answer_items_with_inclusive_updated_since(co, crmoffice):
    crmoffice.seed(
        "Companies",
        [
            {"name": "A", "updatedAt": "2024-03-01T10:00:00.000Z"},
            {"name": "B", "updatedAt": "2024-03-01T09:00:00.000Z"},
            {"name": "C", "updatedAt": "2024-03-01T11:00:00.000Z"},
        ],
    )
    everything = co.get("/companies").json()
    assert set(everything) == {"items"}
    assert [c["name"] for c in everything["items"]] == ["A", "B", "C"]  # by id
    since = co.get("/companies", params={"updatedSince": "2024-03-01T10:00:00Z"})
    assert [c["name"] for c in since.json()["items"]] == ["A", "C"]  # by time
    assert co.get("/companies", params={"updatedSince": "soon"}).status_code == 400


def test_paging(co, crmoffice):
    crmoffice.seed("Contacts", [{"givenName": f"K{i}"} for i in range(5)])
    sizes = [
        len(co.get("/contacts", params={"page": p, "pageSize": 2}).json()["items"])
        for p in (1, 2, 3, 4)
    ]
    assert sizes == [2, 2, 1, 0]
    assert co.get("/contacts", params={"pageSize": 501}).status_code == 400
    assert co.get("/contacts", params={"page": "x"}).status_code == 400


def test_writes_create_and_replace(co, crmoffice):
    body = {"name": "Ny AS", "orgNr": "912345678", "visitAddress": {"country": "Norge"}}
    created = co.post("/companies", json=body | {"id": "mine", "updatedAt": "x"})
    assert created.status_code == 201
    record = created.json()
    assert record["id"] == "c-100"
    assert record["visitAddress"] == {
        "streetAddress": None,
        "postCode": None,
        "postalArea": None,
        "country": "Norge",
    }
    replaced = co.put("/companies/c-100", json={"name": "Ny 2 AS"}).json()
    assert (replaced["name"], replaced["orgNr"], replaced["visitAddress"]) == (
        "Ny 2 AS",
        None,
        None,
    )
    assert replaced["updatedAt"] > record["updatedAt"]
    assert co.get("/companies/c-100").json()["name"] == "Ny 2 AS"
    assert crmoffice.write_count("Companies") == 2


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/companies", {"name": 5}),
        ("/companies", {"visitAddress": "Oslo"}),
        ("/companies", {"visitAddress": {"city": "Oslo"}}),
        ("/contacts", {"company": {"id": 7}}),
        ("/activities", {"startsAt": "tomorrow"}),
        ("/activities", {"startsAt": "2024-03-05T09:00:00"}),
        ("/contacts", []),
    ],
)
def test_invalid_bodies_are_400(co, crmoffice, path, body):
    assert co.post(path, json=body).status_code == 400
    assert crmoffice.write_count() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/companies/c-100"),
        ("POST", "/users"),
        ("PUT", "/users/u-1"),
        ("PATCH", "/companies/c-100"),
    ],
)
def test_what_crmoffice_cannot_do_is_405(co, crmoffice, method, path):
    crmoffice.seed("Companies", [{"name": "A"}])
    crmoffice.seed("Users", [{"userName": "kari"}])
    assert co.request(method, path, json={"name": "x"}).status_code == 405
    assert crmoffice.write_count() == 0


def test_missing_records(co, crmoffice):
    assert co.get("/companies/c-404").status_code == 404
    assert co.put("/companies/c-404", json={"name": "x"}).status_code == 404


def test_knobs_take_the_assumptions_away(co, crmoffice):
    crmoffice.seed("Companies", [{"name": f"C{i}"} for i in range(3)])
    crmoffice.supports_updated_since = False
    crmoffice.supports_paging = False
    crmoffice.supports_writes = False
    params = {"updatedSince": "2100-01-01T00:00:00Z", "page": 2, "pageSize": 1}
    items = co.get("/companies", params=params).json()["items"]
    assert len(items) == 3
    assert all("updatedAt" not in item for item in items)
    assert co.post("/companies", json={"name": "x"}).status_code == 405
    assert co.put("/companies/c-100", json={"name": "x"}).status_code == 405
    crmoffice.reset()
    assert crmoffice.supports_writes


def test_sample_data_spells_countries_many_ways(crmoffice):
    data = crmoffice_sample(companies=12, contacts=5, activities=10, seed=2)
    assert data == crmoffice_sample(companies=12, contacts=5, activities=10, seed=2)
    for resource, records in data.items():
        crmoffice.seed(resource, records)
    seen = {
        company[side]["country"]
        for company in crmoffice.records("Companies")
        for side in ("postAddress", "visitAddress")
    } | {a["address"]["country"] for a in crmoffice.records("Activities")}
    assert seen <= set(COUNTRY_SPELLINGS)
    assert len(seen) >= 5
    contacts = crmoffice.records("Contacts")
    assert all(c["company"]["id"].startswith("c-") for c in contacts)
    assert crmoffice.credentials()["client_id"] == crmoffice.oauth.client_id
    assert set(crmoffice.connector_env()) == {
        "CRMOFFICE_BASE_URL",
        "CRMOFFICE_CLIENT_ID",
        "CRMOFFICE_CLIENT_SECRET",
    }


def test_admin_routes_drive_tokens_and_assumptions(http, co, crmoffice):
    admin = f"{crmoffice.url}/_admin"
    refresh = http.post(f"{admin}/consent").json()["refresh_token"]
    form = token_form(crmoffice, grant_type="refresh_token", refresh_token=refresh)
    assert http.post(f"{crmoffice.url}/connect/token", data=form).status_code == 200
    assert http.post(f"{admin}/expire_tokens").status_code == 204
    assert co.get("/companies").status_code == 401
    changed = http.put(f"{admin}/assumptions", json={"supports_writes": False})
    assert changed.json() == {
        "supports_updated_since": True,
        "supports_paging": True,
        "supports_writes": False,
    }
    assert not crmoffice.supports_writes
    assert http.put(f"{admin}/assumptions", json={"nope": 1}).status_code == 400
