"""Recognising a message that kills its worker, so it is not retried forever.

Everything a record raises is caught (``engine.runner``), but a worker can still
die while handling one: out of memory, a crash in native code, a supervisor's
kill. Its successor gets the same message again, first thing, and would die
the same way, forever. So each flow partition keeps a marker of the offset in
hand (``at``), written before the message is handled. A worker that starts on
a partition at or before the marker's offset knows its predecessor stopped
there and counts a strike against that offset (``suspect``). While a suspect
is pending, markers are made durable before handling (one flush), and once an
offset has ``max_strikes`` strikes it is dead-lettered unhandled. Reaching a
later offset clears the suspect: the message was fine, the stop was not its.

The markers live in a store of the flow's partition (a faust table there, so
a rebalanced partition brings its markers along; a dict in tests).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

MARKER = "__in_hand__"


@dataclass
class PoisonGuard:
    """One flow's markers; ``admit`` before handling each message.

    Attributes:
        store: The partition's key-value store (the current message picks it).
        durable: Waits until the store's writes so far reached the broker.
        max_strikes: How many stops at one offset make it poison.
    """

    store: MutableMapping[str, Any]
    durable: Callable[[], Awaitable[None]]
    max_strikes: int = 3
    _started: set[int] = field(default_factory=set)

    async def admit(self, partition: int, offset: int) -> bool:
        """Record ``offset`` as in hand; False when it is poison (skip it)."""
        marker = self.store.get(MARKER) or {}
        suspect, strikes = marker.get("suspect"), int(marker.get("strikes", 0))
        if partition not in self._started:
            # The first message of this partition in this worker: did the last
            # worker stop while it had a message at or after this one in hand?
            self._started.add(partition)
            at = marker.get("at")
            if at is not None and offset <= at:
                strikes = strikes + 1 if suspect == at else 1
                suspect = at
        if suspect is not None and offset > suspect:
            suspect, strikes = None, 0  # got past it: it was not the message
        self.store[MARKER] = {"at": offset, "suspect": suspect, "strikes": strikes}
        if suspect is None:
            return True
        if offset == suspect and strikes >= self.max_strikes:
            return False
        await self.durable()  # a stop now must count: make the marker durable
        return True

    def forget(self, partition: int) -> None:
        """The partition was taken away: a later assignment starts afresh."""
        self._started.discard(partition)
