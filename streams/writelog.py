"""Write records onto ``{app}.writes``: queued by the flows, sent by one task.

A flow hands each record to a bounded in-memory queue and goes on; one task
per worker sends them, and does not wait for the broker's acknowledgement
(a record the broker refuses, or one that does not fit in the queue, is
counted in ``tether_write_records_dropped_total`` and logged once in a
while). Write records are an operator's history, not state: waiting for them
would let a slow or failing broker partition hold up the writes themselves,
and holding them until acknowledged would only move that wait into memory.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import faust

from engine import metrics
from schemas.observe import WriteRecord
from streams.codecs import fit, message_size

log = logging.getLogger(__name__)

QUEUE_SIZE = 10_000
"""Records waiting to be sent; more are dropped (the flows never wait)."""


class WriteSender:
    """A bounded queue of write records and the task that sends them."""

    def __init__(self, topic: Any, max_bytes: int, size: int = QUEUE_SIZE) -> None:
        self._topic = topic
        self._max_bytes = max_bytes
        self._queue: asyncio.Queue[tuple[str, WriteRecord]] = asyncio.Queue(size)
        self.dropped = 0

    def send(self, key: str, record: WriteRecord) -> None:
        """Queue ``record``; dropped (and counted) when the queue is full."""
        try:
            self._queue.put_nowait((key, record))
        except asyncio.QueueFull:
            self._dropped("the queue is full")

    async def run(self) -> None:
        """Send queued records for as long as the worker runs."""
        while True:
            key, record = await self._queue.get()
            await self.send_now(key, record)

    async def drain(self) -> None:
        """Send what is queued now (the worker stops)."""
        while not self._queue.empty():
            key, record = self._queue.get_nowait()
            await self.send_now(key, record)

    async def send_now(self, key: str, record: WriteRecord) -> None:
        """Hand one record to the producer; its acknowledgement is not awaited."""
        room = self._max_bytes - message_size(key.encode("utf-8", "replace"), b"")
        try:
            sent = await self._topic.send(key=key, value=fit(record, room))
        except Exception as exc:  # noqa: BLE001 - history, never a reason to stop
            self._dropped(repr(exc))
            return
        future = asyncio.ensure_future(sent)
        future.add_done_callback(self._acked)

    def _acked(self, future: asyncio.Future[Any]) -> None:
        if future.cancelled():
            self._dropped("cancelled")
        elif future.exception() is not None:
            self._dropped(repr(future.exception()))

    def _dropped(self, why: str) -> None:
        metrics.record_dropped()
        self.dropped += 1
        if self.dropped == 1 or self.dropped % 1000 == 0:
            log.warning("write record not sent (%d so far): %s", self.dropped, why)


def wire_sender(app: faust.App, topic: Any, max_bytes: int) -> WriteSender:
    """A sender of write records onto ``topic``, running with ``app``."""
    sender = WriteSender(topic, max_bytes)
    app.task(sender.run)
    return sender
