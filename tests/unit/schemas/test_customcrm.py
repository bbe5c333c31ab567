"""Customcrm wire models: contract field names, soft delete, types."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.customcrm import Contact, Customer, Product

CUSTOMER = {
    "Id": "C-1001",
    "Name": "Fjord Bygg AS",
    "Email": "post@fjordbygg.no",
    "StreetAddress1": "Storgata 1",
    "ZipCode": "0155",
    "VatNumber": "NO912345678MVA",
    "UpdatedAt": "2024-03-01T10:15:30Z",
    "Deleted": False,
    "Extra": 1,
}


def test_customer_round_trip_keeps_contract_names() -> None:
    data = Customer.model_validate(CUSTOMER).model_dump(mode="json", by_alias=True)
    assert data["StreetAddress1"] == "Storgata 1"
    assert data["ZipCode"] == "0155"
    assert data["UpdatedAt"] == "2024-03-01T10:15:30Z"
    assert "Extra" not in data


def test_deleted_defaults_to_false() -> None:
    contact = Contact.model_validate(
        {"Id": "P-1", "LastName": "Nordmann", "UpdatedAt": "2024-03-01T10:15:30Z"}
    )
    assert contact.deleted is False


def test_product_types() -> None:
    product = Product.model_validate(
        {
            "Id": "PR-1",
            "Price": 499,
            "VatRate": "25",
            "Active": True,
            "UpdatedAt": "2024-03-01T10:15:30Z",
        }
    )
    assert (product.price, product.vat_rate, product.active) == (499.0, 25.0, True)


@pytest.mark.parametrize(
    "changes",
    [
        {"Id": ""},
        {"Id": None},
        {"UpdatedAt": "2024-03-01T10:15:30"},
        {"Deleted": "perhaps"},
    ],
)
def test_customer_rejects_bad_keys(changes: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Customer.model_validate({**CUSTOMER, **changes})
