"""``CrmofficeSource``: ``?updatedSince=`` keyset reads, or snapshots without it.

With the ``updated_since`` assumption on, every request asks for records updated
at or after the cursor (from 1970 without one, so the list comes ordered by
``updatedAt``), restarting at page 1 whenever a page moves the cursor; the ids
already published at the cursor's instant are skipped. Switched off, each read
lists everything and publishes what changed since the previous listing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base.entity import EntitySpec
from connectors.base.pagination import Paginator
from connectors.base.source import HttpSource
from connectors.crmoffice.client import SYSTEM, items, paginator
from connectors.crmoffice.entities import ENTITIES
from connectors.crmoffice.settings import CrmofficeSettings
from schemas.utc import utc_text

EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


class CrmofficeSource(HttpSource):
    """Reads Crmoffice companies, contacts and activities."""

    system = SYSTEM
    specs = ENTITIES
    skips_older = True
    settings: CrmofficeSettings

    def snapshot(self, spec: EntitySpec) -> bool:
        """Full listings when the ``updated_since`` assumption is off."""
        return not self.settings.updated_since

    def paginator(self, spec: EntitySpec) -> Paginator[Any]:
        """Pages of ``page_size`` until a short one, or one page without paging."""
        return paginator(self.settings, spec.path)

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        """One page of records updated at or after ``since`` (sent in its time)."""
        params: dict[str, Any] = {}
        if self.settings.updated_since:
            label = self.settings.clock(spec.name).to_local(since) if since else None
            params["updatedSince"] = utc_text(
                label or EARLIEST, timespec="milliseconds"
            )
        rows = await items(self.client, self.settings, spec.path, params, token)
        return rows, rows
