"""The two small protocols ``streams/`` depends on: ``Source`` and ``Sink``.

Every connector implements them for its system; ``streams/`` never sees HTTP.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from schemas.envelope import ChangeEvent, Cursor


@dataclass(frozen=True)
class Capabilities:
    """What the real API allows for one entity type (DESIGN.md rule 8).

    A type that can be neither created nor updated is lookup-only: flows into it
    link by matching and report what they cannot match.
    """

    create: bool = True
    update: bool = True
    delete: bool = False

    @property
    def lookup_only(self) -> bool:
        """True when tether may only find existing entities of this type."""
        return not (self.create or self.update)


@dataclass(frozen=True)
class BadRecord:
    """A record a source could not turn into a ``ChangeEvent``; goes to dead letters."""

    system: str
    entity: str
    record_id: str
    reason: str
    payload: Any = None


@dataclass(frozen=True)
class SourcePage:
    """One page of changes and the cursor to resume from once they are flushed."""

    events: list[ChangeEvent]
    cursor: Cursor
    bad_records: list[BadRecord] = field(default_factory=list)


class Source(Protocol):
    """Reads entity changes from one system."""

    system: ClassVar[str]

    def entities(self) -> tuple[str, ...]:
        """The entity types this source publishes, in dependency order."""
        ...

    def read(self, entity: str, cursor: Cursor | None) -> AsyncIterator[SourcePage]:
        """Yield pages of changes after ``cursor`` (everything when it is ``None``)."""
        ...

    def check(self, event: ChangeEvent) -> None:
        """Raise ``InvalidRecordError`` unless ``event`` is what this source sends."""
        ...


class Sink(Protocol):
    """Reads and writes single entities of one system, for flows targeting it."""

    system: ClassVar[str]

    def capabilities(self, entity: str) -> Capabilities:
        """What the API allows for ``entity``."""
        ...

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        """The entity's current state, or ``None`` when it does not exist."""
        ...

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        """Entities whose ``field_path`` equals ``value`` (for matching)."""
        ...

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        """Create an entity; a retry with the same key must not create a second."""
        ...

    async def update(
        self,
        entity: str,
        record_id: str,
        changes: dict[str, Any],
        *,
        expected: ChangeEvent | None = None,
    ) -> ChangeEvent:
        """Apply ``changes`` (wire field -> value) to an existing entity.

        ``expected`` is the state the caller decided the changes against: a
        record changed underneath since (a field the changes set now holds
        another value, or the record is deleted) is not overwritten, a
        ``TransientError`` says to decide again (``connectors.base.fresh``).
        Returns the entity as the write left it.
        """
        ...

    async def delete(self, entity: str, record_id: str) -> None:
        """Delete an entity (only for flows that opted in to propagating deletes)."""
        ...
