"""``CustomRestSource``: changes from ``GET /{res}?updated_since=&page=&page_size=``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from connectors.base.entity import EntitySpec
from connectors.base.pagination import CursorPaginator
from connectors.base.source import HttpSource
from connectors.customrest.client import NEXT_PAGE, rows
from schemas.utc import utc_text


class CustomRestSource(HttpSource):
    """Changes of a system on our contract; soft-deleted records become deletes."""

    def paginator(self, spec: EntitySpec) -> CursorPaginator[int]:
        """Page 1, then whatever ``next_page`` says, until it is ``null``."""
        return CursorPaginator(1, NEXT_PAGE)

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        """One page of records updated at or after ``since``."""
        path = f"/{spec.path}"
        params: dict[str, Any] = {"page": token, "page_size": self.settings.page_size}
        if since is not None:
            params["updated_since"] = utc_text(since)
        body = await self.client.get_json(path, params=params)
        return rows(self.client, path, body), body
