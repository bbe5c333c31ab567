"""``EntitySpec``: one entity type of a system, declared as data, and its parsing."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from pydantic import ValidationError

from connectors.base.protocols import Capabilities
from connectors.base.records import (
    DEFAULT_LIMITS,
    MISSING_ID,
    UTC_CLOCK,
    LocalClock,
    RecordLimits,
    declared_type,
    invalid_record,
    record_id_at,
    validation_reason,
)
from connectors.errors import ConfigurationError, InvalidRecordError
from schemas.base import WireModel
from schemas.envelope import ChangeEvent, Operation
from schemas.text import MAX_TEXT_CONTEXT, scrub
from schemas.utc import utc_now

__all__ = [
    "DEFAULT_LIMITS",
    "MISSING_ID",
    "EntitySpec",
    "LocalClock",
    "RecordLimits",
    "same_value",
    "spec_for",
    "validation_reason",
]


@dataclass(frozen=True)
class EntitySpec:
    """One entity type: where it lives, its wire model and its key fields.

    Attributes:
        name: The type as the dataflow documents name it (``Organisations``).
        path: The URL path segment of its collection (``Organisations``).
        model: The wire model each record is validated against.
        id_field: Wire name of the record id.
        updated_field: Wire name of the modification time; ``None`` for a type
            whose records carry none (it is read as full listings, and its
            events are stamped with when tether saw them).
        capabilities: What the API allows for this type.
        deleted_field: Wire name of a soft-delete flag, if the API has one.
        time_hint: What to check when a record lacks its modification time
            (for APIs where having one is only assumed).
        integer_ids: Ids are integers, so any other id names nothing.
    """

    name: str
    path: str
    model: type[WireModel]
    id_field: str
    updated_field: str | None
    capabilities: Capabilities = field(default_factory=Capabilities)
    deleted_field: str | None = None
    time_hint: str = ""
    integer_ids: bool = False
    _updated_attr: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        by_alias = {
            f.alias or name: name for name, f in self.model.model_fields.items()
        }
        for wire in (self.id_field, self.updated_field):
            if wire is not None and wire not in by_alias:
                msg = f"{self.model.__name__} has no field {wire!r} for {self.name}"
                raise ConfigurationError(msg)
        if self.updated_field is not None:
            object.__setattr__(self, "_updated_attr", by_alias[self.updated_field])

    def record_id(self, row: Any) -> str:
        """The raw record's id as text, or ``MISSING_ID``."""
        return record_id_at(row, self.id_field)

    def position(
        self,
        row: Any,
        latest: datetime | None = None,
        clock: LocalClock = UTC_CLOCK,
    ) -> tuple[str, datetime] | None:
        """A raw record's (id, UTC modification time), read leniently.

        Lets a source move its cursor past a record that fails validation for
        other reasons, so it is not reported again on every read. A time after
        ``latest`` gives no position: the cursor must never jump into the future.
        """
        written = self.written_at(row)
        if written is None or not clock.places(written):
            return None
        record_id = self.record_id(row)
        if record_id == MISSING_ID:
            # No id to remember it by: a fingerprint of the record's declared
            # fields stands in (extras such as a feed's row number vary), or the
            # record would be dead-lettered again on every poll, as the feed
            # keeps returning it at the cursor, until someone fixes it.
            assert isinstance(row, Mapping)  # it has a time, so it is a mapping
            declared = {f.alias or n for n, f in self.model.model_fields.items()}
            fields = {k: v for k, v in row.items() if k in declared}
            raw_fields = orjson.dumps(scrub(fields), option=orjson.OPT_SORT_KEYS)
            record_id = f"{MISSING_ID}#{hashlib.sha256(raw_fields).hexdigest()[:16]}"
        when = clock.to_utc(written)
        if latest is not None and when > latest:
            return None
        return record_id, when

    def written_at(self, row: Any) -> datetime | None:
        """A raw record's modification time as the system wrote it, read leniently.

        ``None`` when it has none that ``datetime.fromisoformat`` can read.
        """
        if not isinstance(row, Mapping) or self.updated_field is None:
            return None
        raw = row.get(self.updated_field)
        try:
            return datetime.fromisoformat(raw) if isinstance(raw, str) else None
        except ValueError:
            return None

    def to_event(
        self,
        system: str,
        row: Any,
        limits: RecordLimits = DEFAULT_LIMITS,
        now: datetime | None = None,
        *,
        clock: LocalClock = UTC_CLOCK,
        observed: datetime | None = None,
    ) -> ChangeEvent:
        """Validate a raw record and wrap it as a ``ChangeEvent``.

        ``data`` is the validated record with the API's field names. A record
        whose ``deleted_field`` is true becomes a delete, without data.

        Args:
            system: System id, for the event and errors.
            row: The raw record.
            limits: Text length and how far in the future it may be modified.
            now: The current time (UTC), injectable for tests.
            clock: Turns the record's own time into true UTC.
            observed: When tether saw this state: the modification time of a
                record without one of its own. Without it such a record is
                invalid.

        Raises:
            InvalidRecordError: The record is not an object, fails the model or
                breaks a limit.
        """
        record_id = self.record_id(row)
        if not isinstance(row, Mapping):
            kind = "null" if row is None else type(row).__name__
            raise self._invalid(
                system, record_id, f"expected a JSON object, got {kind}"
            )
        record = self._validated(system, record_id, row, limits)
        data = record.model_dump(mode="json", by_alias=True)
        if record_id == MISSING_ID:
            raise self._invalid(system, record_id, f"{self.id_field} is empty")
        modified_at = self._modified_at(system, record_id, record, clock, observed)
        latest = (now or utc_now()) + limits.max_future
        if modified_at > latest:
            reason = (
                f"{self.updated_field}: {modified_at.isoformat()} is more than"
                f" {_span(limits.max_future)} in the future"
            )
            raise self._invalid(system, record_id, reason)
        if self.deleted_field is not None and data.get(self.deleted_field) is True:
            return ChangeEvent(
                system=system,
                entity=self.name,
                id=str(data[self.id_field]),
                op=Operation.DELETE,
                modified_at=modified_at,
            )
        return ChangeEvent(
            system=system,
            entity=self.name,
            id=str(data[self.id_field]),
            data=data,
            modified_at=modified_at,
        )

    def check(
        self,
        system: str,
        event: ChangeEvent,
        limits: RecordLimits = DEFAULT_LIMITS,
        now: datetime | None = None,
    ) -> None:
        """Check a change read back from a topic, where anyone may have written it.

        Its data must pass the wire model and the limits again, carry the
        event's own id, and its time must not lie beyond the future limit (a
        year-9999 time would hide every later real edit).

        Raises:
            InvalidRecordError: The event is not what this type's source sends.
        """
        record_id = event.id
        latest = (now or utc_now()) + limits.max_future
        if event.modified_at > latest:
            reason = (
                f"modified_at {event.modified_at.isoformat()} is more than"
                f" {_span(limits.max_future)} in the future"
            )
            raise self._invalid(system, record_id, reason)
        if event.op is Operation.DELETE:
            return
        self._validated(system, record_id, event.data, limits)
        inside = self.record_id(event.data)
        if inside != record_id:
            reason = f"{self.id_field} {inside} in the data is not the event's id"
            raise self._invalid(system, record_id, reason)

    def _modified_at(
        self,
        system: str,
        record_id: str,
        record: WireModel,
        clock: LocalClock,
        observed: datetime | None,
    ) -> datetime:
        own = getattr(record, self._updated_attr) if self._updated_attr else None
        if isinstance(own, datetime):
            return clock.to_utc(own)
        if observed is not None:
            return observed
        reason = f"{self.updated_field or 'the modification time'} is missing"
        if self.time_hint:
            reason = f"{reason} ({self.time_hint})"
        raise self._invalid(system, record_id, reason)

    def _validated(
        self, system: str, record_id: str, row: Any, limits: RecordLimits
    ) -> WireModel:
        """``row`` through the wire model; any failure is the record's."""
        context = {MAX_TEXT_CONTEXT: limits.max_text_chars}
        try:
            return self.model.model_validate(row, context=context)
        except ValidationError as exc:
            raise self._invalid(system, record_id, validation_reason(exc)) from None
        except RecursionError:
            reason = "nested too deeply to validate"
            raise self._invalid(system, record_id, reason) from None
        except (ArithmeticError, OSError, TypeError, ValueError) as exc:
            # A validator that met a value it did not expect (a timestamp in
            # milliseconds overflowing a date): this record, not the page.
            reason = f"cannot be read ({type(exc).__name__}: {exc})"
            raise self._invalid(system, record_id, reason) from None

    def _invalid(self, system: str, record_id: str, reason: str) -> InvalidRecordError:
        return invalid_record(system, self.name, record_id, reason)


def _span(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours / 24:g} day(s)" if hours >= 24 else f"{hours:g} hour(s)"


def spec_for(specs: tuple[EntitySpec, ...], system: str, entity: str) -> EntitySpec:
    """The spec named ``entity``.

    Raises:
        ConfigurationError: The system has no such entity type.
    """
    return declared_type(specs, system, entity)


def same_value(left: Any, right: Any) -> bool:
    """Whether a record's value matches a wanted one, for ``Sink.find``.

    Text compares case-insensitively (as our REST contract's filters do), and a
    number matches its text form: ids travel as ``"42"`` where records hold ``42``.
    """
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right  # True == 1 in Python, but not in a record
    if isinstance(left, str) and isinstance(right, str):
        return left.casefold() == right.casefold()
    if left == right:
        return True
    scalars = (str, int, float)
    if isinstance(left, scalars) and isinstance(right, scalars):
        return str(left) == str(right)
    return False
