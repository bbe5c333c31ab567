"""``CrmofficeSource``: ``?updatedSince=`` keyset reads, or snapshots without it.

With the ``updated_since`` assumption on, every request asks for records updated
at or after the cursor (from 1970 without one, so the list comes ordered by
``updatedAt``), restarting at page 1 whenever a page moves the cursor; the ids
already published at the cursor's instant are skipped. Switched off, each read
lists everything and publishes what changed since the previous listing.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any, ClassVar

from connectors.base.client import HttpClient
from connectors.base.protocols import BadRecord, SourcePage
from connectors.base.snapshot import SNAPSHOT_MARK, SnapshotRules, snapshot_pages
from connectors.base.source import CursorTracker
from connectors.crmoffice.client import (
    SYSTEM,
    TYPES,
    CrmofficeType,
    crmoffice_client,
    record_id,
    skew_of,
    to_event,
    type_for,
)
from connectors.crmoffice.settings import CrmofficeSettings
from connectors.errors import FatalError, InvalidRecordError
from schemas.envelope import ChangeEvent, Cursor, utc_now

logger = logging.getLogger(__name__)

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def iso_utc(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds and ``Z``."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


class CrmofficeSource:
    """Reads Crmoffice companies, contacts and activities.

    Args:
        client: The Crmoffice client, shared with the sink.
        settings: Crmoffice settings.
    """

    system: ClassVar[str] = SYSTEM

    def __init__(self, client: HttpClient, settings: CrmofficeSettings) -> None:
        self.client = crmoffice_client(client)
        self.settings = settings

    def entities(self) -> tuple[str, ...]:
        """Companies, Contacts, Activities."""
        return tuple(declared.name for declared in TYPES)

    async def read(
        self, entity: str, cursor: Cursor | None
    ) -> AsyncIterator[SourcePage]:
        """Pages of changes after ``cursor``; everything without one."""
        declared = type_for(entity)
        if self.settings.updated_since:
            async for page in self._read_feed(declared, cursor):
                yield page
            return
        listing = await self.client.listing(declared.path)
        skew = skew_of(self.settings)
        rules = SnapshotRules(
            system=SYSTEM,
            entity=declared.name,
            record_id=record_id,
            to_event=lambda row, seen: to_event(declared, row, seen, skew),
            page_size=self.settings.page_size,
            max_delete_fraction=self.settings.max_delete_fraction,
        )
        for page in snapshot_pages(rules, cursor, listing, utc_now()):
            yield page

    async def _read_feed(
        self, declared: CrmofficeType, cursor: Cursor | None
    ) -> AsyncIterator[SourcePage]:
        if cursor is not None and cursor.boundary_ids[:1] == (SNAPSHOT_MARK,):
            cursor = None  # a snapshot cursor from before the switch: start over
        tracker = CursorTracker(cursor)
        page, previous = 1, None
        skew, size = skew_of(self.settings), self.settings.page_size
        while True:
            since = tracker.since
            params: dict[str, Any] = {
                "updatedSince": iso_utc(since - skew if since else EARLIEST)
            }
            if self.settings.paging:
                params |= {"page": page, "pageSize": size}
            rows = await self.client.items(declared.path, params)
            events, bad = self._judge(declared, rows, tracker, since)
            if events or bad:
                yield SourcePage(events=events, cursor=tracker.cursor, bad_records=bad)
            if not self.settings.paging or len(rows) < size:
                return
            if len(rows) > size:
                logger.warning("%s GET %s ignores pageSize", SYSTEM, declared.path)
                return
            if tracker.since != since:
                page, previous = 1, None
                continue
            if rows == previous:
                msg = (
                    f"{SYSTEM} GET {declared.path}: page {page} repeats the one "
                    "before; set CRMOFFICE_PAGING=false if the API does not page"
                )
                raise FatalError(msg)
            page, previous = page + 1, rows

    def _judge(
        self,
        declared: CrmofficeType,
        rows: list[Any],
        tracker: CursorTracker,
        since: datetime | None,
    ) -> tuple[list[ChangeEvent], list[BadRecord]]:
        events: list[ChangeEvent] = []
        bad: list[BadRecord] = []
        for row in rows:
            try:
                event = to_event(declared, row, None, skew_of(self.settings))
            except InvalidRecordError as exc:
                position = self._position(row)
                if position is not None and tracker.seen(*position):
                    continue
                logger.warning("%s", exc)
                bad.append(
                    BadRecord(SYSTEM, declared.name, exc.record_id, str(exc), row)
                )
                if position is not None:
                    tracker.observe(*position)
                continue
            if tracker.seen(event.id, event.modified_at):
                continue
            if since is not None and event.modified_at < since:
                continue  # published before the cursor moved past it
            events.append(event)
            tracker.observe(event.id, event.modified_at)
        return events, bad

    def _position(self, row: Any) -> tuple[str, datetime] | None:
        """A bad row's (id, time) when both can be read, to publish it once."""
        rid = record_id(row)
        raw = row.get("updatedAt") if isinstance(row, dict) else None
        if not isinstance(raw, str):
            return None
        try:
            when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None or rid == "<missing>":
            return None
        return rid, when.astimezone(UTC) + skew_of(self.settings)
