"""Chargebee stand-in writes: items, orders (need an invoice), customers, refusals."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from standins import ChargebeeStandIn

ITEM = {
    "id": "widget-pro",
    "name": "Widget Pro",
    "type": "charge",
    "item_family_id": "webshop-products",
}
INVOICE = {
    "id": "inv_501",
    "customer_id": "cust_42",
    "currency_code": "NOK",
    "line_items": [
        {
            "id": "li_1",
            "description": "Widget Pro",
            "unit_amount": 49900,
            "quantity": 2,
            "amount": 99800,
            "tax_amount": 24950,
        }
    ],
}


def _error(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["api_error_code"] == code
    return body


# -- items ------------------------------------------------------------------------


def test_create_an_item_with_its_client_chosen_id(cb, chargebee):
    item = cb.post("/items", data=ITEM | {"is_shippable": "true"}).json()["item"]
    assert item["id"] == "widget-pro"
    assert item["external_name"] == "Widget Pro"
    assert (item["status"], item["deleted"], item["object"]) == (
        "active",
        False,
        "item",
    )
    assert item["is_shippable"] is True
    assert item["resource_version"] // 1000 == item["updated_at"]
    assert "description" not in item  # unset optional fields are absent
    assert chargebee.writes()[0].path == "/api/v2/items"


def test_an_item_needs_an_existing_family(cb, chargebee):
    response = cb.post("/items", data=ITEM | {"item_family_id": "nope"})
    assert _error(response, 404, "resource_not_found")["param"] == "item_family_id"
    assert chargebee.write_count() == 0


def test_update_an_item_and_clear_a_field(cb):
    cb.post("/items", data=ITEM | {"description": "Old"})
    before = cb.get("/items/widget-pro").json()["item"]
    after = cb.post("/items/widget-pro", data={"name": "Widget Pro 2"}).json()["item"]
    assert after["name"] == "Widget Pro 2"
    assert after["description"] == "Old"
    assert after["resource_version"] > before["resource_version"]
    cleared = cb.post("/items/widget-pro", data={"description": ""}).json()["item"]
    assert "description" not in cleared


@pytest.mark.parametrize(
    ("data", "param"),
    [
        ({"type": "plan"}, "type"),
        ({"id": "other"}, "id"),
        ({"status": "deleted"}, "status"),
    ],
)
def test_an_item_update_takes_only_update_parameters(cb, data, param):
    cb.post("/items", data=ITEM)
    response = cb.post("/items/widget-pro", data=data)
    assert _error(response, 400, "param_wrong_value")["param"] == param


def test_archiving_stamps_archived_at(cb):
    cb.post("/items", data=ITEM)
    item = cb.post("/items/widget-pro", data={"status": "archived"}).json()["item"]
    assert item["status"] == "archived"
    assert item["archived_at"] == item["updated_at"]


def test_delete_is_soft_and_a_deleted_item_cannot_change(cb, chargebee):
    cb.post("/items", data=ITEM)
    deleted = cb.post("/items/widget-pro/delete").json()["item"]
    assert (deleted["status"], deleted["deleted"]) == ("deleted", True)
    update = cb.post("/items/widget-pro", data={"name": "Back"})
    _error(update, 400, "invalid_state_for_request")
    _error(cb.post("/items/widget-pro/delete"), 400, "invalid_state_for_request")
    # The id stays taken.
    _error(cb.post("/items", data=ITEM), 400, "duplicate_entry")
    assert chargebee.get("items", "widget-pro")["name"] == "Widget Pro"


def test_unknown_items_are_404(cb):
    _error(cb.get("/items/nope"), 404, "resource_not_found")
    _error(cb.post("/items/nope", data={"name": "x"}), 404, "resource_not_found")


# -- orders -----------------------------------------------------------------------


def test_an_order_cannot_be_created_without_an_invoice(cb, chargebee):
    body = _error(
        cb.post("/orders", data={"reference_id": "O-1"}), 400, "param_wrong_value"
    )
    assert body["param"] == "invoice_id"
    assert "cannot be blank" in body["message"]
    missing = cb.post("/orders", data={"invoice_id": "inv_404"})
    assert _error(missing, 404, "resource_not_found")["param"] == "invoice_id"
    assert chargebee.write_count() == 0


def test_an_order_for_an_invoice_copies_its_lines_and_amounts(cb, chargebee):
    chargebee.seed("invoices", [INVOICE])
    order = cb.post(
        "/orders", data={"invoice_id": "inv_501", "reference_id": "O-5001"}
    ).json()["order"]
    assert order["id"] == "ord_1001"
    assert (order["customer_id"], order["currency_code"]) == ("cust_42", "NOK")
    assert (order["sub_total"], order["tax"], order["total"]) == (99800, 24950, 124750)
    [line] = order["order_line_items"]
    assert (line["unit_price"], line["fulfillment_quantity"]) == (49900, 2)
    assert line["invoice_line_item_id"] == "li_1"
    assert order["reference_id"] == "O-5001"
    own = cb.post("/orders", data={"invoice_id": "inv_501", "id": "mine"}).json()
    assert own["order"]["id"] == "mine"
    _error(
        cb.post("/orders", data={"invoice_id": "inv_501", "id": "mine"}),
        400,
        "duplicate_entry",
    )


def _order(cb: httpx.Client, chargebee: ChargebeeStandIn) -> dict[str, Any]:
    chargebee.seed("invoices", [INVOICE])
    order: dict[str, Any] = cb.post("/orders", data={"invoice_id": "inv_501"}).json()[
        "order"
    ]
    return order


def test_an_order_update_takes_the_documented_fields(cb, chargebee):
    order = _order(cb, chargebee)
    line_id = order["order_line_items"][0]["id"]
    data = {
        "reference_id": "O-5001",
        "order_date": "1709251200",
        "shipping_address[city]": "Oslo",
        "order_line_items[id][0]": line_id,
        "order_line_items[status][0]": "shipped",
        "order_line_items[sku][0]": "WP-1",
    }
    updated = cb.post(f"/orders/{order['id']}", data=data).json()["order"]
    assert (updated["reference_id"], updated["order_date"]) == ("O-5001", 1709251200)
    assert updated["shipping_address"] == {"city": "Oslo"}
    assert updated["order_line_items"][0]["status"] == "shipped"
    assert updated["order_line_items"][0]["sku"] == "WP-1"


@pytest.mark.parametrize(
    ("data", "param"),
    [
        ({"currency_code": "EUR"}, "currency_code"),
        ({"total": "1"}, "total"),
        ({"customer_id": "x"}, "customer_id"),
        ({"order_date": "2024-03-01"}, "order_date"),
        ({"status": "lost"}, "status"),
        ({"order_line_items[amount][0]": "1"}, "order_line_items"),
        ({"order_line_items[id][0]": "nope"}, "order_line_items[id]"),
    ],
)
def test_an_order_update_refuses_other_fields(cb, chargebee, data, param):
    order = _order(cb, chargebee)
    response = cb.post(f"/orders/{order['id']}", data=data)
    assert _error(response, 400, "param_wrong_value")["param"] == param


def test_cancel_needs_a_reason_and_happens_once(cb, chargebee):
    order = _order(cb, chargebee)
    path = f"/orders/{order['id']}/cancel"
    _error(cb.post(path), 400, "param_wrong_value")
    cancelled = cb.post(path, data={"cancellation_reason": "product_not_required"})
    assert cancelled.json()["order"]["status"] == "cancelled"
    assert cancelled.json()["order"]["cancelled_at"] > 0
    _error(
        cb.post(path, data={"cancellation_reason": "others"}),
        400,
        "invalid_state_for_request",
    )


def test_a_deleted_order_is_listed_only_with_include_deleted_and_frozen(cb, chargebee):
    order = _order(cb, chargebee)
    assert cb.post(f"/orders/{order['id']}/delete").json()["order"]["deleted"] is True
    assert cb.get("/orders").json()["list"] == []
    assert (
        len(cb.get("/orders", params={"include_deleted": "true"}).json()["list"]) == 1
    )
    _error(
        cb.post(f"/orders/{order['id']}", data={"note": "x"}),
        400,
        "invalid_state_for_request",
    )


# -- customers, invoices ----------------------------------------------------------


def test_customers_create_update_and_billing_info(cb):
    data = {"first_name": "Kari", "billing_address[city]": "Oslo", "vat_number": "NO1"}
    customer = cb.post("/customers", data=data).json()["customer"]
    assert customer["id"] == "cust_1001"
    assert customer["billing_address"]["city"] == "Oslo"
    path = f"/customers/{customer['id']}"
    assert (
        cb.post(path, data={"email": "kari@x.no"}).json()["customer"]["email"]
        == "kari@x.no"
    )
    refused = cb.post(path, data={"billing_address[city]": "Bergen"})
    assert _error(refused, 400, "param_wrong_value")["param"] == "billing_address"
    billing = cb.post(
        f"{path}/update_billing_info", data={"billing_address[zip]": "5003"}
    )
    address = billing.json()["customer"]["billing_address"]
    assert (address["city"], address["zip"]) == ("Oslo", "5003")
    own = cb.post("/customers", data={"id": "kari", "first_name": "Kari"})
    assert own.json()["customer"]["id"] == "kari"
    _error(cb.post("/customers", data={"id": "kari"}), 400, "duplicate_entry")


def test_invoices_are_seeded_and_read(cb, chargebee):
    chargebee.seed("invoices", [INVOICE])
    invoice = cb.get("/invoices/inv_501").json()["invoice"]
    assert (invoice["total"], invoice["status"]) == (124750, "paid")
    assert len(cb.get("/invoices").json()["list"]) == 1
    assert cb.post("/invoices", data={"id": "x"}).status_code == 405
