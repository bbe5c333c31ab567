"""Raw records of a declared type: finding the type, the record's id, validation."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from connectors.errors import ConfigurationError, InvalidRecordError
from schemas.base import WireModel
from schemas.envelope import ChangeEvent

MISSING_ID = "<missing>"
"""The record id reported for a record that has none."""


class Named(Protocol):
    """Anything declared under a name (an entity type)."""

    @property
    def name(self) -> str: ...


NamedT = TypeVar("NamedT", bound=Named)


def declared_type(types: Iterable[NamedT], system: str, entity: str) -> NamedT:
    """The declaration named ``entity`` among a system's ``types``.

    Raises:
        ConfigurationError: The system has no such entity type.
    """
    declared = tuple(types)
    for candidate in declared:
        if candidate.name == entity:
            return candidate
    known = ", ".join(candidate.name for candidate in declared)
    msg = f"{system} has no entity type {entity!r}; known: {known}"
    raise ConfigurationError(msg)


def record_id_at(row: Any, id_field: str) -> str:
    """A raw record's ``id_field`` as text, or ``MISSING_ID`` when absent or empty."""
    value = row.get(id_field) if isinstance(row, Mapping) else None
    return MISSING_ID if value is None or str(value) == "" else str(value)


def invalid_record(
    system: str, entity: str, record_id: str, reason: str
) -> InvalidRecordError:
    """An ``InvalidRecordError`` naming system, entity and record, and why."""
    msg = f"{system} {entity} {record_id}: {reason}"
    return InvalidRecordError(msg, system=system, entity=entity, record_id=record_id)


def validation_reason(exc: ValidationError) -> str:
    """A pydantic error as ``field: problem; ...``, without the rejected input."""
    return "; ".join(
        f"{'.'.join(map(str, err['loc'])) or 'record'}: {err['msg']}"
        for err in exc.errors(include_input=False, include_url=False)
    )


def parse_record(
    system: str, entity: str, model: type[WireModel], id_field: str, row: Any
) -> tuple[str, WireModel]:
    """Validate a raw record against ``model``; its id and the validated record.

    Raises:
        InvalidRecordError: Not an object, fails the model, or has no id.
    """
    record_id = record_id_at(row, id_field)
    if not isinstance(row, Mapping):
        reason = f"expected a JSON object, got {type(row).__name__}"
        raise invalid_record(system, entity, record_id, reason)
    try:
        record = model.model_validate(row)
    except ValidationError as exc:
        reason = validation_reason(exc)
        raise invalid_record(system, entity, record_id, reason) from None
    if record_id == MISSING_ID:
        reason = f"{id_field} is empty"
        raise invalid_record(system, entity, record_id, reason)
    return record_id, record


def record_event(
    system: str,
    entity: str,
    record_id: str,
    record: WireModel,
    modified_at: datetime,
) -> ChangeEvent:
    """A validated record as an upsert ``ChangeEvent``, with the API's field names."""
    return ChangeEvent(
        system=system,
        entity=entity,
        id=record_id,
        data=record.model_dump(mode="json", by_alias=True),
        modified_at=modified_at,
    )
