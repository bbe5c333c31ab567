"""Reading tether's topics from the command line: present topics, latest per key."""

from __future__ import annotations

from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from connectors.errors import ConfigurationError
from streams.local import latest_by_key, read_topic

# A link topic holds one notice per linked target; tens of thousands of them read in
# seconds, and a partial read would be reported as missing links.
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


async def read_latest(bootstrap: str, topic: str) -> dict[str, Any]:
    """The latest JSON value per key of ``topic`` (empty when it does not exist)."""
    try:
        messages = await read_topic(bootstrap, topic, max_seconds=READ_SECONDS)
    except KafkaError as exc:
        raise _unreachable(bootstrap) from exc
    return latest_by_key(messages)
