"""``ChargebeeSource``: changes by ``updated_at``, business entities by their events."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from datetime import datetime
from typing import Any

from connectors.base.entity import EntitySpec
from connectors.base.pagination import CursorPaginator
from connectors.base.protocols import BadRecord, SourcePage
from connectors.base.source import HttpSource
from connectors.chargebee._form import filter_list
from connectors.chargebee.client import (
    ENTITIES,
    SYSTEM,
    ChargebeeClient,
    ChargebeeEntity,
)
from connectors.errors import InvalidRecordError
from schemas.chargebee import datetime_to_millis
from schemas.envelope import ChangeEvent, Cursor, utc_now

logger = logging.getLogger(__name__)

NEXT_OFFSET = "next_offset"
BUSINESS_ENTITY_EVENTS = (
    "business_entity_created",
    "business_entity_updated",
    "business_entity_deleted",
)


def _key(record_id: str, when: datetime) -> str:
    return f"{record_id}@{datetime_to_millis(when)}"


def _second(when: datetime) -> int:
    return datetime_to_millis(when) // 1000


class VersionTracker:
    """The cursor of a Chargebee read: where the next read starts, what it skips.

    Chargebee filters on ``updated_at`` in whole seconds, while a record's
    modification time here is its ``resource_version`` (milliseconds). So a read
    asks again for the whole second of the cursor, and skips the versions it
    already published there: ``boundary_ids`` holds ``"<id>@<resource_version>"``
    for every record published in that second. A second write to the same record
    within one second has a new version and is therefore not skipped.

    Args:
        cursor: Where the read starts; ``None`` reads everything.
    """

    def __init__(self, cursor: Cursor | None) -> None:
        self.since: datetime | None = cursor.since if cursor else None
        self.keys: set[str] = set(cursor.boundary_ids) if cursor else set()

    def seen(self, record_id: str, when: datetime) -> bool:
        """Whether this version of the record was already published."""
        return _key(record_id, when) in self.keys

    def observe(self, record_id: str, when: datetime) -> None:
        """Account for a published version; the cursor only moves forward."""
        if self.since is None or _second(when) > _second(self.since):
            self.since, self.keys = when, {_key(record_id, when)}
            return
        if _second(when) == _second(self.since):
            self.keys.add(_key(record_id, when))
            self.since = max(self.since, when)

    @property
    def cursor(self) -> Cursor:
        """The cursor to resume from."""
        return Cursor(since=self.since, boundary_ids=tuple(sorted(self.keys)))


class ChargebeeSource(HttpSource):
    """Reads Chargebee changes oldest first, following ``next_offset`` to the end.

    Items, customers and orders: ``GET /{res}?updated_at[after]=&sort_by[asc]=
    updated_at&include_deleted=true``; deleted records become delete events.
    Business entities have no list call: their ``business_entity_*`` events are
    read instead, each carrying the entity as it was then.

    Unlike the base source, a read does not restart when its cursor moves: the
    offset is Chargebee's own keyset token, so a record edited mid-read is
    listed again later rather than shifting the pages.
    """

    system = SYSTEM
    specs = ENTITIES
    client: ChargebeeClient

    def paginator(self) -> CursorPaginator[str | None]:
        """No offset for the first page, then whatever ``next_offset`` says."""
        return CursorPaginator(None, NEXT_OFFSET)

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        """One page of records (or entity events) from the second of ``since``."""
        assert isinstance(spec, ChargebeeEntity)
        params: dict[str, Any] = {"limit": self.settings.page_size}
        if token is not None:
            params["offset"] = token
        path = f"/{spec.path}"
        if spec.name == "Business_entity":
            params["event_type[in]"] = filter_list(list(BUSINESS_ENTITY_EVENTS))
            params["sort_by[asc]"] = "occurred_at"
            if since is not None:
                params["occurred_at[after]"] = _second(since) - 1
            body = await self.client.get_json(path, params=params)
            events = self.client.list_rows(body, "event", path)
            return [_entity_of(event, spec.wrapper) for event in events], body
        params["sort_by[asc]"] = "updated_at"
        params["include_deleted"] = "true"
        if since is not None:
            # Whole seconds, exclusive: ask again for the cursor's own second.
            params["updated_at[after]"] = _second(since) - 1
        body = await self.client.get_json(path, params=params)
        return self.client.list_rows(body, spec.wrapper, path), body

    async def read(
        self, entity: str, cursor: Cursor | None
    ) -> AsyncIterator[SourcePage]:
        """Yield pages of changes from the cursor's second, skipping what it saw."""
        spec = self.spec(entity)
        tracker = VersionTracker(cursor)
        since = tracker.since
        paginator = self.paginator()
        while not paginator.finished:
            rows, body = await self.fetch_page(spec, since, paginator.current_token)
            page = self._versions(spec, rows, tracker)
            if page.events or page.bad_records:
                yield page
            paginator.advance(body)

    def _versions(
        self, spec: EntitySpec, rows: list[Any], tracker: VersionTracker
    ) -> SourcePage:
        events: list[ChangeEvent] = []
        bad: list[BadRecord] = []
        now = utc_now()
        for row in rows:
            try:
                event = spec.to_event(self.system, row, self.limits, now)
            except InvalidRecordError as exc:
                position = spec.position(row, now + self.limits.max_future)
                if position is not None and tracker.seen(*position):
                    continue
                logger.warning("%s", exc)
                bad.append(
                    BadRecord(self.system, spec.name, exc.record_id, str(exc), row)
                )
                if position is not None:
                    tracker.observe(*position)
                continue
            if tracker.seen(event.id, event.modified_at):
                continue
            events.append(event)
            tracker.observe(event.id, event.modified_at)
        return SourcePage(events=events, cursor=tracker.cursor, bad_records=bad)


def _entity_of(event: Any, wrapper: str) -> Any:
    """The resource an event carries; the event itself when it carries none."""
    content = event.get("content") if isinstance(event, Mapping) else None
    if isinstance(content, Mapping) and isinstance(content.get(wrapper), Mapping):
        return content[wrapper]
    return event
