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
published there are skipped).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from datetime import timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import ValidationError

from connectors.base.client import HttpClient
from connectors.base.entity import validation_reason
from connectors.base.protocols import BadRecord, SourcePage
from connectors.base.snapshot import SnapshotRules, snapshot_pages
from connectors.base.source import CursorTracker
from connectors.errors import InvalidRecordError
from connectors.membercare.client import (
    DEBTORS_PATH,
    SYSTEM,
    TYPES,
    MembercareType,
    NextPageUrlPaginator,
    membercare_client,
    record_id,
    to_event,
    type_for,
)
from connectors.membercare.settings import MembercareSettings
from schemas.envelope import ChangeEvent, Cursor, utc_now
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


class MembercareSource:
    """Reads Membercare changes; see the module docstring for how.

    Args:
        client: The Membercare client, shared with the sink.
        settings: Membercare settings.
    """

    system: ClassVar[str] = SYSTEM

    def __init__(self, client: HttpClient, settings: MembercareSettings) -> None:
        self.client = membercare_client(client)
        self.settings = settings

    def entities(self) -> tuple[str, ...]:
        """Countries, Products, Companies, Persons, Organizations, Invoices."""
        return tuple(declared.name for declared in TYPES)

    async def read(
        self, entity: str, cursor: Cursor | None
    ) -> AsyncIterator[SourcePage]:
        """Pages of changes after ``cursor``; everything without one."""
        declared = type_for(entity)
        if declared.feed is not None:
            async for page in self._read_feed(declared, cursor):
                yield page
            return
        # Listed in full before anything is compared: a failed listing raises
        # here and reports nothing, least of all deletes.
        listing = await self.client.listing(declared.path)
        clock = self.client.clock
        rules = SnapshotRules(
            system=SYSTEM,
            entity=declared.name,
            record_id=lambda row: record_id(declared, row),
            to_event=lambda row, seen: to_event(declared, row, seen, clock),
            page_size=self.settings.page_size,
            max_delete_fraction=self.settings.max_delete_fraction,
        )
        for page in snapshot_pages(rules, cursor, listing, utc_now()):
            yield page

    async def _read_feed(
        self, declared: MembercareType, cursor: Cursor | None
    ) -> AsyncIterator[SourcePage]:
        """Keyset read of ``/debtors``, restarting at page 1 when the cursor moves."""
        tracker = CursorTracker(cursor)
        paginator = NextPageUrlPaginator()
        clock = self.client.clock
        while not paginator.finished:
            since = tracker.since
            params: dict[str, Any] = {}
            if since is not None:
                params["changedAfter"] = clock.to_local_text(since - _TICK)
            query = {
                **params,
                "page": paginator.page,
                "pageSize": self.settings.page_size,
            }
            envelope = await self.client.envelope(DEBTORS_PATH, query)
            events: list[ChangeEvent] = []
            bad: list[BadRecord] = []
            for item in envelope.result:
                await self._feed_item(declared, item, tracker, since, events, bad)
            if events or bad:
                yield SourcePage(events=events, cursor=tracker.cursor, bad_records=bad)
            paginator.advance(envelope, f"{SYSTEM} GET {DEBTORS_PATH}")
            if tracker.since != since and not paginator.finished:
                paginator = NextPageUrlPaginator()

    async def _feed_item(
        self,
        declared: MembercareType,
        item: Any,
        tracker: CursorTracker,
        since: Any,
        events: list[ChangeEvent],
        bad: list[BadRecord],
    ) -> None:
        """Fetch and judge one feed item of ``declared``'s kind; skip the rest."""
        if not isinstance(item, Mapping) or debtor_kind(item) != declared.feed:
            if not isinstance(item, Mapping) or debtor_kind(item) is None:
                logger.warning("%s debtors feed: an item without a usable url", SYSTEM)
            return
        rid = record_id(declared, item)
        try:
            debtor = Debtor.model_validate(item)
        except ValidationError as exc:
            reason = f"feed item: {validation_reason(exc)}"
            bad.append(BadRecord(SYSTEM, declared.name, rid, reason, dict(item)))
            return
        fed_at = self.client.clock.to_utc(debtor.last_change)
        if tracker.seen(rid, fed_at) or (since is not None and fed_at < since):
            return  # published before the cursor moved here
        row = await self.client.get_json_optional(f"{declared.path}/{quote(rid)}")
        if row is None:
            logger.info(
                "%s %s %s left the feed before it was read", SYSTEM, declared.name, rid
            )
        else:
            try:
                events.append(to_event(declared, row, fed_at, self.client.clock))
            except InvalidRecordError as exc:
                logger.warning("%s", exc)
                bad.append(BadRecord(SYSTEM, declared.name, rid, str(exc), row))
        # The cursor follows the feed's own times, so the feed's order holds.
        tracker.observe(rid, fed_at)
