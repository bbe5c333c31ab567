"""Resource tables of the generic custom REST contract and their validation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from standins.store import Record, parse_iso

READ_ONLY = ("Id", "UpdatedAt", "Deleted")

_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "number": (int, float),
    "int": (int,),
    "bool": (bool,),
    "list": (list,),
    "object": (dict,),
}


@dataclass(frozen=True)
class FieldSpec:
    """One writable field: its JSON kind, whether it is required, its empty value."""

    kind: str = "str"
    required: bool = False
    default: Any = ""


@dataclass(frozen=True)
class ResourceSpec:
    """A resource of the contract: path name, id prefix, writable fields."""

    name: str
    id_prefix: str
    fields: dict[str, FieldSpec]
    first_id: int = 1001
    # Field order of a full record, server fields included.
    order: tuple[str, ...] = field(default=())
    # A system's own checks of a written (or seeded) body, run before the
    # contract's: returns the body, completed, or raises ``ApiError``.
    check: Callable[[Any], Any] | None = None

    def layout(self) -> tuple[str, ...]:
        """Every field of a stored record, in display order."""
        return self.order or ("Id", *self.fields, "UpdatedAt", "Deleted")

    def blank(self) -> Record:
        """A new record's writable fields at their defaults."""
        return {name: spec.default for name, spec in self.fields.items()}


def strings(*names: str) -> dict[str, FieldSpec]:
    """Optional string fields (the common case)."""
    return {name: FieldSpec() for name in names}


def customers(*extra: str) -> ResourceSpec:
    """``customers`` (``C-``): the 2024-09 "Custom CRM Customer" field set + ``extra``.

    systems.md 7: that schema is the template for every custom entity; both custom
    systems add the natural keys their flows match on.
    """
    address = ("StreetAddress1", "StreetAddress2", "ZipCode", "City", "Country")
    contact = ("Email", "Phone", "Fax", "Website", "Description")
    return ResourceSpec(
        name="customers",
        id_prefix="C-",
        fields={
            "Name": FieldSpec(required=True),
            **strings(*contact, *address, *extra),
        },
    )


PRODUCTS = ResourceSpec(
    name="products",
    id_prefix="PR-",
    fields={
        "Sku": FieldSpec(),
        "Name": FieldSpec(required=True),
        "Description": FieldSpec(),
        "Price": FieldSpec(kind="number", default=None),
        "Currency": FieldSpec(default="NOK"),
        "VatRate": FieldSpec(kind="number", default=None),
        "Active": FieldSpec(kind="bool", default=True),
    },
)
"""``products`` (``PR-``), the same in both custom systems."""


def format_time(value: datetime) -> str:
    """UTC with millisecond precision and ``Z``: ``2024-03-01T10:15:30.123Z``."""
    return (
        value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


@dataclass
class Problems:
    """What is wrong with a body: 400 (shape) or 422 (values)."""

    bad_request: list[str] = field(default_factory=list)
    invalid: list[dict[str, str]] = field(default_factory=list)


def check_body(
    spec: ResourceSpec, body: Any, *, creating: bool
) -> tuple[Record, Problems]:
    """Validate a POST (``creating``) or PUT body; returns clean fields and problems.

    A POST may carry no read-only field. A PUT's are compared with the stored
    record by :func:`changed_read_only`: sending them back unchanged is the usual
    GET, change a field, PUT the object back.
    """
    problems = Problems()
    if not isinstance(body, dict):
        problems.bad_request.append("body must be a JSON object")
        return {}, problems
    read_only = sorted(set(body) & set(READ_ONLY))
    if read_only and creating:
        problems.bad_request.append(f"read-only field(s): {', '.join(read_only)}")
    unknown = sorted(set(body) - set(spec.fields) - set(READ_ONLY))
    if unknown:
        problems.bad_request.append(f"unknown field(s): {', '.join(unknown)}")
    clean: Record = {}
    for name, value in body.items():
        field_spec = spec.fields.get(name)
        if field_spec is None:
            continue
        problem = _value_problem(field_spec, value)
        if problem:
            problems.invalid.append({"field": name, "message": problem})
        else:
            clean[name] = "" if value is None and field_spec.kind == "str" else value
    for name, field_spec in spec.fields.items():
        if not field_spec.required:
            continue
        missing = name not in body if creating else False
        if missing or (name in clean and clean[name] in ("", None)):
            problems.invalid.append({"field": name, "message": "field required"})
    return clean, problems


def changed_read_only(body: Any, current: Record) -> list[str]:
    """The read-only fields a PUT body sets to something else than ``current`` has.

    ``UpdatedAt`` counts as unchanged when it names the same instant (a client may
    render the time its own way); ``Id`` and ``Deleted`` must be equal and of the
    same type (``0`` is not ``false``).
    """
    if not isinstance(body, dict):
        return []
    changed = []
    for name in READ_ONLY:
        if name not in body:
            continue
        given, stored = body[name], current.get(name)
        if name == "UpdatedAt":
            when = parse_iso(given)
            same = given == stored or (when is not None and when == parse_iso(stored))
        else:
            same = type(given) is type(stored) and given == stored
        if not same:
            changed.append(name)
    return changed


def _value_problem(spec: FieldSpec, value: Any) -> str | None:
    if value is None:
        return "must not be null" if spec.required else None
    expected = _TYPES[spec.kind]
    if isinstance(value, bool) and bool not in expected:
        return f"expected {spec.kind}, got boolean"
    if not isinstance(value, expected):
        return f"expected {spec.kind}, got {type(value).__name__}"
    return None


def matches(value: Any, text: str) -> bool:
    """Equality filter: query text against a stored value (strings ignore case)."""
    if value is None:
        return text in ("", "null")
    if isinstance(value, bool):
        return (
            text.lower() in ("true", "1") if value else text.lower() in ("false", "0")
        )
    if isinstance(value, int | float):
        try:
            return float(text) == float(value)
        except ValueError:
            return False
    if isinstance(value, str):
        return value.casefold() == text.casefold()
    return str(value) == text
