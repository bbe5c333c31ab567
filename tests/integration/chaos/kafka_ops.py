"""What an operator (or a disaster) does to Kafka: reset offsets, lose topics, lag."""

from __future__ import annotations

import asyncio
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata


async def _committed(bootstrap: str, group: str) -> dict[TopicPartition, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
        return {tp: meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
    finally:
        await admin.close()


async def reset_to_earliest(bootstrap: str, group: str) -> int:
    """Commit the earliest offset for every partition ``group`` has consumed.

    What ``kafka-consumer-groups --reset-offsets --to-earliest`` does; the group
    must have no live member. Returns how many messages will be read again.
    """
    committed = await _committed(bootstrap, group)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = list(committed)
        consumer.assign(tps)
        earliest = await consumer.beginning_offsets(tps)
        await consumer.commit({tp: OffsetAndMetadata(earliest[tp], "") for tp in tps})
        return sum(committed[tp] - earliest[tp] for tp in tps)
    finally:
        await consumer.stop()


async def lag(bootstrap: str, group: str) -> int:
    """Messages not yet committed by ``group`` on the partitions it consumes."""
    committed = await _committed(bootstrap, group)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        ends = await consumer.end_offsets(list(committed))
        return sum(max(0, ends[tp] - committed[tp]) for tp in committed)
    finally:
        await consumer.stop()


async def delete_topics(bootstrap: str, names: list[str], wait: float = 60) -> None:
    """Delete ``names`` (those that exist) and wait until the broker forgot them."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        present = [n for n in names if n in await admin.list_topics()]
        if present:
            await admin.delete_topics(present)
        deadline = time.monotonic() + wait
        while set(present) & set(await admin.list_topics()):
            if time.monotonic() > deadline:
                msg = f"topics still present after {wait}s: {present}"
                raise TimeoutError(msg)
            await asyncio.sleep(0.5)
    finally:
        await admin.close()


async def topics_with_prefix(bootstrap: str, prefix: str) -> list[str]:
    """Every topic whose name starts with ``prefix``."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        return sorted(t for t in await admin.list_topics() if t.startswith(prefix))
    finally:
        await admin.close()


async def group_members(bootstrap: str, group: str) -> int:
    """How many members the consumer group has right now."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        [described] = await admin.describe_consumer_groups([group])
        return len(described.groups[0][5]) if described.groups else 0
    finally:
        await admin.close()


async def partitions(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    """Every partition of ``topics``."""
    if not topics:
        return []
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
        return [
            TopicPartition(t["topic"], p["partition"])
            for t in described
            for p in t["partitions"]
        ]
    finally:
        await admin.close()
