"""Keys in flight together, each key in order, done only when done."""

from __future__ import annotations

import asyncio

import pytest

from engine.dispatch import DispatcherStoppedError, KeyedDispatcher


class Log:
    def __init__(self) -> None:
        self.started: list[str] = []
        self.finished: list[str] = []
        self.done: list[str] = []
        self.gates: dict[str, asyncio.Event] = {}
        self.running = 0
        self.most = 0

    def job(self, name: str, *, fail: bool = False):
        gate = self.gates.setdefault(name, asyncio.Event())

        async def run() -> None:
            self.started.append(name)
            self.running += 1
            self.most = max(self.most, self.running)
            try:
                await gate.wait()
                if fail:
                    raise OSError("broker gone")
            finally:
                self.running -= 1
            self.finished.append(name)

        return run

    def ack(self, name: str):
        return lambda: self.done.append(name)

    def release(self, *names: str) -> None:
        for name in names:
            self.gates.setdefault(name, asyncio.Event()).set()


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_different_keys_run_together_and_one_key_in_order():
    log, dispatcher = Log(), KeyedDispatcher(limit=10)
    for name, key in (("a1", "a"), ("b1", "b"), ("a2", "a"), ("c1", "c")):
        await dispatcher.submit(key, log.job(name), log.ack(name))
    await settle()
    assert sorted(log.started) == ["a1", "b1", "c1"]  # a2 waits for a1
    log.release("a2")  # a2 may not overtake a1 even when it could finish first
    await settle()
    assert "a2" not in log.started
    log.release("a1", "b1", "c1")
    await dispatcher.drain()
    assert log.finished.index("a1") < log.finished.index("a2")
    assert sorted(log.done) == ["a1", "a2", "b1", "c1"]


async def test_the_limit_bounds_jobs_in_flight_and_holds_back_submit():
    log, dispatcher = Log(), KeyedDispatcher(limit=2)
    await dispatcher.submit("a", log.job("a"), log.ack("a"))
    await dispatcher.submit("b", log.job("b"), log.ack("b"))
    third = asyncio.create_task(dispatcher.submit("c", log.job("c"), log.ack("c")))
    await settle()
    assert not third.done()  # back-pressure: the stream waits
    log.release("a")
    await settle()
    assert third.done()
    log.release("b", "c")
    await dispatcher.drain()
    assert log.most == 2


async def test_a_failed_job_is_never_done_and_stops_its_key_and_the_dispatcher():
    log, dispatcher = Log(), KeyedDispatcher(limit=10)
    await dispatcher.submit("a", log.job("a1", fail=True), log.ack("a1"))
    await dispatcher.submit("a", log.job("a2"), log.ack("a2"))
    await dispatcher.submit("b", log.job("b1"), log.ack("b1"))
    log.release("b1")
    await settle()
    log.release("a1", "a2")
    with pytest.raises(DispatcherStoppedError):
        await dispatcher.drain()
    assert log.done == ["b1"]  # finished before the failure: acknowledged
    assert "a2" not in log.started  # behind the failure: left for redelivery
    with pytest.raises(DispatcherStoppedError):
        await dispatcher.submit("c", log.job("c1"), log.ack("c1"))


def test_a_limit_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        KeyedDispatcher(limit=0)


async def test_a_failure_is_told_at_once_even_when_nothing_more_is_submitted():
    log, told = Log(), []
    dispatcher = KeyedDispatcher(limit=4, on_failure=told.append)
    await dispatcher.submit("a", log.job("a1", fail=True), log.ack("a1"))
    log.release("a1")
    await settle()
    assert [type(exc) for exc in told] == [OSError]
    assert dispatcher.failure is told[0]
