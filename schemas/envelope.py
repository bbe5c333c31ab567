"""The change-event envelope and the side-channel records (dead letters, conflicts)."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field, field_validator

from schemas.base import EventModel, NonEmptyStr

# Re-exported: connectors import the clock from here (its home is schemas.utc).
from schemas.utc import utc_now as utc_now

SCHEMA_VERSION = 1


class Operation(StrEnum):
    """What happened to the entity."""

    UPSERT = "upsert"
    DELETE = "delete"


class ChangeEvent(EventModel):
    """One entity's state as a source read it, keyed by ``id`` on its topic.

    ``data`` is the record as the system sent it (wire JSON), after validation
    against the system's wire model; it is ``None`` for deletes.
    ``modified_at`` is the system's own modification time normalised to UTC.
    """

    system: str
    entity: str
    id: NonEmptyStr
    op: Operation = Operation.UPSERT
    data: dict[str, Any] | None = None
    modified_at: AwareDatetime
    observed_at: AwareDatetime = Field(default_factory=utc_now)
    schema_version: int = SCHEMA_VERSION

    @field_validator("modified_at", "observed_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value.astimezone(UTC)


class DeadLetter(EventModel):
    """A record tether could not process, with what an operator needs to fix it."""

    system: str
    entity: str
    record_id: str
    reason: str
    stage: str
    error_type: str
    flow: str | None = None
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    payload: Any = None
    failed_at: AwareDatetime = Field(default_factory=utc_now)


class Redriven(EventModel):
    """A marker that closes a dead letter (keyed like it): re-driven by an
    operator, or healed when its record later went through on its own."""

    system: str
    entity: str
    record_id: str
    stage: str
    letter_failed_at: AwareDatetime
    action: str
    topic: str | None = None
    redriven_at: AwareDatetime = Field(default_factory=utc_now)


class Side(StrEnum):
    """The two ends of a flow."""

    SOURCE = "source"
    TARGET = "target"


class ConflictRecord(EventModel):
    """A property both sides changed since the last sync, and which value lost."""

    flow: str
    source_id: str
    target_id: str
    property: str
    winner: Side
    winning_value: Any
    overridden_value: Any
    source_modified_at: AwareDatetime | None
    target_modified_at: AwareDatetime | None
    rule: str
    decided_at: AwareDatetime = Field(default_factory=utc_now)


class FlowReport(EventModel):
    """What a flow could not do on its own: ambiguous or missing matches, deletes."""

    flow: str
    kind: str
    source_id: str
    detail: str
    candidates: list[str] = Field(default_factory=list)
    reported_at: AwareDatetime = Field(default_factory=utc_now)


class Cursor(EventModel):
    """Where a source resumes: the newest modification time it has published.

    Change feeds filter with ``>=`` on a timestamp, so the ids already published
    at exactly ``since`` are kept to skip them on the next read.
    """

    since: AwareDatetime | None = None
    boundary_ids: tuple[str, ...] = ()
