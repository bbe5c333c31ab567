"""Every retained message of some topics, with its time, for the operator commands.

``read_messages`` reads each partition of each topic from its first retained
offset to its end at the time of the call (one consumer for all of them) and
decodes only the values whose key a filter keeps: the rest cost a fetch, not
a parse. ``tether explain`` reads whole topics with it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import TopicPartition
from aiokafka.errors import KafkaError

from connectors.errors import TransientError
from streams.kafka_io import READ_SECONDS, admin_client, reading_consumer, seek_ranges
from streams.kafka_security import unreachable

log = logging.getLogger(__name__)

KeyFilter = Callable[[str | None], bool]
"""Whether a message with this key is wanted (its value decoded and returned)."""


def every_key(key: str | None) -> bool:
    """A ``KeyFilter`` that keeps every message."""
    return True


@dataclass(frozen=True)
class Message:
    """One message: where it is, when the broker took it, its key and JSON value.

    ``value`` is ``None`` for a tombstone (a deleted key of a compacted topic).
    """

    topic: str
    partition: int
    offset: int
    timestamp: datetime
    key: str | None
    value: Any


async def read_messages(
    bootstrap: str,
    wanted: Mapping[str, KeyFilter],
    max_seconds: float = READ_SECONDS,
) -> dict[str, list[Message]]:
    """Each topic's retained messages that its filter keeps, in offset order per
    partition; an absent topic reads as empty. Running out of time raises
    ``TransientError``: a partial history would be a wrong one."""
    out: dict[str, list[Message]] = {topic: [] for topic in wanted}
    tps = await _partitions(bootstrap, list(wanted))
    if not tps:
        return out
    topics = sorted({tp.topic for tp in tps})
    async with reading_consumer(bootstrap) as consumer:
        starts, ends = await seek_ranges(consumer, tps)
        pending = {tp for tp in tps if ends[tp] > starts[tp]}
        deadline = time.monotonic() + max_seconds
        while pending:
            if time.monotonic() > deadline:
                msg = f"reading {', '.join(topics)} took more than {max_seconds:.0f}s"
                raise TransientError(msg)
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for tp, messages in batch.items():
                keep = wanted[tp.topic]
                for message in messages:
                    if message.offset < ends[tp]:
                        decoded = _decoded(message, keep)
                        if decoded is not None:
                            out[tp.topic].append(decoded)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return out


async def _partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of those of ``topics`` that exist."""
    async with admin_client(bootstrap) as admin:
        try:
            present = set(await admin.list_topics())
            existing = [topic for topic in topics if topic in present]
            described = await admin.describe_topics(existing) if existing else []
        except KafkaError as exc:
            raise await unreachable(bootstrap) from exc
    return [
        TopicPartition(d["topic"], p["partition"])
        for d in described
        for p in sorted(d["partitions"], key=lambda p: p["partition"])
    ]


def _decoded(message: Any, keep: KeyFilter) -> Message | None:
    key = message.key.decode("utf-8", "replace") if message.key is not None else None
    if not keep(key):
        return None
    value: Any = None
    if message.value is not None:
        try:
            value = orjson.loads(message.value)
        except orjson.JSONDecodeError:
            # Anyone may write to a topic: one such value is skipped.
            log.warning(
                "%s: skipping a value that is not JSON at offset %d",
                message.topic,
                message.offset,
            )
            return None
    return Message(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp=datetime.fromtimestamp(message.timestamp / 1000, tz=UTC),
        key=key,
        value=value,
    )
