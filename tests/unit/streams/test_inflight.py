"""Many events in flight: keys together, one key in order, acks in offset order."""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass, field
from typing import Any

import pytest
from faust.streams import _current_event, current_event

from engine.dispatch import DispatcherStoppedError
from engine.poison import PoisonGuard
from streams.inflight import Watermark, may_commit, run_in_flight


@dataclass
class Message:
    topic: str
    partition: int
    offset: int
    acked: bool = False

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)


@dataclass(eq=False)
class Event:
    key: str
    value: Any
    message: Message
    acks: list[tuple[str, int, int]] = field(default_factory=list)

    def ack(self) -> bool:
        self.message.acked = True
        m = self.message
        self.acks.append((m.topic, m.partition, m.offset))
        return True


class Stream:
    """Yields events like faust's stream: each the current event while it is."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Event] = asyncio.Queue()
        self.acks: list[tuple[str, int, int]] = []
        self.offsets: dict[tuple[str, int], int] = {}

    def put(self, key: str, *, partition: int = 0, topic: str = "t") -> Event:
        offset = self.offsets.get((topic, partition), 0)
        self.offsets[(topic, partition)] = offset + 1
        event = Event(key, None, Message(topic, partition, offset), self.acks)
        self.queue.put_nowait(event)
        return event

    def noack(self) -> Stream:
        return self

    async def events(self) -> Any:
        while True:
            event = await self.queue.get()
            _current_event.set(weakref.ref(event))  # as faust's Stream.__aiter__
            yield event


class Jobs:
    def __init__(self) -> None:
        self.gates: dict[str, asyncio.Event] = {}
        self.started: list[str] = []
        self.finished: list[str] = []
        self.saw_own_event: list[bool] = []
        self.running = 0
        self.most = 0
        self.fail: set[str] = set()

    def gate(self, name: str) -> asyncio.Event:
        return self.gates.setdefault(name, asyncio.Event())

    async def handle(self, event: Event) -> None:
        name = f"{event.key}{event.message.offset}"
        self.started.append(name)
        self.running += 1
        self.most = max(self.most, self.running)
        try:
            await self.gate(name).wait()
            # What faust's tables read to pick the changelog partition.
            self.saw_own_event.append(current_event() is event)
            if name in self.fail:
                raise OSError("broker gone")
        finally:
            self.running -= 1
        self.finished.append(name)

    def release(self, *names: str) -> None:
        for name in names:
            self.gate(name).set()


async def settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def test_keys_run_together_in_order_per_key_and_acks_follow_offsets():
    stream, jobs = Stream(), Jobs()
    for key in ("a", "b", "a", "c"):
        stream.put(key)  # offsets 0..3
    agent = asyncio.create_task(run_in_flight(stream, jobs.handle, limit=8))
    await settle()
    assert sorted(jobs.started) == ["a0", "b1", "c3"]  # a2 waits for a0
    jobs.release("b1", "c3")
    await settle()
    assert stream.acks == []  # 1 and 3 are done, but 0 is not: nothing acked
    jobs.release("a0")
    await settle()
    assert stream.acks == [("t", 0, 0), ("t", 0, 1)]  # 2 (a2) runs now
    jobs.release("a2")
    await settle()
    assert [a[2] for a in stream.acks] == [0, 1, 2, 3]
    assert jobs.saw_own_event == [True] * 4  # even after the loop moved on
    agent.cancel()
    with pytest.raises(asyncio.CancelledError):
        await agent


async def test_partitions_are_acked_independently():
    stream, jobs = Stream(), Jobs()
    stream.put("a", partition=0)
    stream.put("b", partition=1)
    agent = asyncio.create_task(run_in_flight(stream, jobs.handle, limit=8))
    await settle()
    jobs.release("b0")
    await settle()
    assert stream.acks == [("t", 1, 0)]
    jobs.release("a0")
    await settle()
    assert stream.acks == [("t", 1, 0), ("t", 0, 0)]
    agent.cancel()
    with pytest.raises(asyncio.CancelledError):
        await agent


async def test_the_limit_holds_the_stream_back():
    stream, jobs = Stream(), Jobs()
    for key in "abcdef":
        stream.put(key)
    agent = asyncio.create_task(run_in_flight(stream, jobs.handle, limit=2))
    await settle()
    assert len(jobs.started) == 2
    for name in ("a0", "b1", "c2", "d3", "e4", "f5"):
        jobs.release(name)
    await settle()
    assert jobs.most == 2
    assert len(stream.acks) == 6
    agent.cancel()
    with pytest.raises(asyncio.CancelledError):
        await agent


async def test_a_failing_job_stops_the_agent_at_once_with_nothing_acked_past_it():
    stream, jobs = Stream(), Jobs()
    jobs.fail.add("a0")
    for key in ("a", "b", "a"):
        stream.put(key)
    agent = asyncio.create_task(run_in_flight(stream, jobs.handle, limit=8))
    await settle()
    jobs.release("b1", "a0", "a2")  # the stream is idle afterwards
    with pytest.raises(DispatcherStoppedError):
        await asyncio.wait_for(agent, timeout=5)
    assert stream.acks == []  # 1 finished, but 0 failed before it: redelivered
    assert "a2" not in jobs.started


async def test_a_stopping_agent_lets_what_is_in_flight_finish_and_acks_it():
    stream, jobs = Stream(), Jobs()
    stream.put("a")
    agent = asyncio.create_task(run_in_flight(stream, jobs.handle, limit=8))
    await settle()
    agent.cancel()
    await settle()
    jobs.release("a0")
    with pytest.raises(asyncio.CancelledError):
        await agent
    assert stream.acks == [("t", 0, 0)]


async def test_suspects_after_a_stop_run_alone_and_poison_is_lettered():
    store: dict[str, Any] = {}

    async def flush() -> None:
        return None

    first = PoisonGuard(store, flush, max_strikes=1, reserve=4)
    await first.admit("t", 0, 0)  # a worker stopped with offset 0 in hand
    stream, jobs = Stream(), Jobs()
    lettered: list[int] = []

    async def poisoned(event: Event) -> None:
        lettered.append(event.message.offset)

    for key in "abc":
        stream.put(key)
    guard = PoisonGuard(store, flush, max_strikes=1, reserve=4)
    agent = asyncio.create_task(
        run_in_flight(stream, jobs.handle, limit=8, guard=guard, poisoned=poisoned)
    )
    await settle()
    assert jobs.started == ["a0"]  # a suspect: alone, b1 waits behind it
    jobs.release("a0")
    await settle()
    assert jobs.started == ["a0", "b1"]
    jobs.release("b1", "c2")
    await settle()
    assert [a[2] for a in stream.acks] == [0, 1, 2]
    assert lettered == []
    agent.cancel()
    with pytest.raises(asyncio.CancelledError):
        await agent


def test_the_watermark_tells_when_a_partition_is_settled():
    settled: list[tuple[str, int, int]] = []
    marks = Watermark(lambda *where: settled.append(where))
    acks: list[tuple[str, int, int]] = []
    first = marks.received(Event("a", None, Message("t", 0, 5), acks))
    second = marks.received(Event("b", None, Message("t", 0, 7), acks))
    marks.finished(second)
    assert (acks, settled, marks.in_hand) == ([], [], 2)
    marks.finished(first)
    assert acks == [("t", 0, 5), ("t", 0, 7)]
    assert settled == [("t", 0, 7)]


def test_the_consumer_never_commits_past_a_held_message():
    held = [Message("t", 0, 11), Message("t", 1, 3)]
    tp = ("t", 0)
    assert not may_commit(held, [12, 13], tp)  # faust would commit 14
    assert may_commit(held, [9, 10], tp)  # up to 11, not past it
    assert may_commit(held, [], tp)
    held[0].acked = True
    assert may_commit(held, [12, 13], tp)


async def test_a_stop_cancels_what_does_not_finish_in_its_grace_unacked():
    stream, jobs = Stream(), Jobs()
    stream.put("a")
    agent = asyncio.create_task(
        run_in_flight(stream, jobs.handle, limit=8, stop_grace=0.05)
    )
    await settle()
    agent.cancel()  # a0 never finishes (waits for a system, say)
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(agent, timeout=5)
    await settle()
    assert stream.acks == []
    assert jobs.running == 0  # cancelled, left for redelivery
