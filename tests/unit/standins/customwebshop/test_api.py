"""Customwebshop stand-in: auth, resources, order lines, dates, statuses, totals."""

from __future__ import annotations

import pytest

from connectors import build_connector
from connectors.customwebshop import CustomwebshopSettings

LINE = {
    "ProductId": "PR-1001",
    "Description": "Widget",
    "Quantity": 2,
    "UnitPrice": 100,
}


def test_a_bearer_key_is_required(http, customwebshop):
    url = f"{customwebshop.url}/orders"
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        response = http.get(url, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "unauthorized"}
    ok = http.get(url, headers={"Authorization": f"Bearer {customwebshop.api_key}"})
    assert ok.status_code == 200


def test_the_three_resources_and_their_ids(cw, customwebshop):
    customer = cw.post(
        "/customers",
        json={"Name": "Fjord Bygg AS", "OrganizationNumber": "912345678"},
    )
    assert customer.status_code == 201
    assert customer.json()["Id"] == "C-1001"
    assert customer.json()["OrganizationNumber"] == "912345678"
    assert customer.json()["VatNumber"] == ""
    product = cw.post("/products", json={"Name": "Widget", "Sku": "WP-1"})
    assert product.json()["Id"] == "PR-1001"
    assert product.json()["Active"] is True
    order = cw.post("/orders", json={"CustomerId": "C-1001", "Reference": "77"})
    body = order.json()
    assert body["Id"] == "O-5001"
    assert (body["Currency"], body["Status"], body["Lines"]) == ("NOK", "confirmed", [])
    assert body["Total"] is None
    assert customwebshop.write_count() == 3


def test_lines_are_completed_and_the_total_computed(cw):
    lines = [LINE | {"VatRate": 25}, {"Description": "Frakt", "UnitPrice": 50}]
    body = cw.post("/orders", json={"Lines": lines, "OrderDate": "2024-03-01"}).json()
    assert body["Lines"][1] == {
        "ProductId": "",
        "Description": "Frakt",
        "Quantity": 1,
        "UnitPrice": 50,
        "VatRate": None,
    }
    assert body["Total"] == 300.0  # 2 x 100 x 1.25 + 1 x 50
    assert body["OrderDate"] == "2024-03-01"


def test_a_given_total_is_kept_and_a_line_change_recomputes_it(cw):
    order = cw.post("/orders", json={"Lines": [LINE], "Total": 999.0}).json()
    assert order["Total"] == 999.0
    changed = cw.put(
        f"/orders/{order['Id']}", json={"Lines": [LINE | {"Quantity": 3}]}
    ).json()
    assert changed["Total"] == 300.0
    assert changed["Lines"][0]["Quantity"] == 3


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"Lines": [{"Sku": "x"}]}, 400, "unknown field(s) in Lines.0: Sku"),
        ({"Lines": ["Widget"]}, 400, "Lines.0 must be an object"),
        ({"Lines": [{"Quantity": "2"}]}, 422, "Lines.0.Quantity"),
        ({"Lines": [{"UnitPrice": True}]}, 422, "Lines.0.UnitPrice"),
        ({"Lines": [{"ProductId": 7}]}, 422, "Lines.0.ProductId"),
        ({"Lines": "Widget"}, 422, "Lines"),
        ({"OrderDate": "01.03.2024"}, 422, "OrderDate"),
        ({"Status": "paid"}, 422, "Status"),
        ({"Colour": "red"}, 400, "unknown field(s): Colour"),
    ],
)
def test_order_validation(cw, customwebshop, body, status, detail):
    response = cw.post("/orders", json=body)
    assert response.status_code == status
    assert detail in str(response.json()["detail"])
    assert customwebshop.write_count() == 0


def test_an_order_update_is_validated_too(cw):
    order = cw.post("/orders", json={}).json()
    response = cw.put(f"/orders/{order['Id']}", json={"Status": "lost"})
    assert response.status_code == 422
    assert cw.put(f"/orders/{order['Id']}", json={"Status": "shipped"}).is_success


def test_soft_delete_and_the_feed(cw):
    product = cw.post("/products", json={"Name": "Widget"}).json()
    assert cw.delete(f"/products/{product['Id']}").status_code == 204
    feed = cw.get("/products").json()
    assert [row["Deleted"] for row in feed["data"]] == [True]
    assert cw.put(f"/products/{product['Id']}", json={"Name": "W"}).status_code == 404


def test_seeded_orders_are_checked_and_completed(customwebshop):
    [order] = customwebshop.seed("orders", [{"Reference": "1", "Lines": [LINE]}])
    assert order["Total"] == 200.0
    assert order["Id"] == "O-5001"
    with pytest.raises(ValueError, match="OrderDate"):
        customwebshop.seed("orders", [{"OrderDate": "yesterday"}])


def test_connector_env_points_the_connector_here(customwebshop):
    env = customwebshop.connector_env()
    assert env == {
        "CUSTOMWEBSHOP_BASE_URL": customwebshop.url,
        "CUSTOMWEBSHOP_API_KEY": customwebshop.api_key,
    }
    settings = CustomwebshopSettings.load(
        base_url=env["CUSTOMWEBSHOP_BASE_URL"], api_key=env["CUSTOMWEBSHOP_API_KEY"]
    )
    connector = build_connector("customwebshop", settings)
    assert connector.settings.base_url == customwebshop.url


def test_connector_env_is_enough_for_build_connector(customwebshop, monkeypatch):
    for name, value in customwebshop.connector_env().items():
        monkeypatch.setenv(name, value)
    connector = build_connector("customwebshop")
    assert connector.settings.base_url == customwebshop.url
