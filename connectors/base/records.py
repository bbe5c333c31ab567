"""Raw records: their ids, what they may hold, how their times read, why refused."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Protocol, TypeVar

import orjson
from pydantic import ValidationError

from connectors.errors import ConfigurationError, InvalidRecordError
from schemas.text import DEFAULT_MAX_TEXT_CHARS, scrub

MISSING_ID = "<missing>"
"""The record id reported for a record that has none."""


@dataclass(frozen=True)
class RecordLimits:
    """What a record may hold before tether refuses it (from the connector settings).

    Attributes:
        max_text_chars: Characters per text field.
        max_future: How far past now a modification time may lie. A clock a
            little ahead is normal; a record "modified" in year 9999 would move
            the cursor there, and nothing changed after it would ever be read.
    """

    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    max_future: timedelta = timedelta(days=1)


DEFAULT_LIMITS = RecordLimits()


@dataclass(frozen=True)
class LocalClock:
    """How a system's own times relate to true UTC.

    A naive time is read in ``zone``; in the repeated hour at the end of summer
    time it is read as the first of the two (an offset-less time cannot say
    which).

    Attributes:
        zone: The zone of the times the system writes without an offset
            (Membercare's local times); ``None`` when it always writes offsets,
            so that a time without one cannot be placed.
        skew: How far the system's clock lags behind true time; added to every
            time it writes.
    """

    zone: tzinfo | None = None
    skew: timedelta = timedelta(0)

    def places(self, value: datetime) -> bool:
        """Whether ``value`` can be placed in time (it has an offset, or a zone)."""
        return value.tzinfo is not None or self.zone is not None

    def to_utc(self, value: datetime) -> datetime:
        """``value`` (naive local, or aware) as true UTC."""
        aware = value if value.tzinfo else value.replace(tzinfo=self.zone or UTC)
        return aware.astimezone(UTC) + self.skew

    def to_local(self, moment: datetime) -> datetime:
        """A true moment as the system's clock shows it (aware, in ``zone``)."""
        return (moment - self.skew).astimezone(self.zone or UTC)

    def to_local_text(self, moment: datetime) -> str:
        """A true moment as the system writes it: local, no offset, milliseconds."""
        local = self.to_local(moment).replace(tzinfo=None)
        return local.isoformat(timespec="milliseconds")


UTC_CLOCK = LocalClock()
"""The clock of a system that writes true UTC times with offsets."""


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


def fingerprint(value: Any) -> str:
    """8 characters that change whenever ``value`` (JSON-able) changes."""
    options = orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS
    try:
        raw = orjson.dumps(value, option=options)
    except TypeError:  # invalid UTF-8 decoded as lone surrogates, or too deep
        raw = orjson.dumps(scrub(value), option=options)
    digest = hashlib.blake2b(raw, digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode()
