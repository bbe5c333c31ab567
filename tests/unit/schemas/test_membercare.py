"""Membercare wire models: camelCase names, naive local times, required keys."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from schemas.membercare import Company, Country, Invoice, Page, Person

COMPANY = {
    "url": "https://t.membercare.no/api/v1/companies/1001",
    "id": 5012,
    "debtorAccountNumber": "1001",
    "companyName": "Fjord Bygg AS",
    "businessNumbers": {"vat": "NO912345678MVA", "cvr": None},
    "addresses": [
        {
            "street": "Storgata",
            "postalCode": {"id": 155, "zipCode": "0155", "city": "Oslo"},
            "country": {"id": 1, "iso2Letter": "NO", "name": "Norge"},
            "lastChange": "2024-03-01T10:15:30",
        }
    ],
    "lastChange": "2024-03-01T10:15:30.5",
    "customFieldValues": [{"ignored": True}],
}


def test_company_keeps_the_api_names_and_local_times() -> None:
    company = Company.model_validate(COMPANY)
    assert company.last_change == datetime(2024, 3, 1, 10, 15, 30, 500000)
    assert company.last_change.tzinfo is None  # local: the connector converts it
    data = company.model_dump(mode="json", by_alias=True)
    assert data["businessNumbers"]["vat"] == "NO912345678MVA"
    assert data["addresses"][0]["postalCode"]["zipCode"] == "0155"
    assert data["addresses"][0]["country"]["iso2Letter"] == "NO"
    assert "customFieldValues" not in data


@pytest.mark.parametrize(
    "changes",
    [{"debtorAccountNumber": None}, {"debtorAccountNumber": ""}, {"lastChange": None},
     {"memberType": "member"}, {"addresses": "Storgata 1"}],
)  # fmt: skip
def test_company_refuses_missing_keys_and_wrong_types(
    changes: dict[str, object],
) -> None:
    with pytest.raises(ValidationError):
        Company.model_validate(COMPANY | changes)


def test_person_reads_firstname_not_first_name() -> None:
    person = Person.model_validate(
        {"debtorAccountNumber": 2, "firstname": "Kari", "firstName": "x",
         "lastChange": "2024-03-01T10:15:30"}
    )  # fmt: skip
    assert (person.debtor_account_number, person.firstname) == ("2", "Kari")


def test_invoices_countries_and_the_envelope() -> None:
    line = {"description": "Kontingent", "unitPrice": 500, "quantity": 1}
    invoice = Invoice.model_validate(
        {"id": 90001, "financeStatus": 1, "payer": {"debtorAccountNumber": "2"},
         "invoiceItems": [line]}
    )  # fmt: skip
    assert invoice.invoice_items[0].unit_price == 500.0
    assert Country.model_validate({"iso2Letter": "NO", "name": "Norge"}).name == "Norge"
    page = Page.model_validate(
        {"totalCount": 1, "totalPages": 1, "previousPageUrl": None,
         "nextPageUrl": None, "result": [{}]}
    )  # fmt: skip
    assert page.result == [{}]
    with pytest.raises(ValidationError):
        Page.model_validate({"totalCount": 1})
