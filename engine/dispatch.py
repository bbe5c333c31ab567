"""Many keys in flight, each key in order: how a flow's messages are run.

A flow's partition holds changes of many entities. Handling them one at a time
makes every change wait for the HTTP round trips of all before it; handling
them all at once would reorder changes of one entity. A ``KeyedDispatcher``
runs the messages of different keys concurrently (at most ``limit`` at once)
and those of one key strictly in the order they arrived, and reports each one
done only when it is: the wiring acknowledges it then, and Kafka's consumer
commits a partition only up to its first message not yet done (a watermark),
so a crash redelivers everything unfinished and nothing after a gap is lost.

A job that raises stops the dispatcher: later jobs of its key do not run, none
of them is reported done, ``on_failure`` is told at once (an idle stream would
otherwise never notice) and the next ``submit`` (or ``drain``) raises, so the
worker stops and the unfinished messages are redelivered. Jobs are expected
not to raise for the data they carry (``engine.runner`` catches that); what
escapes is the infrastructure failing.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable

from connectors.errors import FatalError

Job = Callable[[], Awaitable[None]]
Done = Callable[[], None]


class DispatcherStoppedError(FatalError):
    """A job failed earlier; the dispatcher takes no more work: stop the worker."""


class KeyedDispatcher:
    """Runs jobs concurrently across keys and in order within a key.

    Args:
        limit: How many jobs may run at once; ``submit`` waits for a free slot,
            which holds back the stream behind it (back-pressure).
        on_failure: Called once with the first exception a job raised.
    """

    def __init__(
        self,
        limit: int,
        on_failure: Callable[[BaseException], None] | None = None,
    ) -> None:
        if limit < 1:
            msg = f"limit must be at least 1, not {limit}"
            raise ValueError(msg)
        self.limit = limit
        self._slots = asyncio.Semaphore(limit)
        self._tails: dict[Hashable, asyncio.Task[None]] = {}
        self._running: set[asyncio.Task[None]] = set()
        self._failure: BaseException | None = None
        self._on_failure = on_failure

    @property
    def failure(self) -> BaseException | None:
        """The first exception a job raised, if any."""
        return self._failure

    @property
    def in_flight(self) -> int:
        """Jobs submitted and not finished."""
        return len(self._running)

    async def submit(self, key: Hashable, job: Job, done: Done) -> None:
        """Start ``job`` after the earlier jobs of ``key``; ``done`` when it ends.

        Returns as soon as the job is started (or queued behind its key), once
        a slot is free.

        Raises:
            DispatcherStoppedError: An earlier job failed.
        """
        self._raise_failure()
        await self._slots.acquire()
        try:
            self._raise_failure()
        except DispatcherStoppedError:
            self._slots.release()
            raise
        previous = self._tails.get(key)
        task = asyncio.create_task(self._run(key, previous, job, done))
        self._tails[key] = task
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def drain(self) -> None:
        """Wait until every submitted job finished; raise if one failed."""
        while self._running:
            await asyncio.wait(set(self._running))
        self._raise_failure()

    def cancel(self) -> None:
        """Cancel every job not finished: none of them is reported done."""
        for task in list(self._running):
            task.cancel()

    async def _run(
        self,
        key: Hashable,
        previous: asyncio.Task[None] | None,
        job: Job,
        done: Done,
    ) -> None:
        current = asyncio.current_task()
        try:
            if previous is not None:
                await asyncio.wait({previous})  # its outcome is recorded by itself
            if self._failure is not None:
                return  # stopping: neither run nor report done
            await job()
            done()
        except BaseException as exc:  # noqa: BLE001 - recorded, re-raised by submit
            if self._failure is None:
                self._failure = exc
                if self._on_failure is not None:
                    self._on_failure(exc)
        finally:
            self._slots.release()
            if self._tails.get(key) is current:
                del self._tails[key]

    def _raise_failure(self) -> None:
        if self._failure is not None:
            msg = f"a job failed, no more are taken: {self._failure!r}"
            raise DispatcherStoppedError(msg) from self._failure
