"""The newest messages of a topic: the last few of each partition, read once."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from connectors.errors import TransientError
from streams.kafka_security import kafka_options

log = logging.getLogger(__name__)

TAIL_SECONDS = 10.0
"""A page waits no longer than this for a tail; it is retried on the next view."""


async def read_tail(
    bootstrap: str, topic: str, per_partition: int, max_seconds: float = TAIL_SECONDS
) -> list[Any]:
    """The JSON values of the last ``per_partition`` messages of each partition.

    Empty when the topic does not exist; values that are not JSON and
    tombstones are left out. Raises ``TransientError`` when the broker does not
    answer in ``max_seconds``.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, **kafka_options(), enable_auto_commit=False
    )
    try:
        await consumer.start()
        if topic not in await consumer.topics():  # fetches the cluster's metadata
            return []
        partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return []
        return await _tail(consumer, tps, per_partition, max_seconds)
    except KafkaError as exc:
        msg = f"reading the tail of {topic}: {exc!r}"
        raise TransientError(msg) from exc
    finally:
        await consumer.stop()


async def _tail(
    consumer: AIOKafkaConsumer,
    tps: list[TopicPartition],
    per_partition: int,
    max_seconds: float,
) -> list[Any]:
    consumer.assign(tps)
    starts = await consumer.beginning_offsets(tps)
    ends = await consumer.end_offsets(tps)
    pending = {tp for tp in tps if ends[tp] > starts[tp]}
    for tp in pending:
        consumer.seek(tp, max(starts[tp], ends[tp] - per_partition))
    values: list[Any] = []
    deadline = time.monotonic() + max_seconds
    while pending:
        if time.monotonic() > deadline:
            msg = f"reading the tail of {tps[0].topic} took over {max_seconds:.0f}s"
            raise TransientError(msg)
        batch = await consumer.getmany(*pending, timeout_ms=300)
        for tp, messages in batch.items():
            values.extend(
                _decoded(m.value) for m in messages if m.offset < ends[tp] and m.value
            )
        for tp in list(pending):
            if await consumer.position(tp) >= ends[tp]:
                pending.discard(tp)
    return [v for v in values if v is not None]


def _decoded(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None  # anyone may write to a topic: such a value is not shown
