"""Rebuilds the RocksDB tables from their changelogs in bulk before faust starts.

faust's own recovery hands every changelog record through its consumer, an
event, a queue and a task: about 2,000 records a second on this machine, so a
worker without local state (a new machine, a lost volume) needs over half an
hour for a million links (a link, a route and two id-map rows each). Read in
batches with a plain consumer and written with one RocksDB write batch per
fetch, the same records take a minute. What is written is exactly what faust's
``apply_changelog_batch`` writes (raw key and value, a delete for a tombstone,
the last offset as the persisted one), so faust's recovery then starts at that
offset and reads only what arrived since.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faust
import rocksdict
from aiokafka import AIOKafkaConsumer, TopicPartition
from faust.stores.rocksdb import RocksDBOptions
from faust.stores.rocksdb import Store as RocksDBStore

from streams.kafka_security import kafka_options
from streams.tables import rocksdb_tables

log = logging.getLogger(__name__)

# Small fetches keep the worker's peak memory low; throughput barely changes.
FETCH_BYTES = 2 * 2**20
FETCH_RECORDS = 20_000


@dataclass(frozen=True)
class _Partition:
    path: Path  # where faust's RocksDB store keeps it
    options: RocksDBOptions


@dataclass(frozen=True)
class PreloadReport:
    """What a preload did: changelog records applied, partitions, seconds."""

    records: int
    partitions: int
    seconds: float


def _on_disk(app: faust.App) -> dict[TopicPartition, _Partition]:
    # Paths and options as faust's store derives them; the stores themselves
    # are made once the worker's event loop runs.
    found = {}
    for table in rocksdb_tables(app):
        options = RocksDBOptions(**(table.options or {}))
        for partition in range(table.partitions or 1):
            tp = TopicPartition(table.changelog_topic_name, partition)
            path = Path(app.conf.tabledir) / f"{table.name}-{partition}.db"
            found[tp] = _Partition(path, options)
    return found


async def preload(app: faust.App, bootstrap: str) -> PreloadReport:
    """Apply every changelog record the local databases lack; return the count."""
    started = time.monotonic()
    parts = _on_disk(app)
    if not parts:
        return PreloadReport(0, 0, 0.0)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        **kafka_options(),
        enable_auto_commit=False,
        auto_offset_reset="earliest",  # a compacted-away offset: from the start
        max_partition_fetch_bytes=FETCH_BYTES,
        fetch_max_bytes=4 * FETCH_BYTES,
        max_poll_records=FETCH_RECORDS,
    )
    dbs: dict[TopicPartition, Any] = {}
    applied = 0
    await consumer.start()
    try:
        # One look at every end first: an empty changelog (a new deployment)
        # or one the local database already holds needs no database opened,
        # no seek and no fetch (a seek per partition costs a round trip each).
        ends = await consumer.end_offsets(list(parts))
        starts: dict[TopicPartition, int | None] = {}
        for tp, end in ends.items():
            if not end:
                continue
            part = parts[tp]
            part.path.parent.mkdir(parents=True, exist_ok=True)
            db = part.options.open(part.path)
            persisted = db.get(RocksDBStore.offset_key)
            if persisted is not None and int(persisted) + 1 >= end:
                db.close()
                continue
            dbs[tp] = db
            starts[tp] = None if persisted is None else int(persisted) + 1
        consumer.assign(list(starts))
        for tp, start in starts.items():
            if start is not None:
                consumer.seek(tp, start)
        fresh = [tp for tp, start in starts.items() if start is None]
        if fresh:
            await consumer.seek_to_beginning(*fresh)
        # Until a look at the ends finds nothing new: a high watermark read
        # right after the changelog was written may still lag behind it.
        while starts and (pending := await _behind(consumer, list(starts))):
            while pending:
                fetched = await consumer.getmany(
                    *pending, timeout_ms=1000, max_records=FETCH_RECORDS
                )
                for tp, messages in fetched.items():
                    applied += _write(dbs[tp], messages)
                pending = {
                    tp: end
                    for tp, end in pending.items()
                    if await consumer.position(tp) < end
                }
    finally:
        await consumer.stop()
        for db in dbs.values():
            db.close()
    report = PreloadReport(applied, len(parts), time.monotonic() - started)
    log.info(
        "tables rebuilt from changelogs: %d records into %d partitions in %.1f s",
        report.records,
        report.partitions,
        report.seconds,
    )
    return report


async def _behind(
    consumer: AIOKafkaConsumer, tps: list[TopicPartition]
) -> dict[TopicPartition, int]:
    """The partitions whose end is past the consumer's position, with their ends."""
    ends = await consumer.end_offsets(tps)
    return {tp: end for tp, end in ends.items() if await consumer.position(tp) < end}


def _write(db: Any, messages: list[Any]) -> int:
    """One write batch of a fetch, then its last offset as the persisted one."""
    if not messages:
        return 0
    batch = rocksdict.WriteBatch(raw_mode=True)
    for message in messages:
        if message.value is None:
            batch.delete(message.key)
        else:
            batch.put(message.key, message.value)
    db.write(batch)
    db.put(RocksDBStore.offset_key, str(messages[-1].offset).encode())
    return len(messages)


def preload_sync(app: faust.App, bootstrap: str) -> PreloadReport:
    """``preload`` for a caller outside an event loop (worker start-up)."""
    return asyncio.run(preload(app, bootstrap))
