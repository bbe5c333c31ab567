"""Following topics from outside a worker: each read to its end, then what is new."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from connectors.errors import ConfigurationError, TransientError
from streams.kafka_security import kafka_options

log = logging.getLogger(__name__)

Fold = Callable[[str | None, Any], None]
"""Takes one message: its key and its JSON value (``None`` for a tombstone)."""


def unreachable(bootstrap: str) -> ConfigurationError:
    """The error of a broker that does not answer."""
    msg = (
        f"no Kafka broker answers at {bootstrap}: start one with "
        "`tether broker start`, or set TETHER_KAFKA_BOOTSTRAP"
    )
    return ConfigurationError(msg)


class TopicFollower:
    """One consumer (no group) over many topics, each message given to its topic's fold.

    ``catch_up`` reads every followed topic to its end as of the call; the
    positions stay, so the next call reads only what arrived since. A topic
    that does not exist yet is picked up by the first call after it appears.
    """

    def __init__(self, bootstrap: str, max_seconds: float = 120.0) -> None:
        self.bootstrap = bootstrap
        self.max_seconds = max_seconds
        self._folds: dict[str, Fold] = {}
        self._positions: dict[TopicPartition, int] = {}
        self._described: dict[str, list[TopicPartition]] = {}
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    @property
    def admin(self) -> AIOKafkaAdminClient:
        """The admin client (after ``start``)."""
        if self._admin is None:
            msg = "TopicFollower used before start()"
            raise RuntimeError(msg)
        return self._admin

    @property
    def consumer(self) -> AIOKafkaConsumer:
        """The consumer (after ``start``)."""
        if self._consumer is None:
            msg = "TopicFollower used before start()"
            raise RuntimeError(msg)
        return self._consumer

    async def start(self) -> None:
        """Connect to the broker; ``ConfigurationError`` when it does not answer."""
        # Made here, not in __init__: aiokafka's clients need the running loop.
        self._admin = AIOKafkaAdminClient(
            bootstrap_servers=self.bootstrap,
            **kafka_options(),
            request_timeout_ms=15000,
        )
        # Retention may remove what a position points at: start again at the first
        # retained offset rather than fail.
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            **kafka_options(),
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        try:
            await self._admin.start()
            await self._consumer.start()
        except KafkaError as exc:
            await self.close()
            raise unreachable(self.bootstrap) from exc

    async def close(self) -> None:
        """Disconnect (safe to call twice, or without ``start``; not started again)."""
        consumer, admin = self._consumer, self._admin
        self._consumer = self._admin = None
        if consumer is not None:
            await consumer.stop()
        if admin is not None:
            await admin.close()

    def follow(self, topic: str, fold: Fold) -> None:
        """Give each message of ``topic`` to ``fold`` from now on (once per topic)."""
        self._folds.setdefault(topic, fold)

    def following(self, topic: str) -> bool:
        """Whether ``topic`` is followed."""
        return topic in self._folds

    async def topics(self) -> set[str]:
        """Every topic on the cluster."""
        try:
            return set(await self.admin.list_topics())
        except KafkaError as exc:
            raise unreachable(self.bootstrap) from exc

    async def partitions(self, topics: Iterable[str]) -> list[TopicPartition]:
        """Every partition of ``topics`` (each of which must exist; a topic's
        partitions are looked up once: tether never adds any)."""
        wanted = set(topics)
        new = sorted(wanted - set(self._described))
        if new:
            try:
                described = await self.admin.describe_topics(new)
            except KafkaError as exc:
                raise unreachable(self.bootstrap) from exc
            for topic in described:
                found = [TopicPartition(topic["topic"], p["partition"])
                         for p in topic["partitions"]]  # fmt: skip
                if found:  # a topic being created may show none yet
                    self._described[topic["topic"]] = sorted(found)
        return [tp for t in sorted(wanted) for tp in self._described.get(t, [])]

    async def catch_up(self, present: set[str] | None = None) -> None:
        """Read every followed topic (of those ``present``) to its current end."""
        present = await self.topics() if present is None else present
        await self._assign({t for t in self._folds if t in present})
        tps = list(self._positions)
        if not tps:
            return
        ends = await self.consumer.end_offsets(tps)
        pending = {tp for tp in tps if ends[tp] > self._positions[tp]}
        deadline = time.monotonic() + self.max_seconds
        while pending:
            if time.monotonic() > deadline:
                # What was read stays read: the next call goes on from there.
                msg = f"reading tether's topics took more than {self.max_seconds:.0f}s"
                raise TransientError(msg)
            batch = await self.consumer.getmany(*pending, timeout_ms=500)
            for tp, messages in batch.items():
                fold = self._folds[tp.topic]
                # Newer messages than the end too: the position moves past them.
                for message in messages:
                    _give(fold, tp.topic, message)
            for tp in list(pending):
                self._positions[tp] = await self.consumer.position(tp)
                if self._positions[tp] >= ends[tp]:
                    pending.discard(tp)

    async def _assign(self, topics: set[str]) -> None:
        known = {tp.topic for tp in self._positions}
        new = topics - known
        if not new:
            return
        added = await self.partitions(new)
        if not added:
            return  # created but not described yet: the next call takes them
        starts = await self.consumer.beginning_offsets(added)
        self._positions.update(starts)
        # assign() forgets every position: each is set again from ours.
        self.consumer.assign(list(self._positions))
        for tp, offset in self._positions.items():
            self.consumer.seek(tp, offset)


def _give(fold: Fold, topic: str, message: Any) -> None:
    key = message.key.decode("utf-8", "replace") if message.key is not None else None
    if message.value is None:
        fold(key, None)
        return
    try:
        value = orjson.loads(message.value)
    except orjson.JSONDecodeError:
        # Anyone may write to a topic: such a value must not stop a status.
        log.warning(
            "%s: skipping a value that is not JSON at offset %d", topic, message.offset
        )
        return
    fold(key, value)
