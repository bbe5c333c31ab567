"""What Membercare lets a client write, and addresses by value."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from schemas.countries import country_code

COMPANY_PUT_FIELDS = [
    "companyName",
    "companyName2",
    "category",
    "financeType",
    "defaultPayerRule",
    "defaultAgreement",
    "publicEstablishment",
    "closeDate",
    "einvoiceEan",
    "einvoiceEmail",
    "closeReason",
    "defaultAddressType",
    "externalId",
]
COMPANY_CREATE_FIELDS = [*COMPANY_PUT_FIELDS, "memberType"]
PERSON_FIELDS = [
    "firstname",
    "lastname",
    "gender",
    "birthDate",
    "honorific",
    "socialSecurityNumber",
    "allowSms",
    "allowEmail",
    "memberType",
    "financeType",
    "externalId",
]
PERSON_PATCH_NAMES = {
    "firstname": "firstName",
    "lastname": "lastName",
    "birthDate": "birthDate",
    "gender": "gender",
    "honorific": "honorific",
    "externalId": "externalId",
}
ORGANIZATION_CREATE_FIELDS = [
    "identificationNumber",
    "name",
    "name2",
    "membershipAllowed",
    "boardMemberAllowed",
    "webEnabled",
    "organizationCategory",
    "startDate",
    "endDate",
]
ORGANIZATION_PATCH_FIELDS = ORGANIZATION_CREATE_FIELDS[1:7]
ADDRESS_FIELDS = [
    "attention",
    "careOf",
    "street",
    "number",
    "letter",
    "floor",
    "suite",
    "location",
    "postOfficeBox",
    "addressType",
]


def indexed(value: Any) -> dict[int, dict[str, Any]]:
    """Address changes as index -> partial address, from a list or ``{"0": ...}``."""
    if isinstance(value, list):
        return {i: v for i, v in enumerate(value) if isinstance(v, dict)}
    if isinstance(value, Mapping):
        return {
            int(k): dict(v)
            for k, v in value.items()
            if str(k).isdigit() and isinstance(v, Mapping)
        }
    return {}


def merged_address(current: Any, partial: Mapping[str, Any]) -> dict[str, Any]:
    """A postable address: the current one with ``partial``'s fields over it.

    Postal code and country are sent by value (zip/city, ISO code or name) and
    resolved by the server; their ids would be stale after a change.
    """
    old = current if isinstance(current, Mapping) else {}
    out = {name: partial.get(name, old.get(name)) for name in ADDRESS_FIELDS}
    out["addressType"] = out.get("addressType") or 1
    postal = {**(old.get("postalCode") or {}), **(partial.get("postalCode") or {})}
    out["postalCode"] = {"zipCode": postal.get("zipCode"), "city": postal.get("city")}
    country = partial.get("country") or old.get("country") or {}
    code = country.get("iso2Letter") or country_code(country.get("name"))
    out["country"] = {"iso2Letter": code} if code else {"name": country.get("name")}
    return out
