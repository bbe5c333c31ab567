"""Crmoffice resource tables (systems.md 6, 9.5) and their validation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from standins.store import Record

ADDRESS_FIELDS = ("streetAddress", "postCode", "postalArea", "country")
_STR, _TIME, _ADDRESS, _REF = "string", "date-time", "address", "reference"


@dataclass(frozen=True)
class Resource:
    """One collection: store table, path, id prefix and first number, fields."""

    name: str
    path: str
    prefix: str
    first: int
    fields: dict[str, str]
    writable: bool = True

    def blank(self) -> Record:
        """Every field empty (``null``), as the API shows unset ones."""
        return dict.fromkeys(self.fields)


RESOURCES: dict[str, Resource] = {
    r.name: r
    for r in (
        Resource(
            "Companies",
            "companies",
            "c-",
            100,
            {
                "name": _STR,
                "orgNr": _STR,
                "email": _STR,
                "phone": _STR,
                "postAddress": _ADDRESS,
                "visitAddress": _ADDRESS,
            },
        ),
        Resource(
            "Contacts",
            "contacts",
            "p-",
            200,
            {
                "givenName": _STR,
                "familyName": _STR,
                "email": _STR,
                "directPhone": _STR,
                "mobilePhone": _STR,
                "company": _REF,
            },
        ),
        Resource(
            "Activities",
            "activities",
            "a-",
            300,
            {
                "subject": _STR,
                "startsAt": _TIME,
                "endsAt": _TIME,
                "ownerId": _STR,
                "address": _ADDRESS,
            },
        ),
        Resource(
            "Users",
            "users",
            "u-",
            1,
            {"userName": _STR, "name": _STR, "email": _STR},
            writable=False,
        ),
    )
}


def format_time(moment: datetime) -> str:
    """UTC with milliseconds and ``Z``: ``2024-03-05T09:00:00.123Z``."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def _problem(kind: str, value: Any) -> str | None:
    if value is None:
        return None
    if kind == _STR:
        return None if isinstance(value, str) else "must be a string"
    if kind == _TIME:
        try:
            parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        except ValueError:
            return "must be an ISO 8601 date-time"
        return None if parsed.tzinfo else "must carry a time zone"
    if not isinstance(value, dict):
        return "must be an object"
    allowed = ADDRESS_FIELDS if kind == _ADDRESS else ("id",)
    for name, inner in value.items():
        if name not in allowed:
            return f"has no field {name!r}"
        if inner is not None and not isinstance(inner, str):
            return f"{name} must be a string"
    return None


def check(resource: Resource, body: Any) -> tuple[Record, dict[str, list[str]]]:
    """The known fields of ``body`` (``id``/``updatedAt`` are the server's)."""
    if not isinstance(body, dict):
        return {}, {"": ["Expected a JSON object."]}
    clean: Record = {}
    errors: dict[str, list[str]] = {}
    for name, value in body.items():
        kind = resource.fields.get(name)
        if kind is None:
            continue  # unknown and server-owned fields are ignored, as ASP.NET does
        problem = _problem(kind, value)
        if problem:
            errors[name] = [f"{name} {problem}."]
        elif kind == _ADDRESS and isinstance(value, dict):
            clean[name] = {field: value.get(field) for field in ADDRESS_FIELDS}
        else:
            clean[name] = value
    return clean, errors
