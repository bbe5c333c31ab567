"""One source system's polling: which types, when a full re-read is due, cursors,
and which bad records were dead-lettered already.

``ingest.poll_entity`` reads one type; a ``SourcePoller`` runs it for each type
of a system on every tick of the leader's timer (``streams.topology``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from connectors.base.protocols import BadRecord, Source
from connectors.errors import InvalidRecordError, TransientError
from engine import metrics
from engine.badinput import LetterMemo, letter_key, safe
from engine.control import ResyncRequest, ResyncRequests
from engine.cursors import CursorTable
from engine.delivery import dead_letter
from engine.ingest import PollPorts, poll_entity
from engine.pacing import PollPacer
from schemas.dataflow import Flow, TargetMode
from schemas.envelope import ChangeEvent, Cursor, DeadLetter
from schemas.utc import utc_now

log = logging.getLogger(__name__)

__all__ = [
    "Catalogs",
    "CursorTable",
    "PollOutputs",
    "SourcePoller",
    "polled_entities",
]


@dataclass(frozen=True)
class PollOutputs:
    """Where a poll's results go.

    Attributes:
        publish: A change onto its entity topic (sent, not yet acknowledged);
            raises ``RecordError`` for a change that can never be sent.
        dead_letter: A record or page the source could not use; returns once
            the broker acknowledged the letter.
        flush: Wait until everything published so far is acknowledged; raises
            ``TransientError`` when something was not (the cursor stays).
    """

    publish: Callable[[ChangeEvent], Awaitable[None]]
    dead_letter: Callable[[DeadLetter], Awaitable[None]]
    flush: Callable[[], Awaitable[None]]


class SourcePoller:
    """Polls the given types of one system, in order, each tick its pacer allows.

    A type that fails (``TransientError``) is read again next poll; the types
    after it are still read now.
    """

    def __init__(
        self,
        source: Source,
        entities: Sequence[str],
        outputs: PollOutputs,
        cursors: CursorTable,
        *,
        resync_interval: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
        pacer: PollPacer | None = None,
        requests: ResyncRequests | None = None,
    ) -> None:
        self.source = source
        self._requests = requests  # operators' resyncs (``tether resync``)
        self.pacer = pacer
        self.entities = list(entities)
        self._outputs = outputs
        self._clock = clock
        self._resync_interval = resync_interval
        self._last_resync: dict[str, float] = {}
        self._rejected = LetterMemo()
        self._cursors = cursors
        self._ports = PollPorts(
            publish=self._publish,
            reject=self._reject,
            flush=outputs.flush,
            load_cursor=self._load_cursor,
            save_cursor=self._save_cursor,
            pages_settled=self._rejected.settle_pages,
        )

    async def poll(self) -> None:
        """Read each type's changes since its cursor (all, when a re-read is due)."""
        if self.pacer is not None and not self.pacer.due():
            return
        changed = False
        for entity in self.entities:
            request = self._requested(entity)
            full = self._resync_due(entity) or request is not None
            started = utc_now()
            try:
                stats = await poll_entity(self.source, entity, self._ports, full=full)
            except TransientError as exc:
                # The cursor did not move: the next tick reads the same changes.
                # The other types go on (a person waiting for its organisation
                # is parked by its flow, not lost).
                log.warning(
                    "poll %s %s: %s; retrying next tick",
                    self.source.system,
                    entity,
                    exc,
                    extra={"system": self.source.system, "type": entity},
                )
                changed = True  # not known to be idle: no back-off
                continue
            metrics.polled(self.source.system, entity, completed=not stats.malformed)
            if request is not None and not stats.malformed:
                self._served(request, started, stats.events)
            changed = changed or bool(stats.events or stats.bad_records)
        if self.pacer is not None:
            self.pacer.done(changed=changed)

    def _resync_due(self, entity: str) -> bool:
        """Whether this poll re-reads everything (never the first: the cursor may
        be new, and a fresh start reads everything anyway)."""
        now = self._clock()
        last = self._last_resync.setdefault(entity, now)
        if self._resync_interval and now - last >= self._resync_interval:
            self._last_resync[entity] = now
            return True
        return False

    def _load_cursor(self, system: str, entity: str) -> Cursor | None:
        cursor = self._cursors.load(system, entity)
        if cursor is not None:  # a restarted worker knows its cursor's age
            metrics.polled(system, entity, cursor_at=cursor.since)
        return cursor

    async def _save_cursor(self, system: str, entity: str, cursor: Cursor) -> None:
        await self._cursors.save(system, entity, cursor)
        metrics.polled(system, entity, cursor_at=cursor.since)

    def _requested(self, entity: str) -> ResyncRequest | None:
        """An operator's resync of ``entity`` not served yet (read every tick: the
        request may have reached the shared table since the last one)."""
        if self._requests is None:
            return None
        return self._requests.pending(self.source.system, entity)

    def _served(self, request: ResyncRequest, started: datetime, events: int) -> None:
        if self._requests is None:
            return
        self._requests.served(request, started, events)
        log.info(
            "%s %s: full re-read requested at %s done: %d changes published",
            request.system,
            request.entity,
            request.requested_at.isoformat(),
            events,
        )

    async def _publish(self, event: ChangeEvent) -> None:
        await self._outputs.publish(event)
        metrics.polled(event.system, event.entity, records=1)
        # Sent: should it turn bad again, that is news. (One too large to send
        # raised instead, and stays known: its letter is not repeated.)
        self._rejected.forget(letter_key(event.system, event.entity, event.id))

    async def _reject(self, bad: BadRecord) -> None:
        bad = safe(bad)  # invalid UTF-8 or a 1 MB value must not stop the producer
        key = letter_key(bad.system, bad.entity, bad.record_id)
        if not self._rejected.first_time(key, bad):
            # A page read again, or a record the feed keeps listing: known.
            log.debug("dead letter %s already sent", key)
            return
        metrics.dead_letter("source", bad.system)
        await self._outputs.dead_letter(
            dead_letter(
                # The error a read by id raises for the same record (a webhook's
                # fetch): one failure, one letter key, whichever way it came.
                InvalidRecordError(
                    bad.reason,
                    system=bad.system,
                    entity=bad.entity,
                    record_id=bad.record_id,
                ),
                stage="source",
                system=bad.system,
                entity=bad.entity,
                record_id=bad.record_id,
                payload=bad.payload,
            )
        )


class Catalogs:
    """Every entity of a type that value-keyed and lookup-only flows match against,
    read at most once per ``max_age`` seconds (such lists are short and rarely
    change)."""

    def __init__(
        self,
        source: Callable[[str], Source],
        max_age: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._source = source
        self._max_age = max_age
        self._clock = clock
        self._cached: dict[tuple[str, str], tuple[float, list[ChangeEvent]]] = {}

    async def __call__(self, system: str, entity: str) -> list[ChangeEvent]:
        """The entities of ``system``/``entity``, from cache when fresh."""
        cached = self._cached.get((system, entity))
        now = self._clock()
        if cached and now - cached[0] < self._max_age:
            return cached[1]
        events = [
            event
            async for page in self._source(system).read(entity, None)
            for event in page.events
        ]
        self._cached[(system, entity)] = (now, events)
        return events


def polled_entities(
    flows: Sequence[Flow], declared: Callable[[str], Sequence[str]]
) -> dict[str, list[str]]:
    """Per system, the types some flow reads, in the order the source declares.

    A value-keyed flow's targets are shared and never change through tether, so
    they are matched from a catalog, not polled.
    """
    wanted: dict[str, set[str]] = {}
    for flow in flows:
        refs = [flow.source]
        if flow.target_mode is not TargetMode.VALUE_KEYED:
            refs.append(flow.target)
        for ref in refs:
            wanted.setdefault(ref.system, set()).add(ref.type)
    return {
        system: [e for e in declared(system) if e in entities]
        for system, entities in wanted.items()
    }
