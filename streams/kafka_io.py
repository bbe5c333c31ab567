"""Kafka from outside a worker: present topics, reading a topic, publishing to it.

The operator commands and the dev kit use these, so that only ``streams`` talks
to aiokafka."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from connectors.errors import ConfigurationError, TransientError
from streams.kafka_security import kafka_options, unreachable

log = logging.getLogger(__name__)

# A link topic holds one notice per linked target: tens of thousands read in
# seconds. Running out of time is an error, never a partial read, which would
# be reported as missing links.
READ_SECONDS = 120.0


@asynccontextmanager
async def admin_client(bootstrap: str) -> AsyncIterator[AIOKafkaAdminClient]:
    """A started admin client; ``ConfigurationError`` when the broker is unreachable."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, **kafka_options(), request_timeout_ms=15000
    )
    try:
        await admin.start()
    except KafkaError as exc:
        raise await unreachable(bootstrap) from exc
    try:
        yield admin
    finally:
        await admin.close()


async def existing_topics(bootstrap: str) -> set[str]:
    """Every topic on the cluster; ``ConfigurationError`` when it is unreachable."""
    async with admin_client(bootstrap) as admin:
        try:
            return set(await admin.list_topics())
        except KafkaError as exc:
            raise await unreachable(bootstrap) from exc


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    async with admin_client(bootstrap) as admin:
        if topic not in await admin.list_topics():
            return []
        [described] = await admin.describe_topics([topic])
        return sorted(p["partition"] for p in described["partitions"])


@asynccontextmanager
async def reading_consumer(bootstrap: str) -> AsyncIterator[AIOKafkaConsumer]:
    """A started consumer of no group, for reading partitions it is assigned;
    ``ConfigurationError`` when the broker is unreachable."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, **kafka_options(), enable_auto_commit=False
    )
    try:
        await consumer.start()
    except KafkaError as exc:
        raise await unreachable(bootstrap) from exc
    try:
        yield consumer
    finally:
        await consumer.stop()


async def seek_ranges(
    consumer: AIOKafkaConsumer,
    tps: list[TopicPartition],
    since: dict[int, int] | None = None,
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    """Each partition's range to read (``since`` or its start, to its end), and
    the consumer assigned to the partitions with something in it, seeked there.

    The offsets come first: asking for them retries quietly while a new topic's
    partitions still wait for a leader, whereas a partition assigned without a
    position makes the consumer's fetcher look its offset up again and again,
    logging an error each time (``NotLeaderForPartitionError``).
    """
    starts = await consumer.beginning_offsets(tps)
    ends = await consumer.end_offsets(tps)
    if since is not None:
        starts = {tp: max(starts[tp], since.get(tp.partition, 0)) for tp in tps}
    filled = [tp for tp in tps if ends[tp] > starts[tp]]
    # Assigned and positioned in one go, with no await in between: the fetcher
    # never sees a partition without a position.
    consumer.assign(filled)
    for tp in filled:
        consumer.seek(tp, starts[tp])
    return starts, ends


async def read_latest(
    bootstrap: str, topic: str, max_seconds: float = READ_SECONDS
) -> dict[str, Any]:
    """The latest JSON value per key of ``topic`` (empty when it does not exist).

    Reads each partition from its first retained offset to its end at the time
    of the call; a null value (tombstone) removes its key.
    """
    partitions = await _partitions(bootstrap, topic)
    if not partitions:
        return {}
    async with reading_consumer(bootstrap) as consumer:
        tps = [TopicPartition(topic, p) for p in partitions]
        starts, ends = await seek_ranges(consumer, tps)
        # Retention may have removed everything: an empty range is done already.
        pending = {tp for tp in tps if ends[tp] > starts[tp]}
        latest: dict[str, Any] = {}
        deadline = time.monotonic() + max_seconds
        while pending:
            if time.monotonic() > deadline:
                msg = f"reading {topic} took more than {max_seconds:.0f}s; try again"
                raise TransientError(msg)
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for tp, messages in batch.items():
                for message in messages:
                    if message.offset < ends[tp]:
                        _apply(latest, topic, message)
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
        return latest


def _apply(latest: dict[str, Any], topic: str, message: Any) -> None:
    if message.key is None:
        return
    key = message.key.decode("utf-8", "replace")
    if message.value is None:
        latest.pop(key, None)
        return
    try:
        latest[key] = orjson.loads(message.value)
    except orjson.JSONDecodeError:
        log.warning(
            "%s: skipping a value that is not JSON at offset %d", topic, message.offset
        )


async def read_all(
    bootstrap: str, topic: str, max_seconds: float = 10.0
) -> list[tuple[str | None, Any]]:
    """Every message of ``topic`` from its start to its current end, values decoded
    from JSON (empty if the topic is absent; what ``max_seconds`` did not reach is
    left out: for tests and the demo, which poll again; a value that is not JSON
    is skipped)."""
    messages, _ = await read_since(bootstrap, topic, {}, max_seconds)
    return messages


async def read_since(
    bootstrap: str, topic: str, since: dict[int, int], max_seconds: float = 10.0
) -> tuple[list[tuple[str | None, Any]], dict[int, int]]:
    """The messages of ``topic`` after ``since`` (partition -> next offset to read;
    a partition not in it is read from its start) to the current end, and the
    offsets to pass next time, so that following a topic reads each message once.
    Otherwise as ``read_all``."""
    partitions = await _partitions(bootstrap, topic)
    if not partitions:
        return [], dict(since)
    async with reading_consumer(bootstrap) as consumer:
        tps = [TopicPartition(topic, p) for p in partitions]
        starts, ends = await seek_ranges(consumer, tps, since)
        following = {tp.partition: starts[tp] for tp in tps}
        out: list[tuple[str | None, Any]] = []
        deadline = time.monotonic() + max_seconds
        pending = {tp for tp in tps if ends[tp] > starts[tp]}
        while pending and time.monotonic() < deadline:
            batch = await consumer.getmany(*pending, timeout_ms=500)
            for tp, messages in batch.items():
                for m in messages:
                    following[tp.partition] = m.offset + 1
                    if m.offset + 1 >= ends[tp]:
                        pending.discard(tp)
                    decoded = _decode(topic, m)
                    if decoded is not None:
                        out.append(decoded)
        return out, following


def _decode(topic: str, message: Any) -> tuple[str | None, Any] | None:
    """A message's key and JSON value; None for a value that is not JSON."""
    key = message.key.decode("utf-8", "replace") if message.key is not None else None
    try:
        value = orjson.loads(message.value) if message.value is not None else None
    except orjson.JSONDecodeError:
        # Anyone may write to a topic: one such value is skipped.
        log.warning(
            "%s: skipping a value that is not JSON at offset %d", topic, message.offset
        )
        return None
    return key, value


Publish = Callable[[str, str, Any], Awaitable[None]]


@asynccontextmanager
async def publisher(bootstrap: str) -> AsyncIterator[Publish]:
    """``send(topic, key, value)``: JSON values, acknowledged by every replica.

    The default partitioner is faust's too: a key lands where the flows expect it.
    """
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        **kafka_options(),
        acks="all",
        enable_idempotence=True,
    )
    try:
        await producer.start()
    except KafkaError as exc:
        msg = f"cannot publish to Kafka at {bootstrap}: {exc}"
        raise ConfigurationError(msg) from exc

    async def send(topic: str, key: str, value: Any) -> None:
        await producer.send_and_wait(topic, key=key.encode(), value=orjson.dumps(value))

    try:
        yield send
    finally:
        await producer.stop()


def table_key(raw: str) -> str:
    """A key read from a table's changelog, as the table holds it: faust
    JSON-encodes a table's keys (``"5006"``, quotes included)."""
    try:
        key = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return raw
    return key if isinstance(key, str) else raw
