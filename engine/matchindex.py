"""Matching by natural key against one listing of the target, kept current by
changed-since reads, instead of a search of the target per record.

Before a create, ``linking`` asks whether the target already holds the record's
natural key (DESIGN.md rules 1 and 6). A search per record costs a target call
per record, and Webcrm can only filter by time, so its search lists the whole
type every time. A ``MatchIndex`` lists each target type once per worker, then
reads only what changed since (the target source's own cursor: its feed, or
its ``updatedSince``), at most once per ``max_age`` seconds and only when a
lookup needs it: a miss is trusted only from a read that started at most
``max_age`` ago, so a target created since (by a person, or by another worker)
is seen before tether decides to create it. tether's own creates enter the
index at once. Hits are records as listed, which may lag: ``changes.settle``
reads a hit again before anything is written.

"Cannot tell" is never "none": a listed record that failed validation whose
raw key could be the one looked for, and any type only listed in full (no
change feed: an incremental read would list everything again), make the
lookup fall back to the target's search, as before.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.protocols import BadRecord, Source
from connectors.base.settings import load_settings
from connectors.base.snapshot import SNAPSHOT_MARK
from connectors.errors import MalformedResponseError
from engine import mapping
from schemas.envelope import ChangeEvent, Cursor, Operation
from schemas.paths import get_value

log = logging.getLogger(__name__)

_BROKEN_SECONDS = 60.0
"""How long a type whose listing came back unusable is searched instead."""

KeySpec = tuple[str, str]
"""A target path and how its values are normalised."""


class MatchIndexSettings(BaseSettings):
    """How matching reads the target (``TETHER_MATCH_INDEX_*``)."""

    model_config = SettingsConfigDict(env_prefix="TETHER_MATCH_INDEX_", frozen=True)

    enabled: bool = True
    # A miss is trusted from a read of the target that started at most this long
    # ago; 0 reads the target's changes before every decision to create.
    max_age_seconds: float = Field(2.0, ge=0)


@dataclass
class _Listing:
    """One target type as listed and kept current.

    Records are kept as compact JSON (a few hundred bytes each, not a few
    kilobytes of objects): a type of 100,000 records stays small.
    """

    system: str
    entity: str
    records: dict[str, tuple[datetime, bytes]] = field(default_factory=dict)
    unreadable: dict[str, Any] = field(default_factory=dict)
    keys: dict[KeySpec, dict[str, set[str]]] = field(default_factory=dict)
    cursor: Cursor | None = None
    read_at: float | None = None
    full_only: bool = False
    broken_until: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def put(self, event: ChangeEvent) -> None:
        self._drop(event.id)
        self.unreadable.pop(event.id, None)
        if event.op is Operation.DELETE or event.data is None:
            return
        packed = json.dumps(event.data, separators=(",", ":"), default=str)
        self.records[event.id] = (event.modified_at, packed.encode())
        for spec, values in self.keys.items():
            values.setdefault(_key(event.data, spec), set()).add(event.id)

    def reject(self, bad: BadRecord) -> None:
        self._drop(bad.record_id)
        self.unreadable[bad.record_id] = bad.payload

    def forget(self, record_id: str) -> None:
        self._drop(record_id)
        self.unreadable.pop(record_id, None)

    def clear(self) -> None:
        self.records.clear()
        self.keys.clear()

    def _drop(self, record_id: str) -> None:
        old = self.records.pop(record_id, None)
        if old is None or not self.keys:
            return
        data = json.loads(old[1])
        for spec, values in self.keys.items():
            ids = values.get(_key(data, spec))
            if ids is not None:
                ids.discard(record_id)

    def event(self, record_id: str) -> ChangeEvent:
        modified_at, packed = self.records[record_id]
        return ChangeEvent(
            system=self.system,
            entity=self.entity,
            id=record_id,
            data=json.loads(packed),
            modified_at=modified_at,
        )

    def holding(self, spec: KeySpec, wanted: str) -> list[ChangeEvent] | None:
        """The records whose key is ``wanted``; ``None`` when that cannot be told."""
        if any(_may_hold(raw, spec, wanted) for raw in self.unreadable.values()):
            return None
        if spec not in self.keys:
            values: dict[str, set[str]] = {}
            for record_id, (_, packed) in self.records.items():
                key = _key(json.loads(packed), spec)
                values.setdefault(key, set()).add(record_id)
            self.keys[spec] = values
        ids = self.keys[spec].get(wanted, set())
        return [self.event(i) for i in sorted(ids)]


def _key(data: dict[str, Any], spec: KeySpec) -> str:
    path, normalize = spec
    value = get_value(data, path)
    return "" if mapping.is_empty(value) else mapping.normalize_key(value, normalize)


def _may_hold(raw: Any, spec: KeySpec, wanted: str) -> bool:
    """Whether an unreadable record could hold the key (unknown counts as yes)."""
    if not isinstance(raw, dict):
        return True
    try:
        return _key(raw, spec) == wanted
    except Exception:  # noqa: BLE001 - a value no key can be made of: unknown
        return True


class MatchIndex:
    """Every record of the target types flows create into, by natural key.

    Args:
        source: The source of a system (reads its types' listings and changes).
        settings: How fresh a miss must be.
        clock: Seconds, monotonic.
    """

    def __init__(
        self,
        source: Callable[[str], Source],
        settings: MatchIndexSettings | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._max_age = (settings or MatchIndexSettings()).max_age_seconds
        self._clock = clock
        self._listings: dict[tuple[str, str], _Listing] = {}
        self.reads = 0  # listing and change reads made, for benchmarks and tests

    async def lookup(
        self, system: str, entity: str, path: str, normalize: str, wanted: str
    ) -> list[ChangeEvent] | None:
        """The live records whose normalised ``path`` is ``wanted``.

        ``None`` when the index cannot tell (the caller searches instead).
        """
        listing = self._listings.get((system, entity))
        if listing is None:
            listing = self._listings[(system, entity)] = _Listing(system, entity)
            # A type its source does not publish cannot be listed: searched.
            listing.full_only = entity not in self._source(system).entities()
        if listing.full_only or not wanted or self._clock() < listing.broken_until:
            return None
        try:
            await self._fresh(system, entity, listing)
        except MalformedResponseError as exc:
            # A page the API keeps answering unusably must not stop every
            # create: searching works around it for a while (as before).
            log.warning("match index %s %s: %s; searching", system, entity, exc)
            listing.broken_until = self._clock() + _BROKEN_SECONDS
            return None
        if listing.full_only:
            return None
        return listing.holding((path, normalize), wanted)

    def created(self, system: str, entity: str, record: ChangeEvent) -> None:
        """A record tether created: matched from now on, before any read shows it."""
        listing = self._listings.get((system, entity))
        if listing is not None and record.data is not None:
            listing.put(record)

    def gone(self, system: str, entity: str, record_id: str) -> None:
        """A listed record found missing: no longer a match."""
        listing = self._listings.get((system, entity))
        if listing is not None:
            listing.forget(record_id)

    async def _fresh(self, system: str, entity: str, listing: _Listing) -> None:
        """Read what changed since the last read, unless that began recently."""
        if self._recent(listing):
            return
        async with listing.lock:
            if self._recent(listing):  # read meanwhile by another lookup
                return
            started = self._clock()
            first = listing.cursor is None
            self.reads += 1
            async for page in self._source(system).read(entity, listing.cursor):
                for event in page.events:
                    listing.put(event)
                for bad in page.bad_records:
                    listing.reject(bad)
                listing.cursor = page.cursor
            listing.read_at = started
            marks = listing.cursor.boundary_ids if listing.cursor else ()
            if marks and marks[0] == SNAPSHOT_MARK:
                # Listed in full every time: searching is cheaper than re-listing.
                listing.full_only = True
                listing.clear()
            if first and listing.cursor is not None:
                log.info(
                    "match index %s %s: %d records listed",
                    system,
                    entity,
                    len(listing.records),
                )

    def _recent(self, listing: _Listing) -> bool:
        if listing.read_at is None or not self._max_age:
            return False
        return self._clock() - listing.read_at <= self._max_age


def match_index(source: Callable[[str], Source]) -> MatchIndex | None:
    """The worker's match index as its settings say (``None``: search instead)."""
    settings = load_settings(MatchIndexSettings)
    return MatchIndex(source, settings) if settings.enabled else None
