"""Read offsets never jump ahead while the flow is suspended (no dropped messages)."""

from __future__ import annotations

import pytest

from streams.kafka_transport import SeekSafeConsumer, _ReadOffsets


class Flag:
    def __init__(self) -> None:
        self.on = False

    def __call__(self) -> bool:
        return self.on


def test_reads_while_suspended_do_not_count():
    suspended = Flag()
    offsets = _ReadOffsets(suspended)
    assert offsets["tp"] is None
    suspended.on = True
    offsets["tp"] = 60  # fetched but not delivered
    assert offsets["tp"] is None
    suspended.on = False
    offsets["tp"] = 3
    assert offsets["tp"] == 3


def test_a_suspended_seek_may_move_back_but_not_forward():
    suspended = Flag()
    offsets = _ReadOffsets(suspended)
    offsets["tp"] = 10
    suspended.on = True
    offsets.update({"tp": 4})  # seek to the committed offset
    assert offsets["tp"] == 4
    offsets["tp"] = 9
    assert offsets["tp"] == 4


def test_the_transport_uses_the_seek_safe_consumer():
    from streams.kafka_transport import IdempotentTransport

    assert IdempotentTransport.Consumer is SeekSafeConsumer


class FakeApp:
    consumer_generation_id = 1


def bare_consumer(assigned=(), committed=None, changelogs=(), paused=()):
    """A SeekSafeConsumer without Kafka: just the state the seek logic reads."""
    consumer = SeekSafeConsumer.__new__(SeekSafeConsumer)
    consumer._read_offset = _ReadOffsets(lambda: False)
    consumer._committed_offset = dict(committed or {})
    consumer._paused_partitions = set(paused)
    consumer._active_partitions = set(assigned) - set(paused)
    consumer.app = FakeApp()
    consumer.assignment = lambda: set(assigned)
    consumer._is_changelog_tp = lambda tp: tp in changelogs
    consumer.sought = []

    async def earliest_offsets(*tps):
        return dict.fromkeys(tps, 0)

    async def seek_wait(offsets):
        consumer.sought.append(dict(offsets))

    consumer.earliest_offsets = earliest_offsets
    consumer.seek_wait = seek_wait
    return consumer


@pytest.fixture
def parent_seek(monkeypatch):
    """faust's own perform_seek, recording the read offsets it starts with."""
    from faust.transport.drivers import aiokafka as faust_aiokafka

    seen: list[dict] = []

    async def seek(self):
        seen.append(dict(self._read_offset))

    monkeypatch.setattr(faust_aiokafka.Consumer, "perform_seek", seek)
    return seen


async def test_a_seek_forgets_the_stream_read_offsets_first(parent_seek):
    consumer = bare_consumer(
        assigned={"stream", "changelog"},
        committed={"stream": 3},
        changelogs={"changelog"},
    )
    consumer._read_offset.update({"stream": 30, "changelog": 12})
    await consumer.perform_seek()
    assert parent_seek == [{"changelog": 12}]  # what a refetch meanwhile meets


async def test_partitions_without_a_commit_go_back_to_their_beginning(parent_seek):
    consumer = bare_consumer(
        assigned={"committed", "fresh", "changelog"},
        committed={"committed": 5},
        changelogs={"changelog"},
    )
    await consumer.perform_seek()
    assert consumer.sought == [{"fresh": 0}]


def flowing_consumer(paused=()):
    import asyncio

    consumer = bare_consumer(
        assigned={"stream", "changelog"}, changelogs={"changelog"}, paused=paused
    )
    consumer.can_resume_flow = asyncio.Event()
    consumer.suspend_flow = asyncio.Event()
    consumer.suspend_flow.set()
    consumer.scheduled = []

    def add_future(coro):
        consumer.scheduled.append(coro.cr_code.co_name)
        coro.close()

    consumer.add_future = add_future
    return consumer


def test_resuming_a_flowing_stream_seeks_it_once_more():
    consumer = flowing_consumer()
    consumer.resume_flow()
    assert consumer.flow_active
    assert not consumer.suspend_flow.is_set()
    assert consumer.scheduled == ["_seek_again"]


def test_resuming_mid_recovery_leaves_the_paused_streams_alone():
    consumer = flowing_consumer(paused={"stream"})
    consumer.resume_flow()
    assert consumer.scheduled == []


async def test_seeking_again_pauses_the_streams_until_sought(parent_seek):
    from faust.types import TP

    stream = TP("events", 0)
    consumer = bare_consumer(assigned={stream})
    paused_during_seek = []

    async def seek_wait(offsets):
        paused_during_seek.append(set(consumer._paused_partitions))

    consumer.seek_wait = seek_wait
    await consumer._seek_again()
    assert paused_during_seek == [{stream}]
    assert consumer._paused_partitions == set()
    assert stream in consumer._active_partitions
