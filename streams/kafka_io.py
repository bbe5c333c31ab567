"""Reading tether's topics from the command line: present topics, latest per key."""

from __future__ import annotations

import logging
import time
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from connectors.errors import ConfigurationError, TransientError

log = logging.getLogger(__name__)

# A link topic holds one notice per linked target: tens of thousands read in
# seconds. Running out of time is an error, never a partial read, which would
# be reported as missing links.
READ_SECONDS = 120.0


def _unreachable(bootstrap: str) -> ConfigurationError:
    msg = (
        f"no Kafka broker answers at {bootstrap}: start one with "
        "`tether broker start`, or set TETHER_KAFKA_BOOTSTRAP"
    )
    return ConfigurationError(msg)


async def existing_topics(bootstrap: str) -> set[str]:
    """Every topic on the cluster; ``ConfigurationError`` when it is unreachable."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    try:
        await admin.start()
    except KafkaError as exc:
        raise _unreachable(bootstrap) from exc
    try:
        return set(await admin.list_topics())
    except KafkaError as exc:
        raise _unreachable(bootstrap) from exc
    finally:
        await admin.close()


async def _partitions(bootstrap: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
    try:
        await admin.start()
    except KafkaError as exc:
        raise _unreachable(bootstrap) from exc
    try:
        if topic not in await admin.list_topics():
            return []
        [described] = await admin.describe_topics([topic])
        return sorted(p["partition"] for p in described["partitions"])
    finally:
        await admin.close()


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
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    try:
        await consumer.start()
    except KafkaError as exc:
        raise _unreachable(bootstrap) from exc
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        starts = await consumer.beginning_offsets(tps)
        ends = await consumer.end_offsets(tps)
        # Retention may have removed everything: an empty range is done already.
        pending = {tp for tp in tps if ends[tp] > starts[tp]}
        for tp in pending:
            consumer.seek(tp, starts[tp])
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
    finally:
        await consumer.stop()


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
