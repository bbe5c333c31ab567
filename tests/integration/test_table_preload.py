"""The bulk preload writes what faust's recovery would, and only what is missing."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import faust
import pytest
from aiokafka import AIOKafkaProducer

from streams.preload import preload
from streams.provision import TopicSpec, ensure_topics
from streams.settings import StreamSettings
from streams.tables import partitioned_table, shared_table


def _app(app_id: str, home: Path) -> faust.App:
    settings = StreamSettings(app_id=app_id)
    app = faust.App(app_id, datadir=str(home), store="rocksdb://", autodiscover=False)
    partitioned_table(app, "flow-links", 2, settings)
    shared_table(app, "idmap", settings, on_disk=True)
    shared_table(app, "cursors", settings)  # in memory: not preloaded
    return app


async def _produce(bootstrap: str, records: list[tuple[str, int, str, Any]]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for topic, partition, key, value in records:
            raw = None if value is None else json.dumps(value).encode()
            await producer.send_and_wait(
                topic, raw, key=json.dumps(key).encode(), partition=partition
            )
    finally:
        await producer.stop()


def _read(app: faust.App, table: str, partition: int, key: str) -> Any:
    store: Any = cast(Any, app.tables[table]).data
    db = store._db_for_partition(partition)  # noqa: SLF001 - faust's own database
    found = db.get(json.dumps(key).encode())
    return json.loads(found) if found is not None else None


def test_preload_applies_changelogs_and_resumes_where_it_stopped(
    kafka_bootstrap: str, tmp_path: Path, unique_name: Callable[[str], str]
) -> None:
    app_id = unique_name("preload")
    links, idmap = f"{app_id}-flow-links-changelog", f"{app_id}-idmap-changelog"
    specs = [TopicSpec(links, 2, True), TopicSpec(idmap, 1, True)]
    asyncio.run(ensure_topics(kafka_bootstrap, specs))
    first = [
        (links, 0, "s1", {"target_id": "t1"}),
        (links, 1, "s2", {"target_id": "t2"}),
        (links, 1, "s3", {"target_id": "t3"}),
        (links, 1, "s3", None),  # a tombstone: s3 was unlinked
        (idmap, 0, "flow/s/s1", "t1"),
        (idmap, 0, "flow/t/t1", "s1"),
    ]
    asyncio.run(_produce(kafka_bootstrap, first))

    report = asyncio.run(preload(_app(app_id, tmp_path), kafka_bootstrap))
    assert (report.records, report.partitions) == (6, 3)

    asyncio.run(_produce(kafka_bootstrap, [(idmap, 0, "flow/s/s2", "t2")]))
    again = asyncio.run(preload(_app(app_id, tmp_path), kafka_bootstrap))
    assert again.records == 1  # only what arrived since

    app = _app(app_id, tmp_path)
    assert _read(app, "flow-links", 0, "s1") == {"target_id": "t1"}
    assert _read(app, "flow-links", 1, "s2") == {"target_id": "t2"}
    assert _read(app, "flow-links", 1, "s3") is None
    assert _read(app, "idmap", 0, "flow/s/s1") == "t1"
    assert _read(app, "idmap", 0, "flow/s/s2") == "t2"
    # faust's recovery starts from the offset the preload persisted.
    store = cast(Any, app.tables["idmap"]).data
    assert store.persisted_offset(faust.types.TP(idmap, 0)) == 2
    assert not list(tmp_path.rglob("cursors-*.db"))


def test_topics_just_created_are_preloaded_without_error_lines(
    kafka_bootstrap: str,
    tmp_path: Path,
    unique_name: Callable[[str], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # A fresh deployment creates its changelogs and preloads them at once: the
    # cluster must know every new partition's leader by then, or aiokafka logs
    # an ERROR per metadata retry (the demo showed 85 of them under load).
    app_id = unique_name("fresh")
    specs = [
        TopicSpec(f"{app_id}-flow-links-changelog", 2, True),
        TopicSpec(f"{app_id}-idmap-changelog", 1, True),
        *(TopicSpec(f"{app_id}.filler.{n}", 4, False) for n in range(40)),
    ]
    caplog.set_level(logging.WARNING)
    assert len(asyncio.run(ensure_topics(kafka_bootstrap, specs))) == len(specs)
    report = asyncio.run(preload(_app(app_id, tmp_path), kafka_bootstrap))
    assert report.records == 0
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
