"""Webcrm DTO field tables (systems.md 4.2, 9.3) and their Json.NET-like validation."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from standins._http import ApiError
from standins.store import Record, parse_iso

# webCRM renders times in Danish/Norwegian winter time with an explicit offset.
WEBCRM_TZ = timezone(timedelta(hours=1))
INT32_MAX = 2**31 - 1

# Entity path name -> field prefix.
PREFIX: dict[str, str] = {
    "Organisations": "Organisation",
    "Persons": "Person",
    "Products": "Product",
}

_STR, _INT, _FLOAT, _BOOL, _TIME, _OBJ = (
    "str",
    "int",
    "float",
    "bool",
    "datetime",
    "obj",
)

_NET_TYPE = {
    _INT: "System.Int32",
    _FLOAT: "System.Double",
    _BOOL: "System.Boolean",
    _TIME: "System.DateTime",
    _STR: "System.String",
    _OBJ: "CountryDataDto",
}


def _fields(prefix: str, spec: str) -> dict[str, str]:
    """``"Id:int Name"`` -> ``{"<prefix>Id": "int", "<prefix>Name": "str"}``."""
    out: dict[str, str] = {}
    for item in spec.split():
        name, _, kind = item.partition(":")
        out[f"{prefix}{name}"] = kind or _STR
    return out


# In the swagger's order. Extension slots (Custom1..15, Plus1..20, X*) are left out:
# no flow maps them.
FIELDS: dict[str, dict[str, str]] = {
    "Organisations": _fields(
        "Organisation",
        "Id:int Name Address PostCode City State Country Telephone Fax Www Domain"
        " Industry Type Status VatNumber VatCountry VatGroup VatStatus"
        " VatVerifiedAt:datetime ApprovalStatus:int Owner:int Owner2:int"
        " TerritoryId:int Comment Memo Alert CompareName DivisionName LastItemType"
        " LastItemUpdatedAt:datetime DeliveryAddress DeliveryPostCode DeliveryCity"
        " DeliveryState CompanyDescription CountryData:obj CreatedAt:datetime"
        " CreatedBy UpdatedAt:datetime UpdatedBy",
    ),
    "Persons": _fields(
        "Person",
        "Id:int OrganisationId:int FirstName MiddleName LastName Name Title"
        " Salutation Email Email2 DirectPhone MobilePhone Skype TelephoneSearch"
        " Birthday:datetime Status BlockMassEmail:bool"
        + "".join(f" CheckMark{i}:bool" for i in range(1, 11))
        + " Comment Memo CreatedAt:datetime CreatedBy UpdatedAt:datetime UpdatedBy",
    ),
    "Products": _fields(
        "Product",
        "Id:int OrganisationId:int PersonId:int Combined Comment CostPrice:float"
        " ListPrice:float Price:float Discount:float Quantity:float VatCode"
        " StockStatus ProductYear:int SortOrder:int History Memo CreatedAt:datetime"
        " CreatedBy UpdatedAt:datetime UpdatedBy",
    ),
}

_EMPTY: dict[str, Any] = {_STR: "", _INT: 0, _FLOAT: 0.0, _BOOL: False, _TIME: None}
_SPECIAL_DEFAULTS: dict[str, Any] = {
    "OrganisationLastItemType": "Undefined",
    "OrganisationCountryData": {"CodeISO": "", "Name": ""},
    "PersonBirthday": "0001-01-01T00:00:00+00:00",
    "PersonStatus": "Active",
}


def message(text: str) -> dict[str, Any]:
    """webCRM's (ASP.NET Web API's) error body."""
    return {"Message": text}


def refused(why: str) -> ApiError:
    """400 with webCRM's error body."""
    return ApiError(400, message(why))


def blank(entity: str) -> Record:
    """A DTO with every field at its empty default (PUT resets absent fields to it)."""
    out: Record = {}
    for name, kind in FIELDS[entity].items():
        default = _SPECIAL_DEFAULTS.get(name, _EMPTY.get(kind))
        out[name] = dict(default) if isinstance(default, dict) else default
    return out


def format_time(value: datetime) -> str:
    """``2024-03-01T11:15:30.1234560+01:00``: .NET's 7 fractional digits, +01:00."""
    text = value.astimezone(WEBCRM_TZ).isoformat(timespec="microseconds")
    return f"{text[:-6]}0{text[-6:]}"


def parse_time(value: Any) -> datetime | None:
    """A webCRM time (naive means +01:00), else None."""
    return parse_iso(value, WEBCRM_TZ)


def _error(name: str, value: Any, kind: str) -> str:
    shown = "{null}" if value is None else orjson.dumps(value).decode()
    return f"Error converting value {shown} to type '{_NET_TYPE[kind]}'. Path '{name}'."


def _check(name: str, kind: str, value: Any) -> tuple[Any, str | None]:
    """The value to store, or an error message in Json.NET's words."""
    if kind == _STR:
        if value is None:
            return "", None
        return (
            (value, None)
            if isinstance(value, str)
            else (None, _error(name, value, kind))
        )
    if kind == _INT:
        ok = isinstance(value, int) and not isinstance(value, bool)
        if ok and -INT32_MAX - 1 <= value <= INT32_MAX:
            return value, None
        return None, _error(name, value, kind)
    if kind == _FLOAT:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value), None
        return None, _error(name, value, kind)
    if kind == _BOOL:
        return (
            (value, None)
            if isinstance(value, bool)
            else (None, _error(name, value, kind))
        )
    if kind == _TIME:
        if value is None or parse_time(value) is not None:
            return value, None
        return None, _error(name, value, kind)
    if value is None or isinstance(value, dict):
        return value, None
    return None, _error(name, value, kind)


def validate(entity: str, body: Any) -> tuple[Record, dict[str, list[str]]]:
    """Known fields converted and checked; unknown fields are ignored, as Json.NET does.

    Returns the clean fields and a ModelState-like map of errors (empty when valid).
    """
    if not isinstance(body, dict):
        return {}, {"": [f"Expected a JSON object for {PREFIX[entity]}Dto."]}
    clean: Record = {}
    errors: dict[str, list[str]] = {}
    table = FIELDS[entity]
    for name, value in body.items():
        kind = table.get(name)
        if kind is None:
            continue
        stored, problem = _check(name, kind, value)
        if problem:
            errors.setdefault(name, []).append(problem)
        else:
            clean[name] = stored
    return clean, errors


def person_name(record: Record) -> str:
    """webCRM derives the full name from its parts."""
    parts = (record.get(f"Person{p}Name") for p in ("First", "Middle", "Last"))
    return " ".join(p for p in parts if isinstance(p, str) and p)
