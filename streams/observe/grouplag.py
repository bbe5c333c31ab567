"""The workers' consumer group's lag: messages on a partition not yet handled."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from connectors.errors import TransientError
from schemas.dataflow import Flow, TargetMode
from streams.topics import TopicNames


def input_topics(names: TopicNames, flow: Flow) -> tuple[str, ...]:
    """The topics the workers read for ``flow`` (``streams.topology``'s two agents;
    a value-keyed flow has no router, so nothing reads its target or links)."""
    inbound = (
        names.entity(flow.source.system, flow.source.type),
        names.from_target(flow.name),
        names.commands(flow.name),
    )
    if flow.target_mode is TargetMode.VALUE_KEYED:
        return inbound
    routed = (
        names.entity(flow.target.system, flow.target.type),
        names.links(flow.name),
    )
    return inbound + routed


async def group_lag(
    admin: AIOKafkaAdminClient,
    consumer: AIOKafkaConsumer,
    group: str,
    partitions: Sequence[TopicPartition],
) -> dict[TopicPartition, int]:
    """Per partition, its end offset less the group's committed offset (or less
    its first offset, where the group committed nothing: all of it is unread)."""
    if not partitions:
        return {}
    try:
        committed = await admin.list_consumer_group_offsets(
            group, partitions=list(partitions)
        )
        ends = await consumer.end_offsets(list(partitions))
        starts = await consumer.beginning_offsets(list(partitions))
    except KafkaError as exc:
        msg = f"reading the offsets of consumer group {group!r} failed: {exc!r}"
        raise TransientError(msg) from exc
    lag: dict[TopicPartition, int] = {}
    for tp in partitions:
        mark = committed.get(tp)
        done = mark.offset if mark is not None and mark.offset >= 0 else starts[tp]
        lag[tp] = max(0, ends[tp] - max(done, starts[tp]))
    return lag


def flow_lag(lag: Mapping[TopicPartition, int], topics: Iterable[str]) -> int:
    """The lag over every partition of ``topics``."""
    wanted = set(topics)
    return sum(n for tp, n in lag.items() if tp.topic in wanted)
