"""A worker's own records: write records never hold a flow, link counts stay cheap."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, NamedTuple

import pytest

from engine import metrics
from engine.stores import LinkTable
from schemas.observe import WriteOp, WriteRecord
from streams.provision import TopicSpec, _configs
from streams.snapshots import EXACT_BELOW, ObserveSettings, _count, refresh
from streams.topics import TopicNames
from streams.writelog import WriteSender
from tests.unit.engine.test_handlers import ORGS, PERSONS

RECORD = WriteRecord(flow="f", system="s", entity="T", record_id="1", op=WriteOp.CREATE)


def dropped() -> float:
    return metrics.REGISTRY.get_sample_value("tether_write_records_dropped_total") or 0


class Topic:
    def __init__(self, fail: BaseException | None = None, ack: Any = None) -> None:
        self.sent: list[tuple[str, Any]] = []
        self.fail = fail
        self.ack = ack

    async def send(self, *, key: Any = None, value: Any = None) -> Any:
        if self.fail is not None:
            raise self.fail
        self.sent.append((key, value))
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if isinstance(self.ack, BaseException):
            future.set_exception(self.ack)
        else:
            future.set_result(None)
        return future


async def test_records_are_queued_then_sent_in_order():
    topic = Topic()
    sender = WriteSender(topic, 1_000_000)
    sender.send("s/T/1", RECORD)
    sender.send("s/T/2", RECORD.model_copy(update={"record_id": "2"}))
    assert topic.sent == []  # the flow did not wait for the broker
    await sender.drain()
    assert [k for k, _ in topic.sent] == ["s/T/1", "s/T/2"]


async def test_a_full_queue_drops_and_counts_instead_of_waiting():
    before = dropped()
    sender = WriteSender(Topic(), 1_000_000, size=1)
    sender.send("a", RECORD)
    sender.send("b", RECORD)
    assert dropped() == before + 1
    assert sender.dropped == 1


async def test_a_refused_or_unacknowledged_record_is_counted():
    before = dropped()
    await WriteSender(Topic(fail=RuntimeError("down")), 1_000_000).send_now("a", RECORD)
    sender = WriteSender(Topic(ack=RuntimeError("not leader")), 1_000_000)
    await sender.send_now("b", RECORD)
    await asyncio.sleep(0)  # the acknowledgement's callback
    await asyncio.sleep(0)
    assert dropped() == before + 2


class Db:
    def __init__(self, keys: list[bytes], estimate: int) -> None:
        self._keys = keys
        self.estimate = estimate

    def property_int_value(self, name: str) -> int:
        assert name == "rocksdb.estimate-num-keys"
        return self.estimate

    def keys(self) -> list[bytes]:
        return self._keys


def test_a_small_partition_is_counted_exactly_without_fausts_offset_key():
    db = Db([b"1", b"2", b"__faust\x00offset__"], estimate=9)  # overwrites inflate it
    assert _count(db) == 2


def test_a_large_partition_is_estimated_never_iterated():
    db = Db([], estimate=EXACT_BELOW + 5)
    db.keys = None  # type: ignore[assignment,method-assign]
    assert _count(db) == EXACT_BELOW + 5


def test_the_writes_topic_is_kept_for_a_time_never_compacted(
    monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("TETHER_WRITES_RETENTION_HOURS", "2")
    hours = ObserveSettings().writes_retention_hours
    spec = TopicSpec("t.writes", 4, retention_ms=int(hours * 3_600_000))
    assert _configs(spec, None) == {"retention.ms": "7200000"}
    assert ObserveSettings.model_fields["writes_retention_hours"].default == 168
    assert ObserveSettings.model_fields["snapshot_seconds"].default == 5


class TP(NamedTuple):
    topic: str
    partition: int


class Consumer:
    def __init__(self, offsets: dict[TP, tuple[int, int]]) -> None:
        self.offsets = offsets  # high watermark, position
        self.positions_asked: list[TP] = []

    def assignment(self) -> set[TP]:
        return set(self.offsets)

    def highwater(self, tp: TP) -> int:
        return self.offsets[tp][0]

    async def position(self, tp: TP) -> int:
        self.positions_asked.append(tp)
        return self.offsets[tp][1]


async def test_lag_links_and_parked_changes_are_refreshed_per_flow():
    names = TopicNames("app")
    orgs, persons = ORGS, PERSONS  # both read Webcrm; different topics
    src = names.entity(orgs.source.system, orgs.source.type)
    consumer = Consumer(
        {
            TP(src, 0): (10, 4),
            TP(src, 1): (3, 3),
            TP(names.from_target(orgs.name), 0): (5, 4),
            TP(names.entity("other", "Thing"), 0): (100, 0),  # no flow of ours
        }
    )
    parking = SimpleNamespace(pending=2)
    topology: Any = SimpleNamespace(
        app=SimpleNamespace(consumer=consumer),
        names=names,
        flows={orgs.name: orgs, persons.name: persons},
        runners={
            orgs.name: SimpleNamespace(
                links=LinkTable({"1": {}, "2": {}}), parking=parking
            ),
            persons.name: SimpleNamespace(links=LinkTable({}), parking=None),
        },
    )
    links, pending = await refresh(topology)
    assert links == {orgs.name: 2, persons.name: 0}
    assert pending == {orgs.name: 2, persons.name: 0}
    lag = metrics.REGISTRY.get_sample_value("tether_consumer_lag", {"flow": orgs.name})
    assert lag == 7  # 6 + 0 on the source topic, 1 on from-target
    assert metrics.REGISTRY.get_sample_value("tether_links", {"flow": orgs.name}) == 2
    assert TP(names.entity("other", "Thing"), 0) not in consumer.positions_asked
