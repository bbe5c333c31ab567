"""Coercion to canonical values, dotted paths, and projections of a flow."""

from __future__ import annotations

import pytest

from connectors.errors import CoercionError
from dataflows import flows_by_name, load_documents
from engine import mapping
from schemas.dataflow import DataType
from schemas.paths import get_value, set_value

FLOWS = flows_by_name(load_documents())
PERSONS = FLOWS["webcrm-persons-to-customcrm-contact"]
PRODUCTS = FLOWS["webcrm-products-to-customcrm-product"]


@pytest.mark.parametrize(
    ("value", "data_type", "expected"),
    [
        ("25", DataType.DECIMAL, 25.0),
        ("12,5", DataType.DECIMAL, 12.5),
        (25, DataType.DECIMAL, 25.0),
        ("", DataType.DECIMAL, None),
        (25.0, DataType.STRING, "25"),
        (None, DataType.STRING, ""),
        (True, DataType.STRING, "true"),
        ("7", DataType.INTEGER, 7),
        ("ja", DataType.BOOLEAN, True),
        ("2024-03-01T11:15:30+01:00", DataType.DATETIME, "2024-03-01T10:15:30+00:00"),
        ("2024-03-01T10:00:00", DataType.DATE, "2024-03-01"),
        ("2024-03-01", DataType.DATETIME, "2024-03-01T00:00:00+00:00"),
        (
            "2024-03-01T10:00:00.250Z",
            DataType.DATETIME,
            "2024-03-01T10:00:00.250000+00:00",
        ),
        (1709287200, DataType.DATETIME, "2024-03-01T10:00:00+00:00"),
    ],
)
def test_coerce_gives_canonical_values(value, data_type, expected):
    assert mapping.coerce(value, data_type) == expected


@pytest.mark.parametrize(
    ("value", "data_type"),
    [
        ("abc", DataType.DECIMAL),
        ("7.5", DataType.INTEGER),
        (True, DataType.DECIMAL),
        ("maybe", DataType.BOOLEAN),
        ("2024-03-01T10:00:00", DataType.DATETIME),  # no zone: ambiguous
        ({"a": 1}, DataType.STRING),
        ("nan", DataType.DECIMAL),
        (1e20, DataType.DATETIME),  # past what the platform's time_t holds
        (-1e15, DataType.DATETIME),  # before year 1
        (float("nan"), DataType.DATETIME),
    ],
)
def test_coerce_refuses_what_cannot_be_converted(value, data_type):
    with pytest.raises(CoercionError):
        mapping.coerce(value, data_type)


def test_paths_read_and_write_nested_values():
    record = {"address": {"country": "Norge"}, "lines": [{"sku": "A"}]}
    assert get_value(record, "address.country") == "Norge"
    assert get_value(record, "lines.0.sku") == "A"
    assert get_value(record, "address.city") is None
    body: dict = {}
    set_value(body, "billing_address.city", "Oslo")
    assert body == {"billing_address": {"city": "Oslo"}}


def test_references_resolve_through_links_both_ways():
    person = {"PersonOrganisationId": 12, "PersonFirstName": "Kari"}
    values = mapping.project_source(
        PERSONS, person, lambda flow, sid: {"12": "C-7"}.get(sid)
    )
    key = "PersonOrganisationId->CustomerId"
    assert values[key] == "C-7"
    back = mapping.source_changes(PERSONS, {key: "C-7"}, lambda flow, tid: "12")
    assert back == {"PersonOrganisationId": 12}


def test_unresolved_reference_is_reported():
    person = {"PersonOrganisationId": 99}
    values = mapping.project_source(PERSONS, person, lambda flow, sid: None)
    assert mapping.unresolved_references(PERSONS, person, values) == [
        "PersonOrganisationId=99"
    ]


def test_source_changes_use_the_source_types():
    key = "ProductVatCode->VatRate"
    assert mapping.source_changes(PRODUCTS, {key: 25.0}, lambda f, t: None) == {
        "ProductVatCode": "25"
    }


def test_a_target_value_the_source_type_refuses_names_both_fields():
    invoices = FLOWS["membercare-invoices-to-customwebshop-order"]
    key = mapping.row_key(next(r for r in invoices.properties if r.source == "id"))
    with pytest.raises(CoercionError, match=r"^id \(from Order Reference\): "):
        mapping.source_changes(invoices, {key: "tjuefem"}, lambda f, t: None)


@pytest.mark.parametrize(
    ("value", "how", "expected"),
    [
        (" Kari@Fjord.NO ", "email", "kari@fjord.no"),
        ("NO 912 345 678 MVA", "alnum", "NO912345678MVA"),
        ("  Widget   Pro ", "text", "widget pro"),
    ],
)
def test_natural_keys_normalise(value, how, expected):
    assert mapping.normalize_key(value, how) == expected


def test_optional_reference_maps_to_empty_instead_of_waiting():
    invoices = FLOWS["membercare-invoices-to-customwebshop-order"]
    invoice = {"id": 1, "payer": {"debtorAccountNumber": "20017"}}
    values = mapping.project_source(invoices, invoice, lambda flow, sid: None)
    assert values["payer.debtorAccountNumber->CustomerId"] == ""
    assert mapping.unresolved_references(invoices, invoice, values) == []
