"""Crmoffice wire models: camelCase, nested addresses, optional ``updatedAt``."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.crmoffice import Activity, Company, Contact


def test_company_addresses_and_free_text_countries() -> None:
    company = Company.model_validate(
        {"id": "c-100", "name": "Fjord Bygg AS", "orgNr": 912345678,
         "postAddress": {"streetAddress": "Postboks 12", "country": "Norge"},
         "visitAddress": {"country": "NO"}, "extra": 1}
    )  # fmt: skip
    assert company.updated_at is None
    data = company.model_dump(mode="json", by_alias=True)
    assert data["orgNr"] == "912345678"
    assert (data["postAddress"]["country"], data["visitAddress"]["country"]) == (
        "Norge",
        "NO",
    )
    assert "extra" not in data


def test_contacts_and_activities() -> None:
    contact = Contact.model_validate(
        {"id": "p-200", "givenName": "Kari", "company": {"id": "c-100"}}
    )
    assert contact.company is not None
    assert contact.company.id == "c-100"
    activity = Activity.model_validate(
        {"id": "a-300", "startsAt": "2024-03-05T09:00:00Z",
         "address": {"postalArea": "Oslo", "country": "Norge"},
         "updatedAt": "2024-03-05T09:00:00.000Z"}
    )  # fmt: skip
    assert activity.address is not None
    assert activity.address.country == "Norge"


@pytest.mark.parametrize(
    "row",
    [{"id": ""}, {"name": "no id"}, {"id": "c-1", "updatedAt": "2024-03-01T10:00:00"},
     {"id": "c-1", "postAddress": "Oslo"}],
)  # fmt: skip
def test_bad_companies(row: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Company.model_validate(row)
