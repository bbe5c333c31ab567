"""Resource tables of the generic custom REST contract and their validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from standins.store import Record

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

    def layout(self) -> tuple[str, ...]:
        """Every field of a stored record, in display order."""
        return self.order or ("Id", *self.fields, "UpdatedAt", "Deleted")

    def blank(self) -> Record:
        """A new record's writable fields at their defaults."""
        return {name: spec.default for name, spec in self.fields.items()}


def strings(*names: str) -> dict[str, FieldSpec]:
    """Optional string fields (the common case)."""
    return {name: FieldSpec() for name in names}


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
    """Validate a POST (``creating``) or PUT body; returns clean fields and problems."""
    problems = Problems()
    if not isinstance(body, dict):
        problems.bad_request.append("body must be a JSON object")
        return {}, problems
    read_only = sorted(set(body) & set(READ_ONLY))
    if read_only:
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
