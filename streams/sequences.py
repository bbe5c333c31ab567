"""Keeps an idempotent aiokafka producer usable after the broker refused a batch.

aiokafka numbers each partition's batches (idempotence) when it drains them
for sending, whatever becomes of them. When the broker refuses a batch for good
(a message too large for the topic, a timestamp the topic does not accept) it
appended nothing, so those sequence numbers were never used; aiokafka 0.14 does
not take them back, and from then on the broker refuses every batch of that
partition as ``OutOfOrderSequenceNumber``, until the process restarts. Found by
``tests/integration/test_delivery.py``: one change the broker refused as too
large stopped every later change of its partition. Java's producer takes the
numbers back; so does this sender, once the request that carried a refused
batch is over: a partition has one batch in flight at a time (aiokafka mutes
it meanwhile), so no later batch of it has been numbered yet.
"""

from __future__ import annotations

import logging
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.producer.sender import Sender

log = logging.getLogger(__name__)


class RewindingSender(Sender):  # type: ignore[misc]
    """aiokafka's sender, taking back the sequence numbers of a refused batch."""

    async def _send_produce_req(self, node_id: int, batches: dict[Any, Any]) -> None:
        await super()._send_produce_req(node_id, batches)
        txn = self._txn_manager
        if txn is None or txn.transactional_id is not None:
            return  # not idempotent, or transactional (aborted as a whole)
        for tp, batch in batches.items():
            future = batch.future
            if not future.done() or future.cancelled() or future.exception() is None:
                continue  # delivered, or queued again for a retry
            txn.increment_sequence_number(tp, -batch.record_count)
            log.warning(
                "Kafka refused a batch of %d on %s (%r): its sequence numbers "
                "are taken back so the partition's next batches go through",
                batch.record_count,
                tp,
                future.exception(),
            )


def rewinding(producer: AIOKafkaProducer) -> AIOKafkaProducer:
    """``producer`` with a ``RewindingSender`` (the same object, new behaviour)."""
    producer._sender.__class__ = RewindingSender
    return producer
