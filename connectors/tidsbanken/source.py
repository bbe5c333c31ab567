"""``TidsbankenSource``: ``$filter=SistEndretDato gt ...`` ordered, paged by $skip."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from connectors.base.entity import EntitySpec
from connectors.base.pagination import OffsetPaginator
from connectors.base.source import HttpSource
from connectors.tidsbanken.client import SYSTEM, odata_time, values
from connectors.tidsbanken.entities import ENTITIES, TIME_FIELD
from connectors.tidsbanken.settings import TidsbankenSettings

# SistEndretDato has millisecond precision; asking for "gt since - 1 ms" makes the
# strict "gt" inclusive of ``since``, which the keyset read needs (records sharing
# the boundary instant may be split over two pages).
_TICK = timedelta(milliseconds=1)


class TidsbankenSource(HttpSource):
    """Tidsbanken changes, oldest first, with ``SistEndretDato`` corrected to UTC.

    Records carry the API's label time, which the entity's clock skew turns into
    true UTC (``TidsbankenSettings.clock``); the filter is sent in label time.
    """

    system = SYSTEM
    specs = ENTITIES
    skips_older = True
    settings: TidsbankenSettings

    def paginator(self, spec: EntitySpec) -> OffsetPaginator:
        """Offsets 0, top, 2*top, ... until a short page."""
        where = f"{SYSTEM} GET {spec.path}"
        return OffsetPaginator(self.settings.page_size, where=where)

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        """One page of rows labelled at or after ``since`` (given in true UTC)."""
        params: dict[str, Any] = {
            "$orderby": f"{TIME_FIELD} asc,Id asc",
            "$top": self.settings.page_size,
            "$skip": token,
        }
        if since is not None:
            label = self.settings.clock(spec.name).to_local(since)
            params["$filter"] = f"{TIME_FIELD} gt {odata_time(label - _TICK)}"
        body = await self.client.get_json(spec.path, params=params)
        rows = values(body)
        if rows is None:
            problem = 'expected {"@odata.context": ..., "value": [...]}'
            error = self.client.shape_error("GET", spec.path, problem)
            raise error
        return rows, rows
