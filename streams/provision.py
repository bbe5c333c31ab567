"""Creates tether's topics before a worker subscribes to them.

faust subscribes agents to their topics at start; a topic that does not exist
yet is ignored until the next metadata refresh (minutes), and one auto-created
by a producer gets the broker's default partition count, which breaks the
co-partitioning of flows and link tables. So every topic is created up front,
with its partition count and cleanup policy, and an existing topic with the
wrong partition count is an error an operator must see. When tether's message
limit (``TETHER_MAX_MESSAGE_BYTES``) is above Kafka's default, the topics it
creates allow it (``max.message.bytes``), so the broker takes what tether sends.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError

from connectors.errors import ConfigurationError
from streams.kafka_security import kafka_options

KAFKA_MAX_MESSAGE_BYTES = 1_048_588
"""The broker's default ``message.max.bytes``, which topics inherit."""


@dataclass(frozen=True)
class TopicSpec:
    """A topic tether needs: name, partitions, whether it is compacted, and
    how long it keeps messages (``None``: the broker's default)."""

    name: str
    partitions: int
    compacted: bool = False
    retention_ms: int | None = None


async def ensure_topics(
    bootstrap: str,
    specs: list[TopicSpec],
    replication_factor: int = 1,
    *,
    max_message_bytes: int | None = None,
) -> list[str]:
    """Create the missing topics; return their names. Idempotent.

    ``max_message_bytes`` above Kafka's default becomes the new topics'
    ``max.message.bytes``; existing topics are left as they are.
    """
    admin = AIOKafkaAdminClient(
        bootstrap_servers=bootstrap, **kafka_options(), request_timeout_ms=15000
    )
    try:
        await admin.start()
    except KafkaConnectionError as exc:
        msg = (
            f"no Kafka broker answers at {bootstrap}: start one with "
            "`tether broker start`, or set TETHER_KAFKA_BOOTSTRAP"
        )
        raise ConfigurationError(msg) from exc
    try:
        existing = set(await admin.list_topics())
        wanted = {s.name: s for s in specs}
        missing = [s for name, s in wanted.items() if name not in existing]
        if missing:
            await admin.create_topics(
                [
                    NewTopic(
                        s.name,
                        num_partitions=s.partitions,
                        replication_factor=replication_factor,
                        topic_configs=_configs(s, max_message_bytes),
                    )
                    for s in missing
                ]
            )
            await _until_led(admin, missing)
        present = [s for name, s in wanted.items() if name in existing]
        if present:
            described = await admin.describe_topics([s.name for s in present])
            for topic in described:
                spec = wanted[topic["topic"]]
                count = len(topic.get("partitions", []))
                if count != spec.partitions:
                    msg = (
                        f"topic {spec.name} has {count} partitions, tether needs "
                        f"{spec.partitions} (TETHER_PARTITIONS); use a new "
                        "TETHER_APP_ID or repartition"
                    )
                    raise ConfigurationError(msg)
        return [s.name for s in missing]
    except KafkaError as exc:
        msg = f"could not create tether's topics at {bootstrap}: {exc}"
        raise ConfigurationError(msg) from exc
    finally:
        await admin.close()


async def _until_led(
    admin: AIOKafkaAdminClient, specs: list[TopicSpec], seconds: float = 30.0
) -> None:
    """Wait until every partition of the new ``specs`` has a leader.

    A topic is created before the cluster's metadata knows it: a consumer that
    reads it at once (the changelogs' preload, the first poll) would log an
    ERROR per retry ("not found in cluster metadata") until it does.
    """
    deadline = time.monotonic() + seconds
    waiting = {s.name: s.partitions for s in specs}
    while waiting and time.monotonic() < deadline:
        try:
            described = await admin.describe_topics(list(waiting))
        except KafkaError:
            described = []  # not known yet: asked again
        for topic in described:
            partitions = topic.get("partitions") or []
            led = [p for p in partitions if p.get("leader", -1) >= 0]
            if not topic.get("error_code") and len(led) == waiting[topic["topic"]]:
                del waiting[topic["topic"]]
        if waiting:
            await asyncio.sleep(0.2)


def _configs(spec: TopicSpec, max_message_bytes: int | None) -> dict[str, str]:
    configs = {"cleanup.policy": "compact"} if spec.compacted else {}
    if spec.retention_ms is not None:
        configs["retention.ms"] = str(spec.retention_ms)
    if max_message_bytes is not None and max_message_bytes > KAFKA_MAX_MESSAGE_BYTES:
        configs["max.message.bytes"] = str(max_message_bytes)
    return configs


def ensure_topics_sync(
    bootstrap: str,
    specs: list[TopicSpec],
    replication_factor: int = 1,
    *,
    max_message_bytes: int | None = None,
) -> list[str]:
    """``ensure_topics`` for code that runs before any event loop (the CLI)."""
    return asyncio.run(
        ensure_topics(
            bootstrap,
            specs,
            replication_factor,
            max_message_bytes=max_message_bytes,
        )
    )
