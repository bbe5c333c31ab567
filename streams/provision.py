"""Creates tether's topics before a worker subscribes to them.

faust subscribes agents to their topics at start; a topic that does not exist
yet is ignored until the next metadata refresh (minutes), and one auto-created
by a producer gets the broker's default partition count, which breaks the
co-partitioning of flows and link tables. So every topic is created up front,
with its partition count and cleanup policy, and an existing topic with the
wrong partition count is an error an operator must see.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError

from connectors.errors import ConfigurationError


@dataclass(frozen=True)
class TopicSpec:
    """A topic tether needs: name, partitions, and whether it is compacted."""

    name: str
    partitions: int
    compacted: bool = False


async def ensure_topics(
    bootstrap: str, specs: list[TopicSpec], replication_factor: int = 1
) -> list[str]:
    """Create the missing topics; return their names. Idempotent."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=15000)
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
                        topic_configs={"cleanup.policy": "compact"}
                        if s.compacted
                        else {},
                    )
                    for s in missing
                ]
            )
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


def ensure_topics_sync(
    bootstrap: str, specs: list[TopicSpec], replication_factor: int = 1
) -> list[str]:
    """``ensure_topics`` for code that runs before any event loop (the CLI)."""
    return asyncio.run(ensure_topics(bootstrap, specs, replication_factor))
