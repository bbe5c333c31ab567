"""Customwebshop wire models: numbers as text, order lines."""

from __future__ import annotations

from schemas.customwebshop import Customer, Order


def test_customwebshop_models() -> None:
    customer = Customer.model_validate(
        {
            "Id": "C-1",
            "UpdatedAt": "2024-03-01T10:00:00Z",
            "OrganizationNumber": 912345678,
        }
    )
    assert customer.organization_number == "912345678"
    order = Order.model_validate(
        {
            "Id": "O-1",
            "UpdatedAt": "2024-03-01T10:00:00Z",
            "Lines": [{"ProductId": 7, "Quantity": 2}],
        }
    )
    assert order.lines[0].product_id == "7"
    assert order.model_dump(by_alias=True)["Lines"][0]["Quantity"] == 2.0
