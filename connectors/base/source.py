"""``HttpSource``: reads a change feed, or full listings, page by page into pages."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from connectors.base._bound import SystemBound
from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec, spec_for
from connectors.base.pagination import Paginator, scan
from connectors.base.protocols import BadRecord, SourcePage
from connectors.base.records import fingerprint
from connectors.base.settings import ConnectorSettings
from connectors.base.snapshot import (
    SNAPSHOT_MARK,
    Listing,
    SnapshotRules,
    snapshot_pages,
)
from connectors.errors import InvalidRecordError
from schemas.envelope import ChangeEvent, Cursor
from schemas.utc import utc_now

logger = logging.getLogger(__name__)

GONE: Any = object()
"""What ``HttpSource.resolve`` answers for a listed record that no longer exists."""


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

    def passed(
        self, record_id: str, modified_at: datetime, floor: datetime | None
    ) -> bool:
        """Whether the read is past this record: seen, or older than ``floor``.

        ``floor`` is the cursor the page was asked for with: a feed ordered by
        time published anything older before the cursor moved past it (only an
        API's inclusive overlap brings such records back).
        """
        older = floor is not None and modified_at < floor
        return older or self.seen(record_id, modified_at)

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


class HttpSource(SystemBound, ABC):
    """A ``Source`` over a change feed that filters on ``modified >= since``.

    Subclasses declare ``system`` and ``specs`` (in dependency order) and
    implement ``paginator`` and ``fetch_page``; ``resolve``, ``snapshot`` and
    ``listing`` have defaults.

    Reading is keyset-style: once a page moves the cursor, the next request
    asks again from the new cursor at the first page, skipping the ids already
    seen at that instant. Plain page numbers over a feed ordered by modification
    time would skip records whenever an earlier record is edited mid-read (it
    moves to the end and everything after it shifts one place forward).

    Types without a change feed are read as full listings and compared with the
    previous listing kept in the cursor (``connectors.base.snapshot``).

    Attributes:
        restarts: Whether a page that moves the cursor restarts the read at the
            first page (``False`` where the page token is a keyset of its own).
        skips_older: Whether rows older than the cursor a page was asked for
            are dropped as published before: for feeds whose filter overlaps
            the cursor or is only assumed to work.
        tracker: How the cursor remembers what was published at its instant.

    Args:
        client: The system's client, shared with its sink.
        settings: The connector's settings (``page_size``, limits, clock).

    Raises:
        ConfigurationError: ``client`` belongs to another system.
    """

    restarts: ClassVar[bool] = True
    skips_older: ClassVar[bool] = False
    tracker: ClassVar[type[CursorTracker]] = CursorTracker

    def __init__(self, client: HttpClient, settings: ConnectorSettings) -> None:
        super().__init__(client, settings)
        self.limits = settings.record_limits()

    def entities(self) -> tuple[str, ...]:
        """The entity types, in dependency order."""
        return tuple(spec.name for spec in self.specs)

    def check(self, event: ChangeEvent) -> None:
        """Check a change of this system read from a topic (``EntitySpec.check``).

        Raises:
            InvalidRecordError: It is not what this source would have sent.
            ConfigurationError: The system has no such entity type.
        """
        spec = spec_for(self.specs, self.system, event.entity)
        spec.check(self.system, event, self.limits)

    @abstractmethod
    def paginator(self, spec: EntitySpec) -> Paginator[Any]:
        """A fresh paginator positioned at the first page of ``spec``'s listing."""

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
            The page's raw records and the body for the paginator.
        """

    async def resolve(self, spec: EntitySpec, row: Any) -> Any:
        """The record a listed row stands for; ``GONE`` when it no longer exists.

        A feed that lists only references (Membercare's debtors) fetches the
        record here; it is called only for rows the cursor is not yet past.

        Raises:
            InvalidRecordError: The row cannot name a record.
        """
        return row

    def snapshot(self, spec: EntitySpec) -> bool:
        """Whether ``spec`` is read as full listings (it has no modification time)."""
        return spec.updated_field is None

    async def listing(self, spec: EntitySpec) -> Listing:
        """Every record of ``spec``, for a snapshot read."""
        rows: list[Any] = []
        fetch = partial(self.fetch_page, spec, None)
        async for page, _ in scan(self.paginator(spec), fetch):
            rows.extend(page)
        return Listing(rows, complete=True)

    async def read(
        self, entity: str, cursor: Cursor | None
    ) -> AsyncIterator[SourcePage]:
        """Yield pages of changes at or after ``cursor``; everything without one."""
        spec = self.spec(entity)
        if self.snapshot(spec):
            # Listed in full before anything is compared: a failed listing raises
            # here and reports nothing, least of all deletes.
            listing = await self.listing(spec)
            for page in snapshot_pages(self._rules(spec), cursor, listing, utc_now()):
                yield page
            return
        if cursor is not None and cursor.boundary_ids[:1] == (SNAPSHOT_MARK,):
            cursor = None  # a snapshot cursor from before a switch: start over
        tracker = self.tracker(cursor)
        since = tracker.since
        paginator = self.paginator(spec)
        # Bad rows the cursor cannot move past (no readable time) come back when
        # the read restarts from a newer cursor: report each once per read.
        reported: set[str] = set()
        while not paginator.finished:
            rows, body = await self.fetch_page(spec, since, paginator.current_token)
            floor = since if self.skips_older else None
            page = await self._page(spec, rows, tracker, floor, reported)
            if page.events or page.bad_records:
                yield page
            paginator.advance(body)
            if self.restarts and tracker.since != since and not paginator.finished:
                since, paginator = tracker.since, self.paginator(spec)

    def _rules(self, spec: EntitySpec) -> SnapshotRules:
        clock = self.settings.clock(spec.name)
        return SnapshotRules(
            system=self.system,
            entity=spec.name,
            record_id=spec.record_id,
            to_event=lambda row, seen: spec.to_event(
                self.system, row, self.limits, clock=clock, observed=seen
            ),
            page_size=self.settings.page_size,
            max_delete_fraction=self.settings.max_delete_fraction,
        )

    async def _page(
        self,
        spec: EntitySpec,
        rows: list[Any],
        tracker: CursorTracker,
        floor: datetime | None,
        reported: set[str],
    ) -> SourcePage:
        """The one place a page's rows become events, bad records and a cursor."""
        now = utc_now()
        latest = now + self.limits.max_future
        clock = self.settings.clock(spec.name)
        events: dict[str, ChangeEvent] = {}
        bad: list[BadRecord] = []
        for row in rows:
            position = spec.position(row, latest, clock)
            passed = position is not None and tracker.passed(*position, floor)
            if passed and position is not None and position[0] not in events:
                continue  # published before; not even resolved again
            payload = row
            try:
                payload = await self.resolve(spec, row)
                if payload is GONE:
                    if position is not None:
                        tracker.observe(*position)
                    continue
                event = spec.to_event(
                    self.system, payload, self.limits, now, clock=clock
                )
            except InvalidRecordError as exc:
                if passed:
                    continue
                if position is None:
                    seen_before = fingerprint([str(exc), row])
                    if seen_before in reported:
                        continue
                    reported.add(seen_before)
                # Debug only: the feed may list it on every poll; the dead letter
                # (sent once) is what operators see.
                logger.debug("%s", exc)
                bad.append(
                    BadRecord(self.system, spec.name, exc.record_id, str(exc), payload)
                )
                if position is not None:
                    tracker.observe(*position)
                continue
            if tracker.passed(event.id, event.modified_at, floor):
                first = events.get(event.id)
                if first is not None and _contradicts(first, event):
                    del events[event.id]
                    bad.append(self._duplicate(spec, event, first))
                continue
            events[event.id] = event
            # A listing of references (a feed) keeps its own order: follow it.
            tracker.observe(*(position or (event.id, event.modified_at)))
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
