"""Customcrm stand-in: auth, the feed, filters, validation, idempotency, soft delete."""

from __future__ import annotations

import re

import pytest

UTC_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_a_key_is_required(http, customcrm):
    url = f"{customcrm.url}/customers"
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = http.get(url, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "unauthorized"}
    ok = http.get(url, headers={"Authorization": f"bearer {customcrm.api_key}"})
    assert ok.status_code == 200


def test_create_returns_201_with_the_full_object(cc, customcrm):
    response = cc.post("/customers", json={"Name": "Fjord Bygg AS", "VatNumber": "NO1"})
    assert response.status_code == 201
    body = response.json()
    assert body["Id"].startswith("C-")
    assert UTC_MS.match(body["UpdatedAt"])
    assert body["Deleted"] is False
    assert body["Email"] == ""
    assert cc.get(f"/customers/{body['Id']}").json() == body
    contact = cc.post(
        "/contacts", json={"LastName": "Nordmann", "CustomerId": body["Id"]}
    )
    assert contact.json()["Id"].startswith("P-")
    product = cc.post(
        "/products", json={"Name": "Widget", "Price": 499, "Active": False}
    )
    assert product.json()["Id"].startswith("PR-")
    assert customcrm.write_count() == 3


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"Name": "A", "Id": "C-1"}, 400),
        ({"Name": "A", "UpdatedAt": "2024-01-01T00:00:00Z"}, 400),
        ({"Name": "A", "Deleted": True}, 400),
        ({"Name": "A", "Colour": "red"}, 400),
        ({"Name": "A", "Phone": 22112233}, 422),
        ({"Email": "a@b.no"}, 422),
        ({"Name": ""}, 422),
    ],
)
def test_create_validation(cc, customcrm, body, status):
    response = cc.post("/customers", json=body)
    assert response.status_code == status
    expected = "validation" if status == 422 else "bad_request"
    assert response.json()["error"] == expected
    assert response.json()["detail"]
    assert customcrm.write_count() == 0


def test_product_types(cc):
    assert cc.post("/products", json={"Name": "W", "Price": "499"}).status_code == 422
    assert cc.post("/products", json={"Name": "W", "Active": "yes"}).status_code == 422
    assert cc.post("/products", json={"Name": "W", "VatRate": True}).status_code == 422
    assert cc.post("/contacts", json={"FirstName": "Kari"}).status_code == 422


def test_idempotency_key_replays_without_writing(cc, customcrm):
    headers = {"Idempotency-Key": "evt-1"}
    first = cc.post("/customers", json={"Name": "A"}, headers=headers)
    again = cc.post("/customers", json={"Name": "A"}, headers=headers)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.json()["Id"] == first.json()["Id"]
    assert len(customcrm.records("customers")) == 1
    assert customcrm.write_count() == 1
    # Keys are per resource.
    other = cc.post("/products", json={"Name": "A"}, headers=headers)
    assert other.status_code == 201


def test_put_merges_given_fields(cc, customcrm):
    created = cc.post("/customers", json={"Name": "A", "City": "Oslo"}).json()
    response = cc.put(f"/customers/{created['Id']}", json={"Phone": "22112233"})
    assert response.status_code == 200
    body = response.json()
    assert (body["Name"], body["City"], body["Phone"]) == ("A", "Oslo", "22112233")
    assert body["UpdatedAt"] > created["UpdatedAt"]
    assert cc.put(f"/customers/{created['Id']}", json={"Phone": 1}).status_code == 422
    assert cc.put(f"/customers/{created['Id']}", json={"Id": "x"}).status_code == 400
    assert cc.put("/customers/C-404", json={"Phone": "1"}).status_code == 404
    assert cc.get("/customers/C-404").json() == {"error": "not_found"}
    assert customcrm.write_count() == 2


def test_soft_delete_shows_in_the_feed(cc, customcrm):
    created = cc.post("/customers", json={"Name": "A"}).json()
    assert cc.delete(f"/customers/{created['Id']}").status_code == 204
    feed = cc.get("/customers", params={"updated_since": created["UpdatedAt"]}).json()
    [row] = feed["data"]
    assert row["Deleted"] is True
    assert row["UpdatedAt"] > created["UpdatedAt"]
    assert cc.get(f"/customers/{created['Id']}").json()["Deleted"] is True
    assert cc.put(f"/customers/{created['Id']}", json={"City": "X"}).status_code == 404
    assert cc.delete(f"/customers/{created['Id']}").status_code == 404
    assert customcrm.write_count() == 2


def test_feed_paging_and_inclusive_since(cc, customcrm):
    t1, t2 = "2024-03-01T10:00:00.000Z", "2024-03-01T11:00:00.000Z"
    customcrm.seed(
        "contacts",
        [
            {"LastName": f"N{i}", "UpdatedAt": t}
            for i, t in enumerate([t2, t1, t2, t1, t2])
        ],
    )
    pages, page = [], 1
    while page is not None:
        body = cc.get("/contacts", params={"page": page, "page_size": 2}).json()
        pages.append(body["data"])
        page = body["next_page"]
    assert [len(p) for p in pages] == [2, 2, 1]
    rows = [r for p in pages for r in p]
    assert [r["UpdatedAt"] for r in rows] == [t1, t1, t2, t2, t2]
    ids = [r["Id"] for r in rows]
    assert ids[:2] == sorted(ids[:2])
    assert ids[2:] == sorted(ids[2:])
    since = cc.get("/contacts", params={"updated_since": "2024-03-01T11:00:00Z"})
    assert len(since.json()["data"]) == 3
    assert cc.get("/contacts", params={"page_size": 501}).status_code == 400
    assert cc.get("/contacts", params={"updated_since": "soon"}).status_code == 400


def test_equality_filters(cc, customcrm):
    customcrm.seed(
        "customers",
        [
            {"Name": "A", "VatNumber": "NO912345678MVA", "Email": "Post@A.no"},
            {"Name": "B", "VatNumber": "NO987654321MVA"},
        ],
    )
    found = cc.get("/customers", params={"VatNumber": "NO912345678MVA"}).json()
    assert [r["Name"] for r in found["data"]] == ["A"]
    by_mail = cc.get("/customers", params={"Email": "post@a.no"}).json()
    assert [r["Name"] for r in by_mail["data"]] == ["A"]
    live = cc.get("/customers", params={"Deleted": "false", "page": 1}).json()
    assert len(live["data"]) == 2
    assert cc.get("/customers", params={"Colour": "red"}).status_code == 400
