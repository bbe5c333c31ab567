"""Every kind of bad input tether must dead-letter, once, with how to inject it.

Each ``BadInput`` names the system and type it arrives in, how a stand-in is
made to serve it, and the dead letter it must produce: its record id (so its
key, ``system/type/id``) and a fragment of its reason. ``stage`` says where it
is caught: ``source`` (the connector refuses the record), ``page`` (the listing
answered 2xx with an unusable body; the poll keeps its cursor and asks again),
or ``flow`` (the record is fine at the source, but cannot be mapped, points at
nothing, or the target refuses the write).

The kinds arrive in the Webcrm -> Customcrm deployment of the chaos scenario:
Webcrm as the source of three flows, Customcrm as their target (which tether
polls too, for changes made there). ``DEPLOYED`` is what the integration test
injects all at once, beside good records; a kind that cannot share that
deployment without colliding with another one's key is checked at connector
level only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from standins import StandIn
from standins._corrupt import INVALID_UTF8_MARK

OLD = "2022-06-01T12:00:00.0000000+01:00"
"""Older than every sample record: once the cursor moved past it, a fix keeping
this time is not read again by itself, only a re-drive brings it in."""
CUSTOM_OLD = "2022-06-01T11:00:00.000Z"

Inject = Callable[[StandIn], object]


@dataclass(frozen=True)
class BadInput:
    """One kind of bad input and the dead letter it must become."""

    name: str
    system: str
    entity: str
    record_id: str
    reason: str
    inject: Inject
    stage: str = "source"
    deployed: bool = True

    @property
    def key(self) -> str:
        """The dead letter's key on the topic."""
        return f"{self.system}/{self.entity}/{self.record_id}"


def raw(resource: str, record: Any) -> Inject:
    """Store ``record`` as-is: whatever the API would serve from a broken row."""
    return lambda standin: standin.inject_raw(resource, record)


def seeded(resource: str, record: dict[str, Any]) -> Inject:
    """A record the system itself accepts (a flow-stage problem)."""
    return lambda standin: standin.seed(resource, [record])


def corrupted(kind: str, path: str, n: int = 3) -> Inject:
    """The next ``n`` matching listings answer 200 with a broken body.

    More than one, so the test also proves one letter per page, not per poll.
    """
    return lambda standin: standin.corrupt_next(n, kind, path=path)


def twins(resource: str, record: dict[str, Any], other: dict[str, Any]) -> Inject:
    """The same id twice, same modification time, different content.

    Stored under the id as number and as text, which the stand-in keeps apart
    and the feed lists side by side.
    """

    def inject(standin: StandIn) -> None:
        standin.inject_raw(resource, record)
        id_field = next(k for k in record if k.endswith("Id"))
        standin.store.put_raw(resource, str(record[id_field]), other)

    return inject


def with_invalid_utf8(resource: str, record: dict[str, Any]) -> Inject:
    """A record whose text the API serves as bytes that are not UTF-8."""

    def inject(standin: StandIn) -> None:
        standin.inject_raw(resource, record)
        standin.corrupt_next(1_000_000, "invalid_utf8")

    return inject


def org(record_id: Any, **fields: Any) -> dict[str, Any]:
    """A Webcrm organisation row, valid unless ``fields`` break it."""
    return {
        "OrganisationId": record_id,
        "OrganisationName": f"Korpus {record_id} AS",
        "OrganisationUpdatedAt": OLD,
    } | fields


def person(record_id: int, **fields: Any) -> dict[str, Any]:
    """A Webcrm person row of the first sample organisation."""
    return {
        "PersonId": record_id,
        "PersonOrganisationId": 1001,
        "PersonFirstName": "Korpus",
        "PersonLastName": f"Person {record_id}",
        "PersonEmail": f"korpus.{record_id}@example.no",
        "PersonStatus": "Active",
        "PersonUpdatedAt": OLD,
    } | fields


def product(record_id: int, **fields: Any) -> dict[str, Any]:
    """A Webcrm product row."""
    return {
        "ProductId": record_id,
        "ProductCombined": f"Korpusprodukt {record_id}",
        "ProductPrice": 100.0,
        "ProductVatCode": "25",
        "ProductUpdatedAt": OLD,
    } | fields


def custom(record_id: str, **fields: Any) -> dict[str, Any]:
    """A Customcrm record (any resource)."""
    return {"Id": record_id, "Name": f"Korpus {record_id}"} | {
        "UpdatedAt": CUSTOM_OLD,
        "Deleted": False,
        **fields,
    }


def _nested(depth: int) -> Any:
    value: Any = "bunn"
    for _ in range(depth):
        value = {"CodeISO": value}
    return value


W, C = "webcrm", "customcrm"
ORGS, PERSONS, PRODUCTS = "Organisations", "Persons", "Products"
FEED = "/Queries?script=SELECT * FROM "

CORPUS: tuple[BadInput, ...] = (
    # -- wrong types ------------------------------------------------------------
    BadInput("string_for_number", W, ORGS, "abc", "OrganisationId: Input should be"
             " a valid integer", raw(ORGS, org("abc"))),
    BadInput("object_for_string", W, ORGS, "7101", "OrganisationName: Input should"
             " be a valid string", raw(ORGS, org(7101, OrganisationName={"a": 1}))),
    BadInput("list_for_string", W, ORGS, "7102", "OrganisationCity: Input should be"
             " a valid string", raw(ORGS, org(7102, OrganisationCity=["Oslo", "Bod"]))),
    BadInput("bool_for_number", W, PRODUCTS, "7303", "ProductQuantity: Value error,"
             " a boolean where a number",
             raw(PRODUCTS, product(7303, ProductQuantity=True))),
    BadInput("flag_not_boolean", C, "Customer", "C-BAD-1", "Deleted: Input should be"
             " a valid boolean", raw("customers", custom("C-BAD-1", Deleted="maybe"))),
    BadInput("deeply_nested", W, ORGS, "7110", "OrganisationCountryData.CodeISO:"
             " Input should be a valid string",
             raw(ORGS, org(7110, OrganisationCountryData=_nested(120)))),
    BadInput("non_object_record", W, PERSONS, "<missing>", "expected a JSON object,"
             " got null", raw(PERSONS, None)),
    # -- ids ----------------------------------------------------------------------
    BadInput("missing_id", W, ORGS, "<missing>", "OrganisationId: Field required",
             raw(ORGS, {"OrganisationName": "Uten Id AS",
                        "OrganisationUpdatedAt": OLD})),
    BadInput("empty_id", C, "Customer", "<missing>", "Id: String should have at"
             " least 1 character", raw("customers", custom(""))),
    BadInput("negative_id", W, ORGS, "-7", "OrganisationId: Input should be greater"
             " than 0", raw(ORGS, org(-7))),
    BadInput("zero_id", W, ORGS, "0", "OrganisationId: Input should be greater than"
             " 0", raw(ORGS, org(0))),
    BadInput("duplicate_id", W, ORGS, "7111", "listed twice in one page",
             twins(ORGS, org(7111, OrganisationName="Tvilling A AS"),
                   org("7111", OrganisationName="Tvilling B AS"))),
    # -- missing, out of range, closed sets ------------------------------------
    BadInput("null_where_required", W, ORGS, "7103", "OrganisationUpdatedAt: Input"
             " should be a valid datetime",
             raw(ORGS, org(7103, OrganisationUpdatedAt=None))),
    BadInput("unknown_enum", W, PERSONS, "7201", "PersonStatus: Input should be"
             " 'Active'", raw(PERSONS, person(7201, PersonStatus="Deceased"))),
    BadInput("unknown_currency", C, "Product", "PR-BAD-1", "Currency: String should"
             " match pattern", raw("products", custom("PR-BAD-1", Currency="Kroner"))),
    BadInput("out_of_range", C, "Product", "PR-BAD-2", "VatRate: Input should be less"
             " than or equal to 100", raw("products", custom("PR-BAD-2", VatRate=250))),
    BadInput("nan", W, PRODUCTS, "7301", "ProductPrice: Input should be a finite"
             " number", raw(PRODUCTS, product(7301, ProductPrice="NaN"))),
    BadInput("infinity", W, PRODUCTS, "7302", "ProductCostPrice: Input should be a"
             " finite number",
             raw(PRODUCTS, product(7302, ProductCostPrice="Infinity"))),
    # -- text ---------------------------------------------------------------------
    BadInput("huge_string", W, ORGS, "7104", "OrganisationComment: Value error,"
             " 1048576 characters, more than the limit of 32768",
             raw(ORGS, org(7104, OrganisationComment="x" * 2**20))),
    BadInput("control_characters", W, ORGS, "7108", "OrganisationName: Value error,"
             " control character U+0000",
             raw(ORGS, org(7108, OrganisationName="Nul\x00AS"))),
    BadInput("invalid_utf8", W, ORGS, "7109", "OrganisationName: Value error,"
             " invalid UTF-8", with_invalid_utf8(
                 ORGS, org(7109, OrganisationName=f"Ugyldig {INVALID_UTF8_MARK} AS"))),
    # -- time ---------------------------------------------------------------------
    BadInput("timestamp_without_zone", W, ORGS, "7105", "OrganisationUpdatedAt:"
             " Input should have timezone info",
             raw(ORGS, org(7105, OrganisationUpdatedAt="2022-06-01T12:00:00"))),
    BadInput("unparseable_timestamp", W, ORGS, "7106", "OrganisationUpdatedAt: Input"
             " should be a valid datetime",
             raw(ORGS, org(7106, OrganisationUpdatedAt="forrige tirsdag"))),
    BadInput("impossible_date", C, "Contact", "P-BAD-1", "UpdatedAt: Input should be"
             " a valid datetime", raw("contacts", custom(
                 "P-BAD-1", LastName="Skuddår", UpdatedAt="2023-02-29T10:00:00Z"))),
    BadInput("far_future", W, ORGS, "7107", "is more than 1 day(s) in the future",
             raw(ORGS, org(7107, OrganisationUpdatedAt="9999-12-31T23:59:59+00:00"))),
    # -- references, mapping and the target (caught in the flow) --------------
    BadInput("unresolved_reference", W, PERSONS, "7202", "424242",
             seeded(PERSONS, person(7202, PersonOrganisationId=424242)), stage="flow"),
    BadInput("reference_to_wrong_kind", W, PERSONS, "7203", "5001",
             seeded(PERSONS, person(7203, PersonOrganisationId=5001)), stage="flow"),
    BadInput("unconvertible_value", W, PRODUCTS, "7305", "ProductVatCode",
             seeded(PRODUCTS, product(7305, ProductVatCode="høy")), stage="flow"),
    BadInput("target_refuses", W, PERSONS, "7204", "422",
             seeded(PERSONS, person(7204, PersonLastName="")), stage="flow"),
    # -- whole pages (answered 200, unusable) -------------------------------------
    BadInput("html_with_200", W, PERSONS, "page@start", "an HTML page instead of"
             " JSON", corrupted("html200", FEED + "Person "), stage="page"),
    BadInput("truncated_json", W, PRODUCTS, "page@start", "truncated JSON",
             corrupted("truncated", FEED + "Product "), stage="page"),
    BadInput("empty_body", W, ORGS, "page@start", "got an empty body",
             corrupted("empty", FEED + "Organisation "), stage="page"),
    BadInput("wrong_shape", C, "Customer", "page@start", "got a JSON list",
             corrupted("wrong_shape", "/customers?page="), stage="page"),
    BadInput("null_items", C, "Contact", "page@start", "got an object with data,"
             " next_page", corrupted("null_items", "/contacts?page="), stage="page"),
    BadInput("xml_not_json", C, "Product", "page@start", "XML or markup instead of"
             " JSON", corrupted("xml", "/products?page="), stage="page"),
    # Customcrm's three types already carry a page kind in the deployment.
    BadInput("missing_paging_fields", C, "Customer", "page@start", "got an object"
             " with data", corrupted("missing_paging", "/customers?page="),
             stage="page", deployed=False),
)  # fmt: skip

DEPLOYED = tuple(kind for kind in CORPUS if kind.deployed)
