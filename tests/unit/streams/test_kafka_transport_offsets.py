"""Read offsets never jump ahead while the flow is suspended (no dropped messages)."""

from __future__ import annotations

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


async def test_a_seek_forgets_the_read_offsets_before_it_seeks(monkeypatch):
    from faust.transport.drivers import aiokafka as faust_aiokafka

    seen = {}

    async def parent_seek(self):
        seen.update(self._read_offset)  # what a refetch meanwhile is checked with

    monkeypatch.setattr(faust_aiokafka.Consumer, "perform_seek", parent_seek)
    consumer = SeekSafeConsumer.__new__(SeekSafeConsumer)
    consumer._read_offset = _ReadOffsets(lambda: False)
    consumer._read_offset["tp"] = 30
    await consumer.perform_seek()
    assert seen == {}
    assert consumer._read_offset["tp"] is None
