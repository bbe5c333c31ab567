"""Sends that count only once Kafka acknowledged them, and messages that fit.

faust's ``topic.send`` returns as soon as the message is queued in the
producer; the broker's answer arrives later on the future it returns, and a
failure there is only logged by faust. A producer ``flush()`` does not raise
for it either. So "flushed" is not "delivered": here every send's future is
awaited and checked (DESIGN.md rule 13).

- A poller's page counts as published once every change event of it was
  acknowledged (``EventPublisher``): only then may its cursor move. A change
  too large for a Kafka message (``TETHER_MAX_MESSAGE_BYTES``, or a broker
  that allows less) is refused as a ``RecordError`` and dead-lettered; any
  other failure, or no answer within ``TETHER_ACK_TIMEOUT_SECONDS``, is a
  ``TransientError``: the cursor stays and the page is read again.
- Dead letters, conflicts and reports (``deliver``) return only once the
  broker has them, so the offset of the event that produced them commits
  after them; too large, they are cut down to fit (``streams.codecs.fit``);
  a failed send is sent again, holding the partition, never dropped.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from aiokafka.errors import (
    KafkaError,
    MessageSizeTooLargeError,
    RecordListTooLargeError,
)
from faust.exceptions import ProducerSendError
from pydantic import BaseModel

from connectors.base.retry import backoff
from connectors.errors import RejectedRecordError, TransientError
from engine.delivery import dead_letter
from schemas.dataflow import Flow, TargetMode
from schemas.envelope import ChangeEvent, DeadLetter
from schemas.links import LinkNotice
from schemas.text import scrub
from streams.codecs import encode, fit, message_size

log = logging.getLogger(__name__)

# What a side-channel message shrinks to when the broker refuses it as too large
# even though it was within the setting (a broker that allows less than that).
_SMALLEST_LETTER = 8_192
_SEND_ERRORS = (KafkaError, ProducerSendError)
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Limits:
    """How large a message may be and how long an acknowledgement may take.

    Attributes:
        max_bytes: The producer's ``max_request_size`` (``TETHER_MAX_MESSAGE_BYTES``).
        ack_timeout: Seconds a poll waits for its page's acknowledgements
            (``TETHER_ACK_TIMEOUT_SECONDS``); a side-channel send logs after as
            long and keeps waiting.
    """

    max_bytes: int = 1_000_000
    ack_timeout: float = 60.0


class Topic(Protocol):
    """What is used of a faust topic: ``send`` returns the broker's future."""

    async def send(self, *, key: Any = None, value: Any = None) -> Awaitable[Any]:
        """Queue one message; the awaitable resolves once the broker has it."""
        ...


def too_large(exc: BaseException) -> bool:
    """Whether a send failed because the message is larger than Kafka allows."""
    sized = (MessageSizeTooLargeError, RecordListTooLargeError)
    return isinstance(exc, sized) or isinstance(exc.__cause__, sized)


class EventPublisher:
    """One poller's change events: sent one by one, acknowledged page by page.

    Args:
        topics: Entity type -> its change topic.
        limits: Message size and acknowledgement time.
        dead_letter: Where a change the broker refused as too large goes.
    """

    def __init__(
        self,
        topics: Mapping[str, Topic],
        limits: Limits,
        dead_letter: Callable[[DeadLetter], Awaitable[None]],
    ) -> None:
        self._topics = topics
        self._limits = limits
        self._dead_letter = dead_letter
        self._pending: list[tuple[ChangeEvent, Awaitable[Any]]] = []

    async def publish(self, event: ChangeEvent) -> None:
        """Send ``event`` (acknowledged at the next ``flush``).

        Raises:
            RejectedRecordError: The event is too large for a Kafka message.
            TransientError: The producer could not take it.
        """
        key = event.id.encode("utf-8", "replace")
        value = encode(event)
        size = message_size(key, value)
        if size > self._limits.max_bytes:
            raise _oversized(event, _over(size, self._limits.max_bytes))
        try:
            sent = await self._topics[event.entity].send(key=event.id, value=value)
        except _SEND_ERRORS as exc:
            if too_large(exc):
                raise _oversized(event, _over(size, self._limits.max_bytes)) from exc
            self._pending.clear()  # the page is abandoned: read again next poll
            msg = f"{_what(event)}: not sent to Kafka: {exc!r}"
            raise TransientError(msg) from exc
        self._pending.append((event, sent))

    async def flush(self) -> None:
        """Return once the broker acknowledged every event sent since the last call.

        A change the broker refused as too large is dead-lettered (it never
        will fit); the others must all be acknowledged.

        Raises:
            TransientError: Some change was refused or not acknowledged in time.
        """
        pending, self._pending = self._pending, []
        if not pending:
            return
        futures = [(event, asyncio.ensure_future(sent)) for event, sent in pending]
        _, waiting = await asyncio.wait(
            [future for _, future in futures], timeout=self._limits.ack_timeout
        )
        if waiting:
            msg = (
                f"{len(waiting)} of {len(futures)} changes not acknowledged by "
                f"Kafka within {self._limits.ack_timeout:g}s"
            )
            raise TransientError(msg)
        errors = [(event, future.exception()) for event, future in futures]
        refused = [event for event, exc in errors if exc is not None and too_large(exc)]
        failed = [exc for _, exc in errors if exc is not None and not too_large(exc)]
        if failed:
            msg = (
                f"Kafka refused {len(failed)} of {len(futures)} changes: {failed[0]!r}"
            )
            raise TransientError(msg) from failed[0]
        for event in refused:
            detail = (
                "the broker refused it (the topic's max.message.bytes or the "
                "broker's message.max.bytes is below TETHER_MAX_MESSAGE_BYTES)"
            )
            error = _oversized(event, detail)
            await self._dead_letter(
                dead_letter(error, stage="source", payload=scrub(event.data))
            )


def _oversized(event: ChangeEvent, detail: str) -> RejectedRecordError:
    msg = f"{_what(event)}: the change is too large for Kafka: {detail}"
    return RejectedRecordError(
        msg, system=event.system, entity=event.entity, record_id=event.id
    )


def _over(size: int, limit: int) -> str:
    return (
        f"{size} bytes, more than the {limit} a Kafka message may carry "
        "(TETHER_MAX_MESSAGE_BYTES)"
    )


def _what(event: ChangeEvent) -> str:
    return f"{event.system} {event.entity} {event.id}"


async def deliver(
    topic: Topic,
    key: str,
    model: BaseModel,
    limits: Limits,
    *,
    name: str = "",
    sleep: Sleep = asyncio.sleep,
    rng: Callable[[], float] = random.random,
) -> None:
    """Send ``model`` and return once the broker acknowledged it.

    Cut down to fit the message size; sent again, after a capped backoff,
    for as long as the broker refuses it (held, never dropped); shrunk to a
    few kilobytes when the broker refuses it as too large.
    """
    what = f"{name or type(model).__name__} {key}"
    encoded_key = key.encode("utf-8", "replace")
    limit = limits.max_bytes
    failures = 0
    while True:
        room = limit - message_size(encoded_key, b"")
        value = fit(model, room)
        try:
            sent = await topic.send(key=key, value=value)
            await _acknowledged(sent, what, limits.ack_timeout)
            return
        except _SEND_ERRORS as exc:
            if too_large(exc) and limit > _SMALLEST_LETTER:
                log.warning("%s: %r; sending it cut down further", what, exc)
                limit = max(_SMALLEST_LETTER, limit // 8)
                continue
            failures += 1
            delay = backoff(failures, rng, base_delay=1.0, max_delay=30.0)
            log.warning(
                "%s not acknowledged by Kafka: %r; sending it again in %.1fs",
                what,
                exc,
                delay,
            )
            await sleep(delay)


async def _acknowledged(sent: Awaitable[Any], what: str, patience: float) -> None:
    future = asyncio.ensure_future(sent)
    while True:
        try:
            await asyncio.wait_for(asyncio.shield(future), patience)
            return
        except TimeoutError:
            log.warning(
                "%s: no acknowledgement from Kafka after %gs; still waiting",
                what,
                patience,
            )


def notice_sender(
    topic: Any, flow: Flow, flush: Callable[[], Awaitable[None]]
) -> Callable[[str, LinkNotice], Awaitable[None]]:
    """How ``flow`` announces a link notice on its links ``topic``.

    A routed notice (not a value-keyed flow's) goes out only once everything it
    stands on reached its changelogs (``flush``): the link row, and the id-map
    pair the router believes it by. Whoever reads it, this worker rebuilt after
    a kill (``streams.cleanstop``) or another one, finds them there. It returns
    once the broker has the notice: the id map remembers only acknowledged ones.
    """
    routed = flow.target_mode is not TargetMode.VALUE_KEYED

    async def announce(key: str, notice: LinkNotice) -> None:
        if routed:
            await flush()
        sent = await topic.send(key=key, value=notice)
        if routed:
            await sent

    return announce
