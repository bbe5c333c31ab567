"""``ChargebeeSource``: changes by ``updated_at``, business entities by their events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from connectors.base.entity import EntitySpec
from connectors.base.pagination import CursorPaginator
from connectors.base.source import CursorTracker, HttpSource
from connectors.chargebee.client import (
    NEXT_OFFSET,
    SYSTEM,
    business_entity_events,
    list_page,
    list_rows,
)
from connectors.chargebee.entities import ENTITIES, ChargebeeEntity
from schemas.chargebee import datetime_to_millis


def _key(record_id: str, when: datetime) -> str:
    return f"{record_id}@{datetime_to_millis(when)}"


def _second(when: datetime) -> int:
    return datetime_to_millis(when) // 1000


class VersionTracker(CursorTracker):
    """The cursor of a Chargebee read: where the next read starts, what it skips.

    Chargebee filters on ``updated_at`` in whole seconds, while a record's
    modification time here is its ``resource_version`` (milliseconds). So a read
    asks again for the whole second of the cursor, and skips the versions it
    already published there: ``boundary_ids`` holds ``"<id>@<resource_version>"``
    for every record published in that second. A second write to the same record
    within one second has a new version and is therefore not skipped, nor is an
    older version in that second that was not published yet.

    Args:
        cursor: Where the read starts; ``None`` reads everything.
    """

    def seen(self, record_id: str, modified_at: datetime) -> bool:
        """Whether this version of the record was already published."""
        return _key(record_id, modified_at) in self.ids

    def observe(self, record_id: str, modified_at: datetime) -> None:
        """Account for a published version; the cursor only moves forward."""
        key = _key(record_id, modified_at)
        if self.since is None or _second(modified_at) > _second(self.since):
            self.since, self.ids = modified_at, {key}
        elif _second(modified_at) == _second(self.since):
            self.ids.add(key)
            self.since = max(self.since, modified_at)


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
    restarts = False
    tracker = VersionTracker

    def paginator(self, spec: EntitySpec) -> CursorPaginator[str | None]:
        """No offset for the first page, then whatever ``next_offset`` says."""
        return CursorPaginator(None, NEXT_OFFSET)

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        """One page of records (or entity events) from the second of ``since``."""
        assert isinstance(spec, ChargebeeEntity)
        path = f"/{spec.path}"
        params: dict[str, Any]
        if spec.name == "Business_entity":
            params = business_entity_events(self.settings.page_size)
            if since is not None:
                params["occurred_at[after]"] = _second(since) - 1
            body = await list_page(self.client, path, params, token)
            events = list_rows(self.client, body, "event", path)
            return [_entity_of(event, spec.wrapper) for event in events], body
        params = {
            "limit": self.settings.page_size,
            "sort_by[asc]": "updated_at",
            "include_deleted": "true",
        }
        if since is not None:
            # Whole seconds, exclusive: ask again for the cursor's own second.
            params["updated_at[after]"] = _second(since) - 1
        body = await list_page(self.client, path, params, token)
        return list_rows(self.client, body, spec.wrapper, path), body


def _entity_of(event: Any, wrapper: str) -> Any:
    """The resource an event carries; the event itself when it carries none."""
    content = event.get("content") if isinstance(event, Mapping) else None
    if isinstance(content, Mapping) and isinstance(content.get(wrapper), Mapping):
        return content[wrapper]
    return event
