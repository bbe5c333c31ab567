"""Membercare record shapes (systems.md 5.2, 9.4): local times, links, validation."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request

from standins.store import Record

# Membercare renders times without an offset, in the tenant's local time.
MEMBERCARE_TZ = ZoneInfo("Europe/Oslo")

PATHS: dict[str, str] = {
    "Companies": "companies",
    "Persons": "persons",
    "Organizations": "organizations",
    "Invoices": "invoices",
    "Products": "products",
    "Countries": "addresses/countries",
}
"""Resource -> path under ``/api/v1``."""

KEY_FIELD: dict[str, str] = {
    "Companies": "debtorAccountNumber",
    "Persons": "debtorAccountNumber",
    "Organizations": "identificationNumber",
    "Invoices": "id",
    "Products": "id",
    "Countries": "iso2Letter",
}
"""Resource -> the field its single-record path is keyed by."""

DEBTORS = ("Companies", "Persons")


@dataclass(frozen=True)
class NewRecord:
    """How the server completes a created record: its fields, their first values."""

    key_field: str
    counter: str  # the store counter numbering the internal ``id``
    first: int
    fields: str  # every field, in the API's order
    values: Record = field(default_factory=dict)  # those that do not start null

    def new(self, key: Any, number: int) -> Record:
        """The new record keyed ``key`` whose internal ``id`` is ``number``."""
        record = dict.fromkeys(self.fields.split()) | copy.deepcopy(self.values)
        return record | {"id": number, self.key_field: key}


NEW_RECORDS: dict[str, NewRecord] = {
    "Companies": NewRecord(
        "debtorAccountNumber",
        "company-ids",
        5001,
        "id debtorAccountNumber name companyName companyName2 category"
        " businessNumbers addresses contacts invoiceAddresses memberType financeType"
        " closeDate closeReason einvoiceEan einvoiceEmail defaultAddressType"
        " externalId publicEstablishment lastChange",
        {
            "businessNumbers": dict.fromkeys(("cvr", "se", "vat", "rut", "p")),
            "addresses": [],
            "contacts": [],
            "invoiceAddresses": [],
            "memberType": 2,
            "financeType": 0,
            "defaultAddressType": 1,
            "publicEstablishment": False,
        },
    ),
    "Persons": NewRecord(
        "debtorAccountNumber",
        "person-ids",
        7001,
        "id debtorAccountNumber firstname lastname name gender birthDate honorific"
        " socialSecurityNumber addresses contacts allowSms allowEmail memberType"
        " externalId financeType lastChange",
        {
            "gender": 0,
            "socialSecurityNumber": {"number": None, "iso2Letter": "NO"},
            "addresses": [],
            "contacts": [],
            "allowSms": False,
            "allowEmail": False,
            "memberType": 1,
            "financeType": 0,
        },
    ),
    "Organizations": NewRecord(
        "identificationNumber",
        "organization-ids",
        1,
        "id identificationNumber name name2 fullName membershipAllowed"
        " boardMemberAllowed webEnabled companyLink organizationCategory addresses"
        " contacts startDate endDate",
        {
            "membershipAllowed": True,
            "boardMemberAllowed": True,
            "webEnabled": True,
            "addresses": [],
            "contacts": [],
        },
    ),
}
"""What the server fills in on a created company, person or organization."""

COMPANY_CREATE_FORBIDDEN = (
    "debtorAccountNumber",
    "name",
    "nameHistory",
    "businessNumbers",
    "addresses",
    "invoiceAddresses",
    "readdressings",
    "contacts",
)
"""What ``POST /companies?useAutomaticDebtorAccountNumber=true`` refuses (400)."""

_S, _I, _B, _T, _O = "string", "integer", "boolean", "date-time", "object"
COMPANY_FIELDS: dict[str, str] = {
    "companyName": _S,
    "companyName2": _S,
    "category": _O,
    "memberType": _I,
    "financeType": _I,
    "closeDate": _T,
    "closeReason": _S,
    "einvoiceEan": _S,
    "einvoiceEmail": _S,
    "defaultAddressType": _I,
    "externalId": _S,
    "publicEstablishment": _B,
}
COMPANY_PUT_FIELDS: dict[str, str] = {
    **{k: v for k, v in COMPANY_FIELDS.items() if k != "memberType"},
    "defaultPayerRule": _I,
    "defaultAgreement": _O,
}
PERSON_FIELDS: dict[str, str] = {
    "debtorAccountNumber": _S,
    "firstname": _S,
    "lastname": _S,
    "gender": _I,
    "birthDate": _T,
    "honorific": _S,
    "socialSecurityNumber": _O,
    "allowSms": _B,
    "allowEmail": _B,
    "memberType": _I,
    "financeType": _I,
    "externalId": _S,
}
PERSON_PATCH_FIELDS: dict[str, str] = {
    # PersonPatch field -> the Person (read model) field it sets.
    "firstName": "firstname",
    "lastName": "lastname",
    "birthDate": "birthDate",
    "gender": "gender",
    "honorific": "honorific",
    "externalId": "externalId",
}
_PATCH_KINDS = {"firstName": _S, "lastName": _S, "birthDate": _T, "gender": _I}
ORGANIZATION_FIELDS: dict[str, str] = {
    "identificationNumber": _S,
    "name": _S,
    "name2": _S,
    "membershipAllowed": _B,
    "boardMemberAllowed": _B,
    "webEnabled": _B,
    "organizationCategory": _O,
    "startDate": _T,
    "endDate": _T,
}
ORGANIZATION_PATCH_FIELDS = (
    "name",
    "name2",
    "membershipAllowed",
    "boardMemberAllowed",
    "webEnabled",
    "organizationCategory",
)
FINANCE_STATUSES = range(-1, 4)


def local_text(moment: datetime) -> str:
    """A time as Membercare writes it: local, no offset, ms trimmed like .NET."""
    local = moment.astimezone(MEMBERCARE_TZ).replace(tzinfo=None)
    text = local.isoformat(timespec="milliseconds")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _fits(kind: str, value: Any) -> bool:
    if value is None:
        return True
    if kind == _S:
        return isinstance(value, str)
    if kind == _I:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == _B:
        return isinstance(value, bool)
    if kind == _T:
        if not isinstance(value, str):
            return False
        try:
            datetime.fromisoformat(value)
        except ValueError:
            return False
        return True
    return isinstance(value, dict)


def check(
    body: Any, kinds: dict[str, str], *, strict: bool, what: str
) -> tuple[Record, dict[str, list[str]]]:
    """Known fields of ``body`` with their types checked; unknown ones ignored.

    ``strict`` (PATCH bodies) refuses unknown fields too: a partial update that
    silently drops a misspelt field is the bug a stand-in should surface.
    Returns the clean fields and ProblemDetails-style errors per field.
    """
    if not isinstance(body, dict):
        return {}, {"": [f"Expected a JSON object ({what})."]}
    clean: Record = {}
    errors: dict[str, list[str]] = {}
    for name, value in body.items():
        kind = kinds.get(name)
        if kind is None:
            if strict:
                errors[name] = [f"'{name}' is not a field of {what}."]
            continue
        if not _fits(kind, value):
            errors[name] = [f"The value is not a valid {kind}."]
        else:
            clean[name] = value
    return clean, errors


def patch_kinds() -> dict[str, str]:
    """The PersonPatch fields and their types."""
    return {name: _PATCH_KINDS.get(name, _S) for name in PERSON_PATCH_FIELDS}


def company_name(record: Record) -> str | None:
    """A company debtor's ``name``: its company name."""
    name = record.get("companyName")
    return name if isinstance(name, str) else None


def person_name(record: Record) -> str:
    """A person debtor's ``name``: first and last name."""
    parts = (record.get("firstname"), record.get("lastname"))
    return " ".join(p for p in parts if isinstance(p, str) and p)


def full_name(record: Record) -> str:
    """An organization's ``fullName``."""
    parts = (record.get("name"), record.get("name2"))
    return " ".join(p for p in parts if isinstance(p, str) and p)


def api_root(request: Request) -> str:
    """``http://127.0.0.1:<port>/api/v1``: links point at the stand-in itself."""
    return f"{str(request.base_url).rstrip('/')}/api/v1"


def render(resource: str, record: Any, root: str) -> Any:
    """A stored record as the API sends it: absolute self and related links.

    Links are stored relative to ``/api/v1`` (``companies/1001``) because the
    stand-in's port is not known when sample data is seeded.
    """
    if not isinstance(record, dict):
        return record
    out = dict(record)
    key = record.get(KEY_FIELD[resource])
    if key is not None:
        out["url"] = f"{root}/{PATHS[resource]}/{key}"
        if resource in DEBTORS:
            out["invoicesLink"] = f"{out['url']}/invoices"
    if isinstance(out.get("companyLink"), str):
        out["companyLink"] = _absolute(out["companyLink"], root)
    for name in ("payer", "sendInvoiceTo"):
        ref = out.get(name)
        if isinstance(ref, dict) and isinstance(ref.get("url"), str):
            out[name] = ref | {"url": _absolute(ref["url"], root)}
    return out


def _absolute(link: str, root: str) -> str:
    return link if "://" in link else f"{root}/{link}"
