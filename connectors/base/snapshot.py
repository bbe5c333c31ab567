"""Change detection for APIs without a change feed: full listings compared by hash.

Some types can only be listed in full (Membercare organizations, invoices,
products and countries; Crmoffice when its ``updatedSince`` assumption is off).
A source lists them, and ``snapshot_pages`` compares the listing with the previous
one kept *inside the cursor*: a short fingerprint per record id. Only records that
are new or changed become events; records that vanished become deletes, but
never on an empty or incomplete listing, nor when more than a set share vanished
at once (DESIGN.md rule 11: an empty or failed listing is never "everything was
deleted").

The cursor is an ordinary ``Cursor``: ``since`` is when the listing was observed
and ``boundary_ids`` holds ``SNAPSHOT_MARK`` followed by ``"<id>=<hash>"``
entries. Each entry takes about ``len(id) + 12`` bytes, so a type with 50,000
records makes a cursor of roughly 1 MB, more than one Kafka message may carry:
the worker's cursor store (``engine.cursors``) keeps such a cursor in chunks.

Each page's cursor is the previous snapshot plus the changes published so far, so
a crash between pages re-publishes only what was not yet flushed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.base.protocols import BadRecord, SourcePage
from connectors.base.records import MISSING_ID, fingerprint
from connectors.errors import InvalidRecordError
from schemas.envelope import ChangeEvent, Cursor, Operation

logger = logging.getLogger(__name__)

SNAPSHOT_MARK = "snapshot:v1"
"""The first ``boundary_ids`` entry of a snapshot cursor."""


@dataclass
class Snapshot:
    """What the previous listing held: fingerprint per record id.

    Attributes:
        since: When that listing was observed (UTC); ``None`` before the first.
        hashes: Record id -> fingerprint.
    """

    since: datetime | None = None
    hashes: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_cursor(cls, cursor: Cursor | None) -> Snapshot:
        """The snapshot a cursor holds; empty for ``None`` or any other cursor."""
        if cursor is None or cursor.boundary_ids[:1] != (SNAPSHOT_MARK,):
            return cls()
        hashes = {}
        for entry in cursor.boundary_ids[1:]:
            key, _, digest = entry.rpartition("=")
            hashes[key] = digest
        return cls(cursor.since, hashes)

    def to_cursor(self) -> Cursor:
        """The snapshot as a cursor."""
        entries = sorted(f"{key}={digest}" for key, digest in self.hashes.items())
        return Cursor(since=self.since, boundary_ids=(SNAPSHOT_MARK, *entries))


@dataclass(frozen=True)
class Listing:
    """Every record of a type, and whether the listing is known to be whole.

    Attributes:
        rows: The raw records, in the API's order.
        complete: Every page was read and the count matches what the API
            announced; only then may vanished records count as deleted.
    """

    rows: list[Any]
    complete: bool


@dataclass(frozen=True)
class SnapshotRules:
    """How one type's listing turns into events.

    Attributes:
        system: System id, for events and bad records.
        entity: Entity type.
        record_id: A raw record's id as text (``MISSING_ID`` when it has none).
        to_event: Validates a raw record into an event whose ``modified_at`` is
            the record's own time, or the observation time it is given when the
            type has none; raises ``InvalidRecordError``.
        page_size: Events per yielded page.
        max_delete_fraction: Above this share of the known records vanishing at
            once, no deletes are reported (a single one always is).
    """

    system: str
    entity: str
    record_id: Callable[[Any], str]
    to_event: Callable[[Any, datetime], ChangeEvent]
    page_size: int = 100
    max_delete_fraction: float = 0.5


_Change = tuple[str, str | None, ChangeEvent | BadRecord]


def snapshot_pages(
    rules: SnapshotRules, cursor: Cursor | None, listing: Listing, observed: datetime
) -> list[SourcePage]:
    """The pages of changes between the cursor's snapshot and ``listing``.

    Args:
        rules: The type's id, validation and limits.
        cursor: The previous snapshot cursor (anything else: everything is new).
        listing: The full listing just read.
        observed: When the listing was read (UTC).

    Returns:
        Pages of at most ``page_size`` events each; empty when nothing changed.
    """
    previous = Snapshot.from_cursor(cursor)
    since = observed
    if previous.since is not None and previous.since > observed:
        since = previous.since  # the wall clock stepped back: never move back
    current: dict[str, str] = {}
    changes: list[_Change] = []
    for row in listing.rows:
        key, digest, item = _judge(rules, row, since)
        if key in current:
            continue  # listed twice (the listing shifted while paging)
        current[key] = digest
        if previous.hashes.get(key) != digest:
            changes.append((key, digest, item))
    running = dict(previous.hashes)
    vanished = [key for key in previous.hashes if key not in current]
    if vanished and _may_delete(rules, listing, len(vanished), len(previous.hashes)):
        for key in vanished:
            if key.startswith("?"):
                running.pop(key)  # a bad row without an id: nothing to delete
                continue
            gone = ChangeEvent(
                system=rules.system,
                entity=rules.entity,
                id=key,
                op=Operation.DELETE,
                modified_at=since,
            )
            changes.append((key, None, gone))
    pages: list[SourcePage] = []
    for start in range(0, len(changes), max(1, rules.page_size)):
        events: list[ChangeEvent] = []
        bad: list[BadRecord] = []
        for name, new_digest, item in changes[start : start + rules.page_size]:
            if new_digest is None:
                running.pop(name, None)
            else:
                running[name] = new_digest
            if isinstance(item, BadRecord):
                bad.append(item)
            else:
                events.append(item)
        cursor_now = Snapshot(since, dict(running)).to_cursor()
        pages.append(SourcePage(events=events, cursor=cursor_now, bad_records=bad))
    return pages


def _judge(
    rules: SnapshotRules, row: Any, since: datetime
) -> tuple[str, str, ChangeEvent | BadRecord]:
    """A row's snapshot key, fingerprint and event (or bad record)."""
    record_id = rules.record_id(row)
    try:
        event = rules.to_event(row, since)
    except InvalidRecordError as exc:
        logger.warning("%s", exc)
        # "!" marks a bad row's hash, so the same row made valid counts as changed.
        digest = "!" + fingerprint(row)
        bad = BadRecord(rules.system, rules.entity, record_id, str(exc), row)
        # A row without an id is tracked by its content, so it is reported once.
        key = record_id if record_id != MISSING_ID else f"?{digest}"
        return key, digest, bad
    return event.id, fingerprint(event.data), event


def _may_delete(
    rules: SnapshotRules, listing: Listing, vanished: int, known: int
) -> bool:
    """Whether the vanished records may be reported as deleted."""
    if not listing.complete or not listing.rows:
        reason = "the listing is incomplete" if listing.rows else "the listing is empty"
    elif vanished > 1 and vanished > rules.max_delete_fraction * known:
        reason = f"more than {rules.max_delete_fraction:.0%} of {known} vanished"
    else:
        return True
    logger.warning(
        "%s %s: %d records missing from the listing, not reported as deleted: %s",
        rules.system,
        rules.entity,
        vanished,
        reason,
    )
    return False
