"""``WebcrmSource``: reads the ``/Queries`` change feed ordered by ``{E}UpdatedAt``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base.entity import EntitySpec
from connectors.base.pagination import PageNumberPaginator
from connectors.base.source import HttpSource
from connectors.webcrm.client import SYSTEM
from connectors.webcrm.entities import ENTITIES
from schemas.utc import utc_text

QUERIES_PATH = "/Queries"

# With no cursor the feed is read from the start of time: Webcrm writes
# 0001-01-01 for empty dates, so no later floor is safe.
EARLIEST = datetime(1, 1, 1, tzinfo=UTC)


def change_query(spec: EntitySpec, since: datetime) -> str:
    """The one query pattern Webcrm's ``/Queries`` needs to serve.

    The table is the entity's singular (``Organisation``), as in its field names.
    """
    column = spec.updated_field or ""
    table = column.removesuffix("UpdatedAt")
    where = f"WHERE {column} >= '{utc_text(since)}'"
    return f"SELECT * FROM {table} {where} ORDER BY {column}"  # noqa: S608 - no input


class WebcrmSource(HttpSource):
    """Webcrm changes: ``GET /Queries?script=...&Page=&Size=``, bare arrays.

    Rows carry an extra ``RowNumber`` column, which the wire models ignore. Paging
    stops at an empty array (Webcrm sends no next link).
    """

    system = SYSTEM
    specs = ENTITIES

    def paginator(self, spec: EntitySpec) -> PageNumberPaginator:
        """Pages 1, 2, ... until an empty array."""
        return PageNumberPaginator()

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        """One page of the change query from ``since`` (inclusive)."""
        params = {
            "script": change_query(spec, since or EARLIEST),
            "Page": token,
            "Size": self.settings.page_size,
        }
        body = await self.client.get_json(QUERIES_PATH, params=params)
        if not isinstance(body, list):
            kind = "an empty body" if body is None else f"a JSON {type(body).__name__}"
            problem = f"expected a JSON array of {spec.name}, got {kind}"
            error = self.client.shape_error("GET", QUERIES_PATH, problem, body)
            raise error
        return body, body
