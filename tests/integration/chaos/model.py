"""What the systems must hold in the end: every user edit, and which one must win.

Each edit is recorded with the modification time the system gave it. The
expected final value of a property is the last edit by those times; the storm
is shaped so that this is also what DESIGN.md's rules decide (see ``storm``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from standins.store import parse_iso
from tests.integration.scenario import ORGS, PERSONS, PRODUCTS


@dataclass(frozen=True)
class Kind:
    """One synced entity type: both sides' resources, fields and natural key."""

    flow: str
    webcrm: str  # resource in the Webcrm stand-in
    customcrm: str  # resource in the Customcrm stand-in
    webcrm_id: str
    webcrm_key: str  # natural key field in Webcrm
    customcrm_key: str  # and in Customcrm
    webcrm_time: str
    customcrm_entity: str  # the connector's type name, as dead letters say it


ORG = Kind(
    ORGS,
    "Organisations",
    "customers",
    "OrganisationId",
    "OrganisationVatNumber",
    "VatNumber",
    "OrganisationUpdatedAt",
    "Customer",
)
PERSON = Kind(
    PERSONS,
    "Persons",
    "contacts",
    "PersonId",
    "PersonEmail",
    "Email",
    "PersonUpdatedAt",
    "Contact",
)
PRODUCT = Kind(
    PRODUCTS,
    "Products",
    "products",
    "ProductId",
    "ProductCombined",
    "Name",
    "ProductUpdatedAt",
    "Product",
)
KINDS = (ORG, PERSON, PRODUCT)


@dataclass(frozen=True)
class Prop:
    """A property the storm edits: its field on each side and how values look."""

    kind: Kind
    webcrm: str
    customcrm: str
    style: str  # "text", "phone", "price" or "org" (a reference to an org)


PROPS: tuple[Prop, ...] = (
    Prop(ORG, "OrganisationName", "Name", "text"),
    Prop(ORG, "OrganisationCity", "City", "text"),
    Prop(ORG, "OrganisationAddress", "StreetAddress1", "text"),
    Prop(ORG, "OrganisationPostCode", "ZipCode", "phone"),
    Prop(ORG, "OrganisationTelephone", "Phone", "phone"),
    Prop(PERSON, "PersonFirstName", "FirstName", "text"),
    Prop(PERSON, "PersonLastName", "LastName", "text"),
    Prop(PERSON, "PersonTitle", "Title", "text"),
    Prop(PERSON, "PersonMobilePhone", "Mobile", "phone"),
    Prop(PERSON, "PersonOrganisationId", "CustomerId", "org"),
    Prop(PRODUCT, "ProductComment", "Description", "text"),
    Prop(PRODUCT, "ProductPrice", "Price", "price"),
)


@dataclass(frozen=True)
class Edit:
    """One user edit: where, what (in Webcrm's terms), and the system's time."""

    side: str  # "webcrm" or "customcrm"
    kind: Kind
    webcrm_id: int
    prop: Prop
    value: Any  # Webcrm terms: an org reference is the Webcrm org id
    at: datetime
    conflict: bool = False


@dataclass
class Expected:
    """Every edit so far, the bad inputs that must end up as dead letters, and
    the records that must never go away.

    ``sources`` is fixed when the run seeds Webcrm (id -> normalised natural
    key of each good record), so a source that disappears is noticed instead
    of silently leaving the checks' view. ``targets`` grows as the checks see
    a source's one Customcrm counterpart: nothing in a run deletes, so each of
    them must stay (and stay undeleted) to the end.
    """

    edits: list[Edit] = field(default_factory=list)
    bad_inputs: set[str] = field(default_factory=set)  # dead-letter keys
    sources: dict[Kind, dict[int, str]] = field(default_factory=dict)
    targets: dict[Kind, set[str]] = field(default_factory=dict)

    def record(self, edit: Edit) -> None:
        self.edits.append(edit)

    def winners(self) -> dict[tuple[str, int, str], Edit]:
        """(kind flow, Webcrm id, Webcrm field) -> the edit that must win."""
        out: dict[tuple[str, int, str], Edit] = {}
        for edit in self.edits:
            where = (edit.kind.flow, edit.webcrm_id, edit.prop.webcrm)
            if where not in out or edit.at > out[where].at:
                out[where] = edit
        return out

    @property
    def conflicts(self) -> int:
        return sum(1 for e in self.edits if e.conflict) // 2


def system_time(record: dict[str, Any], field_name: str) -> datetime:
    """A record's modification time as the system stamped it."""
    when = parse_iso(record.get(field_name))
    if when is None:
        msg = f"record has no readable {field_name}: {record!r}"
        raise AssertionError(msg)
    return when
