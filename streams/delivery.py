"""How one event is retried in place, and what becomes a dead letter.

Transient failures are retried in place (keeping per-key order) with capped
backoff that honours the system's Retry-After; a reference to an entity that is
not linked yet is waited for a while, then dead-lettered for re-drive;
``RecordError`` goes straight to the dead-letter topic; ``FatalError`` escapes so
the worker stops and the unacked event is redelivered after restart.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from connectors.errors import RecordError, TransientError, UnresolvedReferenceError
from schemas.envelope import ChangeEvent, DeadLetter

log = logging.getLogger(__name__)

T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


async def with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    what: str,
    reference_wait: float,
    max_backoff: float = 30.0,
    sleep: Sleep = asyncio.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Run ``attempt`` until it succeeds or fails for good.

    Raises ``RecordError`` (incl. an unresolved reference after ``reference_wait``
    seconds) for the caller to dead-letter; ``FatalError`` propagates.
    """
    started = clock()
    failures = 0
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
        except TransientError as exc:
            failures += 1
            backoff = min(max_backoff, 0.5 * 2 ** min(failures, 8))
            delay = exc.retry_after if exc.retry_after is not None else backoff
            delay = min(delay, max_backoff * 4) + random.uniform(0, 0.1)  # noqa: S311 - jitter
            log.warning("%s: %s; retry %d in %.1fs", what, exc, failures, delay)
            await sleep(delay)


def dead_letter(
    error: RecordError | str,
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
    """A dead letter naming system, type and id, with the reason and the record."""
    reason = str(error)
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
