"""``MembercareSource``: debtors from the ``/debtors`` feed, the rest by snapshot.

Membercare has one change feed, ``GET /v1/debtors?changedAfter=<local time>``, for
persons and companies. Its items are the Debtor base fields, so each changed
debtor is fetched in full from ``/v1/companies/{dan}`` or ``/v1/persons/{dan}``
(its self link says which). Organizations, invoices, products and countries
have no feed: they are listed in full and compared with the previous listing
kept in the cursor (``connectors.base.snapshot``); since they carry no
modification time either, their events are stamped with when tether saw them.

Times: ``lastChange`` has no offset; it is the tenant's local time
(``MEMBERCARE_TIME_ZONE``, Europe/Oslo) and becomes UTC with it, plus
``MEMBERCARE_CLOCK_SKEW_SECONDS``. The cursor is UTC; ``changedAfter`` is sent
back in local time, one millisecond early, because the feed is strictly "after"
while the keyset read needs the boundary instant again (the ids already
published there are skipped). The cursor follows the feed's own times, so the
feed's order holds even when a debtor changed again before it was fetched.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from pydantic import ValidationError

from connectors.base.entity import EntitySpec
from connectors.base.pagination import NextLinkPaginator, scan
from connectors.base.records import invalid_record, validation_reason
from connectors.base.sink import item_path
from connectors.base.snapshot import Listing
from connectors.base.source import GONE, HttpSource
from connectors.membercare.client import DEBTORS_PATH, SYSTEM, envelope, paginator
from connectors.membercare.entities import ENTITIES
from connectors.membercare.settings import MembercareSettings
from schemas.membercare import Debtor

logger = logging.getLogger(__name__)

_TICK = timedelta(milliseconds=1)


def debtor_kind(item: Mapping[str, Any]) -> str | None:
    """``companies`` or ``persons`` from a feed item's self link, else None."""
    url = item.get("url")
    if not isinstance(url, str):
        return None
    for kind in ("companies", "persons"):
        if f"/{kind}/" in url:
            return kind
    return None


class MembercareSource(HttpSource):
    """Reads Membercare changes; see the module docstring for how."""

    system = SYSTEM
    specs = ENTITIES
    skips_older = True
    settings: MembercareSettings

    def paginator(self, spec: EntitySpec) -> NextLinkPaginator:
        """Page numbers while the envelope names a next page."""
        return paginator(spec.path if self.snapshot(spec) else DEBTORS_PATH)

    async def fetch_page(
        self, spec: EntitySpec, since: datetime | None, token: Any
    ) -> tuple[list[Any], Any]:
        """A page of the listing, or the feed's items of ``spec``'s kind."""
        query: dict[str, Any] = {"page": token, "pageSize": self.settings.page_size}
        if self.snapshot(spec):
            body = await envelope(self.client, spec.path, query)
            return body["result"], body
        if since is not None:
            local = self.settings.clock(spec.name).to_local_text(since - _TICK)
            query = {"changedAfter": local, **query}
        body = await envelope(self.client, DEBTORS_PATH, query)
        kind = spec.path.rpartition("/")[2]
        rows = []
        for item in body["result"]:
            found = debtor_kind(item) if isinstance(item, Mapping) else None
            if found is None:
                logger.warning("%s debtors feed: an item without a usable url", SYSTEM)
            elif found == kind:
                rows.append(item)
        return rows, body

    async def resolve(self, spec: EntitySpec, row: Any) -> Any:
        """The debtor a feed item names, fetched in full; ``GONE`` once gone."""
        record_id = spec.record_id(row)
        try:
            Debtor.model_validate(row)
        except ValidationError as exc:
            reason = f"feed item: {validation_reason(exc)}"
            raise invalid_record(SYSTEM, spec.name, record_id, reason) from None
        path = item_path(spec.path, record_id)
        record = await self.client.get_json_optional(path)
        if record is None:
            logger.info(
                "%s %s %s left the feed before it was read",
                SYSTEM,
                spec.name,
                record_id,
            )
            return GONE
        return record

    async def listing(self, spec: EntitySpec) -> Listing:
        """Every record of a collection; complete when the count adds up."""
        rows: list[Any] = []
        announced: int | None = None
        fetch = partial(self.fetch_page, spec, None)
        async for page, body in scan(self.paginator(spec), fetch):
            rows.extend(page)
            announced = body["totalCount"]
        return Listing(rows, complete=announced is not None and announced == len(rows))
