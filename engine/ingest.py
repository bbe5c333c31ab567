"""Source polling: read a system's changes and publish them, cursor last.

The cursor moves only after the broker acknowledged every event of the page
(rule 13; ``flush`` raises ``TransientError`` otherwise): a crash or a failed
send re-reads the page, and the flows recognise what they already processed.
An event the broker can never take (larger than a Kafka message may be) is
dead-lettered like a bad record, and the rest of the page goes on.

This is the one place that treats ``MalformedResponseError`` apart from other
transient errors: a page the system answered with an unusable body is
dead-lettered (once per cursor, through ``reject``) and read again next poll;
the cursor stays where it was, so nothing after it is skipped. A read that gets
through settles the page letters of its entity type (``pages_settled``), so a
page that breaks again later is reported again. Any other ``TransientError``
leaves this function for the caller to retry on its next tick.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from connectors.base.protocols import BadRecord, Source
from connectors.errors import MalformedResponseError, RecordError
from engine.badinput import page_letter
from schemas.envelope import ChangeEvent, Cursor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollPorts:
    """Where a poll publishes to, injected by the worker (or a test).

    ``publish`` sends one event, or raises ``RecordError`` for one that can
    never be sent (too large); ``reject`` returns once its dead letter is
    acknowledged; ``flush`` returns once everything published since its last
    call is acknowledged, and raises ``TransientError`` when something is not.
    """

    publish: Callable[[ChangeEvent], Awaitable[None]]
    reject: Callable[[BadRecord], Awaitable[None]]
    flush: Callable[[], Awaitable[None]]
    load_cursor: Callable[[str, str], Cursor | None]
    save_cursor: Callable[[str, str, Cursor], Awaitable[None]]
    pages_settled: Callable[[str, str], None] = lambda system, entity: None
    """(system, entity) was read without an unusable page: forget its page letters."""


@dataclass
class PollStats:
    """What one poll of one entity type did."""

    events: int = 0
    bad_records: int = 0
    pages: int = 0
    malformed: bool = False


async def poll_entity(
    source: Source, entity: str, ports: PollPorts, *, full: bool = False
) -> PollStats:
    """Publish every change of ``entity`` since its cursor; save the cursor per page.

    ``full`` re-reads everything (a periodic resync that heals whatever a crash
    or an outage may have left behind); the saved cursor still only moves forward.
    """
    stats = PollStats()
    saved = ports.load_cursor(source.system, entity)
    try:
        async for page in source.read(entity, None if full else saved):
            refused: list[BadRecord] = []
            for event in page.events:
                try:
                    await ports.publish(event)
                except RecordError as exc:
                    refused.append(_unpublishable(event, exc))
            for bad in [*refused, *page.bad_records]:
                await ports.reject(bad)
            await ports.flush()
            if not full or _ahead(page.cursor, saved):
                await ports.save_cursor(source.system, entity, page.cursor)
                saved = page.cursor
            stats.pages += 1
            stats.events += len(page.events) - len(refused)
            stats.bad_records += len(page.bad_records) + len(refused)
    except MalformedResponseError as exc:
        # Not retried here: the next poll asks for the same page again.
        log.warning(
            "%s %s: %s; read again next poll",
            source.system,
            entity,
            exc,
            extra={"system": source.system, "type": entity},
        )
        await ports.reject(page_letter(source.system, entity, saved, exc))
        await ports.flush()
        stats.malformed = True
    else:
        ports.pages_settled(source.system, entity)
    if stats.events or stats.bad_records:
        log.info(
            "%s %s: published %d changes, %d bad records",
            source.system,
            entity,
            stats.events,
            stats.bad_records,
            extra={"system": source.system, "type": entity},
        )
    return stats


def _unpublishable(event: ChangeEvent, error: RecordError) -> BadRecord:
    return BadRecord(event.system, event.entity, event.id, str(error), event.data)


def _ahead(cursor: Cursor, saved: Cursor | None) -> bool:
    if saved is None or saved.since is None:
        return True
    return cursor.since is not None and cursor.since > saved.since
