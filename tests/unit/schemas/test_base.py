"""The shared pieces of the models: non-empty keys, camelCase and PascalCase wires."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas import customcrm, customwebshop
from schemas.base import CamelCaseModel, NonEmptyStr, PascalCaseModel


class Camel(CamelCaseModel):
    post_code: str | None = None
    key: NonEmptyStr


class Pascal(PascalCaseModel):
    zip_code: str | None = None


def test_camel_case_wire_names_and_numbers_as_text():
    record = Camel.model_validate({"postCode": 155, "key": 10})
    assert (record.post_code, record.key) == ("155", "10")
    assert record.model_dump(by_alias=True) == {"postCode": "155", "key": "10"}


def test_pascal_case_wire_names_and_numbers_as_text():
    record = Pascal.model_validate({"ZipCode": 5003})
    assert record.zip_code == "5003"
    assert record.model_dump(by_alias=True) == {"ZipCode": "5003"}


@pytest.mark.parametrize("key", ["", None])
def test_a_key_must_be_non_empty_text(key):
    with pytest.raises(ValidationError):
        Camel.model_validate({"key": key})


def test_the_webshop_customer_is_the_contracts_customer_plus_its_number():
    crm_fields = list(customcrm.Customer.model_fields)
    shop_fields = list(customwebshop.Customer.model_fields)
    assert shop_fields == [*crm_fields, "organization_number"]
    record = customwebshop.Customer.model_validate(
        {"Id": "1", "UpdatedAt": "2024-01-01T00:00:00Z", "OrganizationNumber": 9}
    )
    assert record.organization_number == "9"
