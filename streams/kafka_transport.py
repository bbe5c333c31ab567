"""A faust transport whose producer is idempotent under at-least-once.

faust only turns on ``enable_idempotence`` inside exactly-once transactions.
Idempotence alone (acks=all plus producer id and sequence numbers) keeps broker
retries from writing duplicates or reordering a partition, at about 2 % cost,
without faust's untrustworthy exactly-once path. This leans on the private
``Producer._settings_extra`` hook of faust's aiokafka driver (0.15.3); the
integration test ``test_idempotent_transport`` checks it on a real broker.

Use ``register_transport()`` once, before the app starts, then
``broker="idemkafka://host:port"``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from faust.transport import drivers
from faust.transport.drivers import aiokafka as faust_aiokafka

from streams.inflight import may_commit
from streams.sequences import rewinding

SCHEME = "idemkafka"
IDEMPOTENT_SETTINGS: Mapping[str, Any] = {"acks": "all", "enable_idempotence": True}


class IdempotentProducer(faust_aiokafka.Producer):
    """faust's aiokafka producer with idempotence on outside transactions too."""

    def _settings_extra(self) -> Mapping[str, Any]:
        extra: Mapping[str, Any] = super()._settings_extra()
        return {**extra, **IDEMPOTENT_SETTINGS}

    def _new_producer(self, transactional_id: str | None = None) -> Any:
        # A batch the broker refused must not stop its partition (streams.sequences).
        return rewinding(super()._new_producer(transactional_id))


class _ReadOffsets(dict[Any, Any]):
    """Per-partition "last read" offsets that only move forward while messages flow.

    faust drops a fetched message whose offset is below the partition's read
    offset, taking it for one already read. But it also records messages as read
    while the flow is suspended (around recovery and rebalances), when they are
    not delivered: after recovery it resumes the stream partitions *before* it
    seeks them to their committed offsets, and the messages fetched in between
    pushed the read offset past changes nobody had processed, so their refetch
    was dropped ("DROPPED MESSAGE ROFF" in faust's dev log) and a worker
    restarted after a crash silently skipped them. Found by
    ``tests/integration/test_webcrm_customcrm_faults.py``. Here a suspended
    flow may lower a read offset (a seek back) but never raise or set one: a
    message read twice is processed idempotently, one dropped would be lost.
    """

    def __init__(self, suspended: Callable[[], bool]) -> None:
        super().__init__()
        self._suspended = suspended

    def __missing__(self, key: Any) -> None:
        return None

    def __setitem__(self, key: Any, offset: Any) -> None:
        current = self.get(key)
        if self._suspended() and (
            current is None or offset is None or offset > current
        ):
            return
        super().__setitem__(key, offset)

    def update(self, *args: Any, **kwargs: Any) -> None:
        for key, offset in dict(*args, **kwargs).items():
            self[key] = offset

    def forget(self, keys: Iterable[Any]) -> None:
        """Drop the read offsets of ``keys``, whatever the flow: their messages
        all count as new again."""
        for key in keys:
            dict.pop(self, key, None)


class SeekSafeConsumer(faust_aiokafka.Consumer):
    """faust's aiokafka consumer, without losing messages around a restart."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_offset = _ReadOffsets(self.suspend_flow.is_set)

    def _streams(self) -> list[Any]:
        return [tp for tp in self.assignment() if not self._is_changelog_tp(tp)]

    async def perform_seek(self) -> None:
        """Seek the stream partitions back to their committed offsets.

        Forgets their read offsets first: faust seeks in the consumer's thread
        and lowers them only once the seek returned, so messages refetched in
        between looked already read and were dropped. Partitions that have no
        committed offset yet go back to their beginning, which is where
        ``auto_offset_reset=earliest`` started them: faust leaves them where
        they are, so what was fetched from them before is never read again.
        """
        streams = self._streams()
        reads = self._read_offset
        if isinstance(reads, _ReadOffsets):
            reads.forget(streams)
        await super().perform_seek()
        fresh = [tp for tp in streams if not self._committed_offset.get(tp)]
        if fresh:
            await self.seek_wait(await self.earliest_offsets(*fresh))

    def _new_offset(self, tp: Any) -> int | None:
        # Never past a message a stream still holds (streams.inflight).
        if not may_commit(self._unacked_messages, self._acked[tp], tp):
            return None
        offset: int | None = super()._new_offset(tp)
        return offset

    def resume_flow(self) -> None:
        """Resume the flow; if stream partitions already flow, seek them again.

        After a recovery that read changelogs, faust's fetcher already runs
        when it resumes the stream partitions and seeks them; it then resumes
        its flow control, which empties the streams' queues, just before
        calling this. What was fetched in between is gone from the queues but
        behind the fetch position: a worker restarted after a SIGKILL never
        processed it. So the flowing stream partitions are paused, sought back
        to their committed offsets and resumed. A message read twice is
        processed idempotently; one dropped would be lost. Found by the chaos
        suite (``tests/integration/chaos``).
        """
        super().resume_flow()
        if self._flowing():
            self.add_future(self._seek_again())

    def _flowing(self) -> set[Any]:
        # Mid-recovery faust resumes the flow for the changelogs only; its
        # stream partitions are still paused then and need nothing.
        return {tp for tp in self._streams() if tp not in self._paused_partitions}

    async def _seek_again(self) -> None:
        held = self._flowing()
        if not held:
            return
        generation = self.app.consumer_generation_id
        self.pause_partitions(held)
        try:
            await self.perform_seek()
        finally:
            # A rebalance meanwhile resumes its own partitions after recovery.
            if self.app.consumer_generation_id == generation:
                self.resume_partitions(held & set(self.assignment()))


class IdempotentTransport(faust_aiokafka.Transport):
    """faust's aiokafka transport: idempotent producer, seek-safe consumer."""

    Producer = IdempotentProducer
    Consumer = SeekSafeConsumer


def register_transport() -> str:
    """Make ``idemkafka://`` URLs resolve to :class:`IdempotentTransport`.

    An explicit alias rather than a setuptools entry point, so nothing is found by
    scanning. Safe to call more than once. Returns the scheme.
    """
    drivers.TRANSPORTS.aliases[SCHEME] = f"{__name__}:IdempotentTransport"
    return SCHEME
