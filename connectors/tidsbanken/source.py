"""``TidsbankenSource``: ``$filter=SistEndretDato gt ...`` ordered, paged by $skip."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.base.entity import EntitySpec
from connectors.base.pagination import Paginator
from connectors.base.protocols import SourcePage
from connectors.base.snapshot import fingerprint
from connectors.base.source import HttpSource
from connectors.errors import FatalError
from connectors.tidsbanken.client import (
    ENTITIES,
    SYSTEM,
    TIME_FIELD,
    corrected,
    skew_of,
)
from connectors.tidsbanken.settings import TidsbankenSettings
from schemas.envelope import Cursor

# SistEndretDato has millisecond precision; asking for "gt since - 1 ms" makes the
# strict "gt" inclusive of ``since``, which the keyset read needs (records sharing
# the boundary instant may be split over two pages).
_TICK = timedelta(milliseconds=1)


def odata_time(moment: datetime) -> str:
    """An unquoted OData date-time literal in UTC: ``2024-03-01T10:15:30.123Z``."""
    text = moment.astimezone(UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")


def values(body: Any) -> list[Any] | None:
    """The ``value`` array of an OData body, or None when the body has none."""
    rows = body.get("value") if isinstance(body, Mapping) else None
    return rows if isinstance(rows, list) else None


class SkipTopPaginator(Paginator[int]):
    """``$skip`` offsets of ``top`` rows; a short page is the last one.

    Sesam stops on an empty page; stopping on a short one saves that request.

    Args:
        top: Rows per page (``$top``).
    """

    def __init__(self, top: int) -> None:
        super().__init__(0)
        self.top = top
        self._last_page: str | None = None

    def has_more(self, response: Any) -> bool:
        """A full page may have more behind it."""
        rows = values(response)
        return rows is not None and len(rows) >= self.top

    def next_token(self, response: Any) -> int:
        """The next offset; raises when a page repeats the one before it.

        The offset always grows, so a server that ignores ``$skip`` would page
        forever: the same page twice means it does.
        """
        page = fingerprint(values(response))
        if page == self._last_page:
            msg = f"$skip={self._token} repeats the page before; the listing loops"
            raise FatalError(msg)
        self._last_page = page
        return self._token + self.top


class TidsbankenSource(HttpSource):
    """Tidsbanken changes, oldest first, with ``SistEndretDato`` corrected to UTC.

    The base class works in the API's label time (its filter compares labels);
    ``read`` moves the cursor into it and the events and cursors out of it by the
    entity's clock skew, so everything tether sees is true UTC.
    """

    system = SYSTEM
    specs = ENTITIES
    settings: TidsbankenSettings

    def paginator(self) -> SkipTopPaginator:
        """Offsets 0, top, 2*top, ... until a short page."""
        return SkipTopPaginator(self.settings.page_size)

    async def read(
        self, entity: str, cursor: Cursor | None
    ) -> AsyncIterator[SourcePage]:
        """Changes at or after ``cursor`` (UTC), with UTC modification times."""
        skew = skew_of(self.settings, entity)
        label_cursor = _shift(cursor, -skew)
        async for page in super().read(entity, label_cursor):
            shifted = _shift(page.cursor, skew)
            assert shifted is not None  # a page's cursor is never None
            yield SourcePage(
                events=[corrected(event, skew) for event in page.events],
                cursor=shifted,
                bad_records=page.bad_records,
            )

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        """One page of rows labelled at or after ``since`` (label time)."""
        params: dict[str, Any] = {
            "$orderby": f"{TIME_FIELD} asc,Id asc",
            "$top": self.settings.page_size,
            "$skip": token,
        }
        if since is not None:
            params["$filter"] = f"{TIME_FIELD} gt {odata_time(since - _TICK)}"
        body = await self.client.get_json(spec.path, params=params)
        rows = values(body)
        if rows is None:
            problem = 'expected {"@odata.context": ..., "value": [...]}'
            error = self.client.shape_error("GET", spec.path, problem)
            raise error
        if since is None:
            return rows, body
        # Rows older than the cursor were published before it moved (the feed is
        # ordered by time); only the 1 ms overlap can bring them back.
        kept = []
        for row in rows:
            position = spec.position(row)
            if position is None or position[1] >= since:
                kept.append(row)
        return kept, body


def _shift(cursor: Cursor | None, by: timedelta) -> Cursor | None:
    if cursor is None or cursor.since is None or not by:
        return cursor
    return Cursor(since=cursor.since + by, boundary_ids=cursor.boundary_ids)
