"""How one event is retried in place, and what becomes a dead letter.

Transient failures are retried in place (keeping per-key order) with capped
backoff that honours the system's Retry-After; a reference to an entity that is
not linked yet is waited for a while (a source change is parked instead,
``engine.parking``, and waits there), then dead-lettered for re-drive;
``RecordError`` goes straight to the dead-letter topic; ``FatalError`` escapes so
the worker stops and the unacked event is redelivered after restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import random
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.retry import backoff
from connectors.errors import (
    RateLimitedError,
    RecordError,
    SyncError,
    TransientError,
    UnresolvedReferenceError,
)
from engine.breakers import FlowResumedError
from schemas.envelope import ChangeEvent, DeadLetter, Redriven

log = logging.getLogger(__name__)


class RecordSettings(BaseSettings):
    """The budget one record gets before it is dead-lettered (``TETHER_RECORD_*``).

    Transient failures (5xx, 429, timeouts, unusable answers) are retried in
    place up to ``max_attempts`` times or ``max_seconds``, whichever comes
    first. Then the record's systems are probed: if one fails, it is an outage
    and the flow waits for it; if all answer, the record is dead-lettered.
    """

    model_config = SettingsConfigDict(env_prefix="TETHER_RECORD_", frozen=True)

    max_attempts: int = Field(8, ge=1)
    max_seconds: float = Field(300.0, gt=0)
    # A message whose workers stopped this many times while handling it is
    # dead-lettered unhandled (engine.poison).
    max_stops: int = Field(3, ge=1)


T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    what: str,
    reference_wait: float,
    max_attempts: int = 0,
    max_seconds: float = 0.0,
    max_backoff: float = 30.0,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
    on_retry: Callable[[], None] | None = None,
) -> T:
    """Run ``attempt`` until it succeeds or fails for good.

    A ``TransientError`` waits its ``retry_after`` (at most four times
    ``max_backoff``), else the shared capped backoff from one second up to
    ``max_backoff``. Raises ``RecordError`` (incl. an unresolved reference after
    ``reference_wait`` seconds) for the caller to dead-letter; ``FatalError``
    propagates, and so does the last ``TransientError`` once ``max_attempts``
    failures or ``max_seconds`` are spent (0: no limit).
    """
    started = clock()
    failures = throttles = 0
    while True:
        try:
            return await attempt()
        except UnresolvedReferenceError:
            if clock() - started >= reference_wait:
                raise
            failures += 1
            # The referenced entity is usually being linked by another agent right
            # now: look again soon, rather than backing off exponentially.
            await sleep(min(0.05 * failures, 1.0))
        except FlowResumedError:
            # Held while its flow was paused: the pause is not the record's
            # failure, so its budget starts again.
            started, failures = clock(), 0
        except TransientError as exc:
            # A 429 is the system pacing all its callers, not this record
            # failing: with many records in flight a burst of them is normal,
            # so it spends the record's time, never its attempts.
            throttled = isinstance(exc, RateLimitedError)
            failures += 0 if throttled else 1
            throttles += 1 if throttled else 0
            spent = clock() - started
            if (max_attempts and failures >= max_attempts) or (
                max_seconds and spent >= max_seconds
            ):
                raise  # the budget is spent: the caller decides whose fault it is
            if exc.retry_after is None:
                delay = backoff(
                    failures + throttles, rng, base_delay=1.0, max_delay=max_backoff
                )
            else:
                # The system's own hint, with a little jitter so that the
                # workers it throttled together do not return together.
                delay = min(exc.retry_after, max_backoff * 4) + rng() * 0.1
            retries = failures + throttles
            log.warning("%s: %s; retry %d in %.1fs", what, exc, retries, delay)
            if on_retry is not None:
                on_retry()
            await sleep(delay)


@dataclass(frozen=True)
class WaitedInVain:
    """The version of a record that waited in vain, and its dead letter."""

    modified_at: datetime
    letter: DeadLetter | None


class ReferenceWaits:
    """Which record versions already waited in vain for a referenced entity.

    Waiting for a reference holds up the record's whole partition. A version
    that waited the full time once and was dead-lettered is tried again without
    waiting when it comes back unchanged (a periodic full re-read, a replay, a
    re-drive): an orphan re-read every resync would otherwise stall every record
    behind it each time. A new version of the record waits again. Kept in
    memory, bounded; a restarted worker waits once more for each orphan.

    Each remembers its dead letter: when the record later goes through (its
    reference linked at last), the letter is closed as healed
    (``FlowRunner``), so operators are not left a letter that needs nothing.
    """

    def __init__(self, limit: int = 100_000) -> None:
        self._limit = limit
        self._waited: OrderedDict[tuple[str, str, str, str], WaitedInVain] = (
            OrderedDict()
        )

    def wait_for(self, flow: str, event: ChangeEvent, reference_wait: float) -> float:
        """How long ``event`` may wait for its references."""
        waited = self._waited.get(self._key(flow, event))
        if waited and event.modified_at <= waited.modified_at:
            return 0.0
        return reference_wait

    def waited_in_vain(
        self, flow: str, event: ChangeEvent, letter: DeadLetter | None = None
    ) -> None:
        """``event`` was dead-lettered (``letter``) for a reference that never
        got its link."""
        key = self._key(flow, event)
        self._waited[key] = WaitedInVain(event.modified_at, letter)
        self._waited.move_to_end(key)
        while len(self._waited) > self._limit:
            self._waited.popitem(last=False)

    def resolved(self, flow: str, event: ChangeEvent) -> DeadLetter | None:
        """``event`` went through: a later re-read of it may wait again. The
        letter it was dead-lettered with when it waited in vain, if it was."""
        waited = self._waited.pop(self._key(flow, event), None)
        return waited.letter if waited is not None else None

    @staticmethod
    def _key(flow: str, event: ChangeEvent) -> tuple[str, str, str, str]:
        return (flow, event.system, event.entity, event.id)


def dead_letter(
    error: Exception | str,
    *,
    stage: str,
    event: ChangeEvent | None = None,
    system: str = "",
    entity: str = "",
    record_id: str = "",
    flow: str | None = None,
    where: tuple[str, int, int] | None = None,
    payload: Any = None,
) -> DeadLetter:
    """A dead letter naming system, type and id, with the reason and the record.

    ``error`` is tether's own (its message is the reason) or anything else a
    record ran into (a bug, an unexpected value): its class names the reason.
    """
    reason = str(error) if isinstance(error, SyncError | str) else describe(error)
    if isinstance(error, RecordError):
        system = error.system or system
        entity = error.entity or entity
        record_id = error.record_id or record_id
    if event is not None:
        system, entity, record_id = event.system, event.entity, event.id
        payload = event.model_dump(mode="json") if payload is None else payload
    topic, partition, offset = where if where else (None, None, None)
    return DeadLetter(
        system=system or "<unknown>",
        entity=entity or "<unknown>",
        record_id=record_id or "<missing>",
        reason=reason,
        stage=stage,
        error_type=type(error).__name__ if isinstance(error, Exception) else "Invalid",
        flow=flow,
        topic=topic,
        partition=partition,
        offset=offset,
        payload=payload,
    )


def healed_marker(letter: DeadLetter) -> Redriven:
    """The marker that closes ``letter``: its record went through since."""
    return Redriven(
        system=letter.system,
        entity=letter.entity,
        record_id=letter.record_id,
        stage=letter.stage,
        letter_failed_at=letter.failed_at,
        action="healed",
    )


def describe(exc: BaseException) -> str:
    """An error as one line for operators: its class and message, bounded.

    tether's own messages never carry credentials or query strings; any other
    exception's text is cut at a ``?`` so a URL's query cannot leak.
    """
    text = str(exc).splitlines()[0] if str(exc) else ""
    if "?" in text and not isinstance(exc, SyncError):
        text = text.split("?", 1)[0] + "?..."
    return f"{type(exc).__name__}: {text}"[:500]


def letter_key(letter: DeadLetter) -> str:
    """The key a dead letter is kept under: its record and what went wrong.

    ``system/type/id#digest``: the dead-letter topic is compacted, so a record
    that failed in two ways (a bad value at the source, later a refused write)
    keeps both letters, while the same failure seen again (a re-read, a
    redelivery) replaces its own. Digits are left out of the digest: counts
    and times in a reason change between two sightings of one failure.
    """
    cause = re.sub(r"\d+", "#", f"{letter.stage}|{letter.error_type}|{letter.reason}")
    digest = hashlib.sha256(cause.encode()).hexdigest()[:12]
    return f"{letter.system}/{letter.entity}/{letter.record_id}#{digest}"
