"""Many events of an agent in flight, each key in order, acked in offset order.

An agent iterates its stream without faust's acks (``stream.noack()``) and
hands each event to a ``KeyedDispatcher`` (``engine.dispatch``): events of
different keys run concurrently, up to a limit, those of one key in the order
they arrived. A ``Watermark`` acks an event only once it and every earlier
event of its topic partition that this agent received are done, so faust never
sees a gap in the acked offsets (its gap handling commits one past a message
still in flight, faust #606) and a crash redelivers everything unfinished.

Each job is a task created while its event is the stream's current event, so
it inherits faust's ``current_event`` context: table writes pick the event's
partition as they do in a plain agent loop. An unexpected exception in a job
cancels the agent loop, which re-raises it (``DispatcherStoppedError``): the
crashing supervisor stops the worker with nothing acked past the failure.

``may_commit`` is the consumer's own guard: it never commits a partition
past a message some stream still holds, whoever acked the later ones (faust
acks the events it skips around a rebalance on its own).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from engine.dispatch import DispatcherStoppedError, KeyedDispatcher
from engine.poison import PoisonGuard, Verdict

log = logging.getLogger(__name__)

Handle = Callable[[Any], Awaitable[None]]


@dataclass
class _Entry:
    event: Any
    offset: int
    done: bool = False


class Watermark:
    """Acks events in offset order per topic partition, once each is done.

    Args:
        settled: Told ``(topic, partition, offset)`` whenever every event
            received of that partition is done, up to ``offset``.
    """

    def __init__(self, settled: Callable[[str, int, int], None] | None = None) -> None:
        self._pending: dict[tuple[str, int], deque[_Entry]] = {}
        self._settled = settled

    def received(self, event: Any) -> _Entry:
        """Record ``event`` as in hand, behind those received before it."""
        message = event.message
        entry = _Entry(event, message.offset)
        key = (message.topic, message.partition)
        queue = self._pending.get(key)
        if queue is None:
            queue = self._pending[key] = deque()
        queue.append(entry)
        return entry

    def finished(self, entry: _Entry) -> None:
        """``entry`` is done: ack it and the done ones behind it, in order."""
        entry.done = True
        message = entry.event.message
        key = (message.topic, message.partition)
        queue = self._pending[key]
        last = None
        while queue and queue[0].done:
            last = queue.popleft()
            last.event.ack()
        if last is not None and not queue and self._settled is not None:
            self._settled(key[0], key[1], last.offset)

    @property
    def in_hand(self) -> int:
        """Events received and not acked yet."""
        return sum(len(queue) for queue in self._pending.values())


async def run_in_flight(
    stream: Any,
    handle: Handle,
    *,
    limit: int,
    guard: PoisonGuard | None = None,
    poisoned: Handle | None = None,
    stop_grace: float = 10.0,
) -> None:
    """Run ``handle`` for every event of ``stream``, keyed by the message key.

    ``guard`` (with ``poisoned`` for what it refuses) decides per event whether
    it runs with the others, alone, or not at all. Stopping, what is in flight
    gets ``stop_grace`` seconds to finish (and be acked); what is left then is
    cancelled, unacked, for redelivery.
    """
    loop_task = asyncio.current_task()
    dispatcher = KeyedDispatcher(limit, on_failure=lambda _exc: _cancel(loop_task))
    marks = Watermark(guard.settled if guard is not None else None)
    try:
        async for event in stream.noack().events():
            entry = marks.received(event)
            job = handle
            verdict = Verdict.RUN
            message = event.message
            if guard is not None and not guard.covered(
                message.topic, message.partition, message.offset
            ):
                verdict = await guard.admit(
                    message.topic, message.partition, message.offset
                )
                if verdict is Verdict.POISON and poisoned is not None:
                    job = poisoned
            if verdict is not Verdict.RUN:
                await dispatcher.drain()  # a suspect runs with nothing else
            await dispatcher.submit(
                event.key,
                _bind(job, event),
                _bind_done(marks, entry),
            )
            if verdict is not Verdict.RUN:
                await dispatcher.drain()
    except asyncio.CancelledError:
        failure = dispatcher.failure
        if failure is None:
            raise
        msg = f"a job failed, the agent stops: {failure!r}"
        raise DispatcherStoppedError(msg) from failure
    finally:
        if dispatcher.failure is None and dispatcher.in_flight:
            # Stopping: let what is in flight finish, so it is acked, not redone;
            # a job waiting on a system or a reference must not hold the stop.
            try:
                await asyncio.wait_for(dispatcher.drain(), stop_grace)
            except BaseException:  # noqa: BLE001 - stopping either way
                dispatcher.cancel()


def _bind(job: Handle, event: Any) -> Callable[[], Awaitable[None]]:
    return lambda: job(event)


def _bind_done(marks: Watermark, entry: _Entry) -> Callable[[], None]:
    return lambda: marks.finished(entry)


def _cancel(task: asyncio.Task[Any] | None) -> None:
    if task is not None:
        task.cancel()


def may_commit(held: Iterable[Any], acked: list[int], tp: Any) -> bool:
    """Whether ``tp`` may commit: False while a held message precedes every ack.

    ``held`` are the messages streams took and did not ack yet (faust's
    ``Consumer._unacked_messages``); ``acked`` the offsets acked since the last
    commit. Committing from the lowest ack would skip the held message.
    """
    if not acked:
        return True
    lowest = min(acked)
    return not any(m.tp == tp and not m.acked and m.offset < lowest for m in list(held))
