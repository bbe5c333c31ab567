"""Webcrm wire models: API field names, ignored extras, required ids and times."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from schemas.webcrm import Organisation, Person, Product

ORGANISATION = {
    "OrganisationId": 123,
    "OrganisationName": "Fjord Bygg AS",
    "OrganisationPostCode": "0155",
    "OrganisationWww": "fjordbygg.no",
    "OrganisationVatNumber": "NO912345678MVA",
    "OrganisationOwner": 7,
    "OrganisationCreatedAt": "2024-01-02T09:00:00+01:00",
    "OrganisationUpdatedAt": "2024-03-01T11:15:30.1234560+01:00",
    "OrganisationCountryData": {"CodeISO": "NO", "Name": "Norway"},
    "OrganisationCustom1": "ignored",
    "RowNumber": 1,
}


def test_organisation_reads_the_api_names() -> None:
    record = Organisation.model_validate(ORGANISATION)
    assert record.organisation_id == 123
    assert record.organisation_www == "fjordbygg.no"
    assert record.organisation_country_data is not None
    assert record.organisation_country_data.code_iso == "NO"
    assert record.organisation_updated_at.astimezone(UTC) == datetime(
        2024, 3, 1, 10, 15, 30, 123456, tzinfo=UTC
    )


def test_dump_uses_the_api_names_and_drops_extras() -> None:
    data = Organisation.model_validate(ORGANISATION).model_dump(
        mode="json", by_alias=True
    )
    assert data["OrganisationVatNumber"] == "NO912345678MVA"
    assert data["OrganisationCountryData"] == {"CodeISO": "NO", "Name": "Norway"}
    assert "RowNumber" not in data
    assert "OrganisationCustom1" not in data


def test_numbers_in_text_fields_are_taken_as_text() -> None:
    product = Product.model_validate(
        {
            "ProductId": 1,
            "ProductVatCode": 25,
            "ProductUpdatedAt": "2024-03-01T10:00:00Z",
        }
    )
    assert product.product_vat_code == "25"


@pytest.mark.parametrize(
    "changes",
    [
        {"PersonId": None},
        {"PersonId": "abc"},
        {"PersonUpdatedAt": None},
        {"PersonUpdatedAt": "2024-03-01T10:00:00"},
        {"PersonOrganisationId": "x"},
    ],
)
def test_person_rejects_missing_or_wrong_keys(changes: dict[str, object]) -> None:
    person = {"PersonId": 4, "PersonUpdatedAt": "2024-03-01T10:00:00+01:00"}
    with pytest.raises(ValidationError):
        Person.model_validate({**person, **changes})
