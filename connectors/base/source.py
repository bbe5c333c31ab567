"""``HttpSource``: reads a change feed page by page into ``SourcePage``s."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec, RecordLimits, spec_for
from connectors.base.pagination import Paginator
from connectors.base.protocols import BadRecord, SourcePage
from connectors.base.settings import ConnectorSettings
from connectors.base.snapshot import fingerprint
from connectors.errors import InvalidRecordError
from schemas.envelope import ChangeEvent, Cursor, utc_now

logger = logging.getLogger(__name__)


class CursorTracker:
    """The newest modification time seen, with the ids seen at exactly that time.

    It only moves forward: an older record never pulls it back.

    Args:
        cursor: Where the read starts; ``None`` reads everything.
    """

    def __init__(self, cursor: Cursor | None) -> None:
        self.since: datetime | None = cursor.since if cursor else None
        self.ids: set[str] = set(cursor.boundary_ids) if cursor else set()

    def seen(self, record_id: str, modified_at: datetime) -> bool:
        """Whether this record was already published at the boundary time."""
        return modified_at == self.since and record_id in self.ids

    def observe(self, record_id: str, modified_at: datetime) -> None:
        """Account for a published record."""
        if self.since is None or modified_at > self.since:
            self.since, self.ids = modified_at, {record_id}
        elif modified_at == self.since:
            self.ids.add(record_id)

    @property
    def cursor(self) -> Cursor:
        """The cursor to resume from."""
        return Cursor(since=self.since, boundary_ids=tuple(sorted(self.ids)))


class HttpSource(ABC):
    """A ``Source`` over a change feed that filters on ``modified >= since``.

    Subclasses declare ``system`` and ``specs`` (in dependency order) and
    implement ``paginator`` and ``fetch_page``.

    Reading is keyset-style: once a page moves the cursor, the next request
    asks again from the new cursor at the first page, skipping the ids already
    seen at that instant. Plain page numbers over a feed ordered by modification
    time would skip records whenever an earlier record is edited mid-read (it
    moves to the end and everything after it shifts one place forward).

    Args:
        client: The system's client, shared with its sink.
        settings: The connector's settings (``page_size``).
    """

    system: ClassVar[str]
    specs: ClassVar[tuple[EntitySpec, ...]]

    def __init__(self, client: HttpClient, settings: ConnectorSettings) -> None:
        self.client = client
        self.settings = settings
        self.limits = RecordLimits(
            max_text_chars=settings.max_text_chars,
            max_future=timedelta(seconds=settings.max_future_seconds),
        )

    def entities(self) -> tuple[str, ...]:
        """The entity types, in dependency order."""
        return tuple(spec.name for spec in self.specs)

    def spec(self, entity: str) -> EntitySpec:
        """The declaration of ``entity``; ``ConfigurationError`` if unknown."""
        return spec_for(self.specs, self.system, entity)

    @abstractmethod
    def paginator(self) -> Paginator[Any]:
        """A fresh paginator positioned at the first page."""

    @abstractmethod
    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        """Fetch one page of records modified at or after ``since``.

        Args:
            spec: The entity type.
            since: Lower bound (inclusive); ``None`` for everything.
            token: The paginator's current token.

        Returns:
            The page's raw records and the decoded body for the paginator.
        """

    async def read(
        self, entity: str, cursor: Cursor | None
    ) -> AsyncIterator[SourcePage]:
        """Yield pages of changes at or after ``cursor``; everything without one."""
        spec = self.spec(entity)
        tracker = CursorTracker(cursor)
        paginator = self.paginator()
        # Bad rows the cursor cannot move past (no readable time) come back when
        # the read restarts from a newer cursor: report each once per read.
        reported: set[str] = set()
        while not paginator.finished:
            since = tracker.since
            rows, body = await self.fetch_page(spec, since, paginator.current_token)
            page = self._page(spec, rows, tracker, reported)
            if page.events or page.bad_records:
                yield page
            paginator.advance(body)
            if tracker.since != since and not paginator.finished:
                paginator = self.paginator()

    def _page(
        self,
        spec: EntitySpec,
        rows: list[Any],
        tracker: CursorTracker,
        reported: set[str] | None = None,
    ) -> SourcePage:
        now = utc_now()
        latest = now + self.limits.max_future
        events: dict[str, ChangeEvent] = {}
        bad: list[BadRecord] = []
        for row in rows:
            try:
                event = spec.to_event(self.system, row, self.limits, now)
            except InvalidRecordError as exc:
                position = spec.position(row, latest)
                if position is not None and tracker.seen(*position):
                    continue
                if position is None and reported is not None:
                    seen_before = fingerprint([str(exc), row])
                    if seen_before in reported:
                        continue
                    reported.add(seen_before)
                # Debug only: the feed may list it on every poll; the dead letter
                # (sent once) is what operators see.
                logger.debug("%s", exc)
                bad.append(
                    BadRecord(self.system, spec.name, exc.record_id, str(exc), row)
                )
                if position is not None:
                    tracker.observe(*position)
                continue
            if tracker.seen(event.id, event.modified_at):
                first = events.get(event.id)
                if first is not None and _contradicts(first, event):
                    del events[event.id]
                    bad.append(self._duplicate(spec, event, first))
                continue
            events[event.id] = event
            tracker.observe(event.id, event.modified_at)
        return SourcePage(
            events=list(events.values()), cursor=tracker.cursor, bad_records=bad
        )

    def _duplicate(
        self, spec: EntitySpec, event: ChangeEvent, first: ChangeEvent
    ) -> BadRecord:
        # One page lists the same id twice, stamped with the same modification
        # time but with different content. Publishing either could publish the
        # wrong one ("last wins" would trust the API's order of a tie, which
        # nothing guarantees), so neither goes: the record is dead-lettered, and
        # its next edit (a later time) or a re-drive (one GET) brings it in.
        # Identical repeats and repeats at different times are ordinary: the
        # first is dropped as already seen, the later time simply wins.
        reason = (
            f"{self.system} {spec.name} {event.id}: listed twice in one page at"
            f" {event.modified_at.isoformat()} with different content"
        )
        logger.warning("%s", reason)
        payload = [first.data, event.data]
        return BadRecord(self.system, spec.name, event.id, reason, payload)


def _contradicts(first: ChangeEvent, second: ChangeEvent) -> bool:
    return first.modified_at == second.modified_at and (first.op, first.data) != (
        second.op,
        second.data,
    )
