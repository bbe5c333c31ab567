"""The checklist comparison over in-memory links and listings, as the engine does."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from dataflows import flows_by_name, load_documents
from ops.verify import (
    FlowCheck,
    Kind,
    Listing,
    check_flow,
    links_from_table,
    make_resolver,
    reports_by_flow,
)
from schemas.envelope import ChangeEvent, FlowReport, Operation

FLOWS = flows_by_name(load_documents())
ORGS = FLOWS["webcrm-organisations-to-customcrm-customer"]
PERSONS = FLOWS["webcrm-persons-to-customcrm-contact"]
PRODUCTS = FLOWS["webcrm-products-to-customcrm-product"]
COUNTRIES = FLOWS["crmoffice-companies-to-membercare-countries"]
T0 = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)

ORG = {
    "OrganisationId": 1001,
    "OrganisationName": "Fjord Bygg AS",
    "OrganisationAddress": "Storgata 1",
    "OrganisationPostCode": "0155",
    "OrganisationCity": "Oslo",
    "OrganisationCountry": "Norway",
    "OrganisationTelephone": "+47 22 00 00 00",
    "OrganisationFax": None,
    "OrganisationWww": "fjordbygg.no",
    "OrganisationVatNumber": "NO912345678MVA",
}
CUSTOMER = {
    "Id": "C-1",
    "Name": "Fjord Bygg AS",
    "StreetAddress1": "Storgata 1",
    "ZipCode": "0155",
    "City": "Oslo",
    "Country": "Norway",
    "Phone": "+47 22 00 00 00",
    "Fax": "",
    "Website": "fjordbygg.no",
    "VatNumber": "NO912345678MVA",
}


def event(
    system: str,
    entity: str,
    record_id: str,
    data: dict[str, Any] | None,
    op: Operation = Operation.UPSERT,
) -> ChangeEvent:
    return ChangeEvent(
        system=system,
        entity=entity,
        id=record_id,
        op=op,
        data=None if op is Operation.DELETE else data,
        modified_at=T0,
    )


def listing(
    system: str,
    entity: str,
    records: Mapping[str, dict[str, Any]],
    *,
    deleted: Iterable[str] = (),
    invalid: Mapping[str, str] | None = None,
) -> Listing:
    events = {rid: event(system, entity, rid, data) for rid, data in records.items()}
    for rid in deleted:
        events[rid] = event(system, entity, rid, None, Operation.DELETE)
    return Listing(events=events, invalid=dict(invalid or {}))


def orgs(**changes: Any) -> Listing:
    return listing("webcrm", "Organisations", {"1001": {**ORG, **changes}})


def customers(**changes: Any) -> Listing:
    return listing("customcrm", "Customer", {"C-1": {**CUSTOMER, **changes}})


NO_REFS = make_resolver({})


def test_equal_link_has_no_findings_and_counts_both_sides():
    check = check_flow(ORGS, [("1001", "C-1")], orgs(), customers(), NO_REFS)
    assert check.findings == []
    assert (check.links, check.sources, check.targets) == (1, 1, 1)


def test_empty_and_missing_text_are_the_same_value():
    # The engine coerces None and "" to "" for strings: no difference.
    check = check_flow(
        ORGS,
        [("1001", "C-1")],
        orgs(OrganisationFax=None),
        customers(Fax=None),
        NO_REFS,
    )
    assert check.findings == []


def test_one_edited_property_is_one_difference_with_both_values():
    check = check_flow(
        ORGS, [("1001", "C-1")], orgs(), customers(City="Hammerfest"), NO_REFS
    )
    [finding] = check.findings
    assert finding.kind is Kind.DIFFERENCE
    assert (finding.flow, finding.source_id, finding.target_id) == (
        ORGS.name,
        "1001",
        "C-1",
    )
    assert finding.property == "OrganisationCity->City"
    assert (finding.source_value, finding.target_value) == ("Oslo", "Hammerfest")


def test_numbers_compare_after_coercion_to_the_target_type():
    source = listing(
        "webcrm",
        "Products",
        {"9001": {"ProductCombined": "Ruter Pro", "ProductComment": "",
                  "ProductPrice": "1 299,50", "ProductVatCode": "25"}},
    )  # fmt: skip
    target = listing(
        "customcrm",
        "Product",
        {"P-1": {"Name": "Ruter Pro", "Description": None, "Price": 1299.5,
                 "VatRate": 25}},
    )  # fmt: skip
    assert (
        check_flow(PRODUCTS, [("9001", "P-1")], source, target, NO_REFS).findings == []
    )
    target.events["P-1"].data["Price"] = 1299.51  # type: ignore[index]
    [finding] = check_flow(
        PRODUCTS, [("9001", "P-1")], source, target, NO_REFS
    ).findings
    assert finding.property == "ProductPrice->Price"
    assert (finding.source_value, finding.target_value) == (1299.5, 1299.51)


def test_a_value_that_cannot_be_coerced_is_invalid_and_named():
    source = listing(
        "webcrm",
        "Products",
        {"9001": {"ProductCombined": "Ruter", "ProductPrice": "lots"}},
    )
    target = listing("customcrm", "Product", {"P-1": {"Name": "Ruter", "Price": 1}})
    findings = check_flow(PRODUCTS, [("9001", "P-1")], source, target, NO_REFS).findings
    invalid = [f for f in findings if f.kind is Kind.INVALID]
    assert [f.property for f in invalid] == ["ProductPrice->Price"]
    assert "lots" in invalid[0].detail
    # The other rows are still compared.
    assert {f.property for f in findings if f.kind is Kind.DIFFERENCE} == set()


PERSON = {"PersonId": 5001, "PersonOrganisationId": 1001, "PersonLastName": "Berg"}
CONTACT = {"Id": "K-1", "LastName": "Berg", "CustomerId": "C-1"}


def persons_check(
    contact: dict[str, Any], org_links: list[tuple[str, str]]
) -> FlowCheck:
    resolve = make_resolver({ORGS.name: org_links})
    source = listing("webcrm", "Persons", {"5001": PERSON})
    target = listing("customcrm", "Contact", {"K-1": contact})
    return check_flow(PERSONS, [("5001", "K-1")], source, target, resolve)


def test_references_compare_through_the_links_of_the_referenced_flow():
    assert persons_check(CONTACT, [("1001", "C-1")]).findings == []
    [finding] = persons_check(
        {**CONTACT, "CustomerId": "C-9"}, [("1001", "C-1")]
    ).findings
    assert finding.property == "PersonOrganisationId->CustomerId"
    assert (finding.source_value, finding.target_value) == ("C-1", "C-9")


def test_a_reference_without_a_link_is_a_difference_that_says_so():
    [finding] = persons_check(CONTACT, []).findings
    assert finding.kind is Kind.DIFFERENCE
    assert finding.source_value is None
    assert finding.target_value == "C-1"
    assert "PersonOrganisationId=1001" in finding.detail
    assert ORGS.name in finding.detail


@pytest.mark.parametrize(
    ("source", "target", "kind"),
    [
        (Listing(), customers(), Kind.SOURCE_MISSING),
        (listing("webcrm", "Organisations", {}, deleted=["1001"]), customers(),
         Kind.SOURCE_DELETED),
        (orgs(), Listing(), Kind.TARGET_MISSING),
        (orgs(), listing("customcrm", "Customer", {}, deleted=["C-1"]),
         Kind.TARGET_DELETED),
        (Listing(invalid={"1001": "OrganisationId: bad"}), customers(), Kind.INVALID),
    ],
)  # fmt: skip
def test_a_link_whose_side_vanished_is_reported_once(source, target, kind):
    [finding] = check_flow(ORGS, [("1001", "C-1")], source, target, NO_REFS).findings
    assert finding.kind is kind
    assert (finding.source_id, finding.target_id) == ("1001", "C-1")


def test_both_sides_vanished_are_two_findings():
    findings = check_flow(
        ORGS, [("1001", "C-1")], Listing(), Listing(), NO_REFS
    ).findings
    assert [f.kind for f in findings] == [Kind.SOURCE_MISSING, Kind.TARGET_MISSING]


def test_unlinked_sources_say_why_from_the_latest_report():
    source = listing(
        "webcrm",
        "Organisations",
        {str(i): {**ORG, "OrganisationId": i} for i in (1001, 1002, 1003, 1004, 1005)},
        deleted=["1006"],
        invalid={"1007": "webcrm Organisations 1007: OrganisationName: bad"},
    )
    reports = {
        "1002": FlowReport(flow=ORGS.name, kind="ambiguous-match", source_id="1002",
                           detail="2 Customer candidates", candidates=["C-2", "C-3"]),
        "1003": FlowReport(flow=ORGS.name, kind="unmatched", source_id="1003",
                           detail="no Customer matches"),
        "1004": FlowReport(flow=ORGS.name, kind="unlinked", source_id="1004",
                           detail="target entity deleted"),
    }  # fmt: skip
    check = check_flow(ORGS, [("1001", "C-1")], source, customers(), NO_REFS, reports)
    found = {(f.source_id, f.kind) for f in check.findings}
    assert found == {
        ("1002", Kind.AMBIGUOUS),
        ("1003", Kind.UNMATCHED),
        ("1004", Kind.LINK_REMOVED),
        ("1005", Kind.NO_LINK),
        ("1007", Kind.INVALID),
    }
    [ambiguous] = [f for f in check.findings if f.kind is Kind.AMBIGUOUS]
    assert ambiguous.candidates == ("C-2", "C-3")
    assert check.sources == 5  # the deleted one is not counted


def test_a_report_about_a_source_that_is_linked_now_is_not_a_finding():
    reports = {
        "1001": FlowReport(
            flow=ORGS.name, kind="ambiguous-match", source_id="1001", detail="x"
        )
    }
    check = check_flow(ORGS, [("1001", "C-1")], orgs(), customers(), NO_REFS, reports)
    assert check.findings == []


def company(post: str, visit: str) -> dict[str, Any]:
    return {
        "id": "7",
        "postAddress": {"country": post},
        "visitAddress": {"country": visit},
    }


def test_value_keyed_links_match_when_any_row_names_the_target():
    source = listing("crmoffice", "Companies", {"7": company("Norway", "Sweden")})
    target = listing(
        "membercare",
        "Countries",
        {"NO": {"name": "Norway"}, "SE": {"name": "sweden"}, "DK": {"name": "Denmark"}},
    )
    pairs = [("7", "NO"), ("7", "SE")]
    assert check_flow(COUNTRIES, pairs, source, target, NO_REFS).findings == []
    findings = check_flow(COUNTRIES, [("7", "DK")], source, target, NO_REFS).findings
    assert {f.property for f in findings} == {
        "postAddress.country->name",
        "visitAddress.country->name",
    }
    assert {f.target_value for f in findings} == {"Denmark"}


def test_links_are_the_link_tables_rows_never_the_notices():
    at = "2024-03-01T10:00:00Z"
    rows = {
        '"1001"': {"flow": ORGS.name, "source_id": "1001", "target_id": "C-1",
                   "linked_at": at},
        '"1003"': {"flow": "another-flow", "source_id": "1003", "target_id": "C-3",
                   "linked_at": at},
        '"1004"': {"not": "a link"},
        '"1005"': {"flow": ORGS.name, "source_id": "1005", "target_id": "C-5",
                   "linked_at": at, "target_deleted_at": at},  # a tombstone
    }  # fmt: skip
    assert links_from_table(ORGS.name, rows) == [("1001", "C-1")]


def test_a_value_keyed_source_links_to_each_distinct_target():
    flow = "crmoffice-companies-to-membercare-countries"
    rows = {
        "7": {"flow": flow, "source_id": "7", "target_id": "1,2",
              "value_targets": {"norge": "1", "no": "1", "sverige": "2"},
              "linked_at": "2024-03-01T10:00:00Z"},
    }  # fmt: skip
    assert links_from_table(flow, rows) == [("7", "1"), ("7", "2")]


def test_reports_are_grouped_by_flow_and_source_id():
    latest = {
        f"{ORGS.name}/1002": {"flow": ORGS.name, "kind": "unmatched",
                             "source_id": "1002", "detail": "none",
                             "reported_at": "2024-03-01T10:00:00Z"},
        "junk": {"flow": 1},
    }  # fmt: skip
    grouped = reports_by_flow(latest)
    assert list(grouped) == [ORGS.name]
    assert grouped[ORGS.name]["1002"].kind == "unmatched"
