"""Recognising a message that kills its worker, so it is not retried forever.

Everything a record raises is caught (``engine.runner``), but a worker can still
die while handling one: out of memory, a crash in native code, a supervisor's
kill. Its successor gets the same message again, first thing, and would die
the same way, forever. Many messages of a partition are in hand at once
(``streams.inflight``), so each flow partition keeps a marker per topic: the
highest offset that may be in hand (``at``), written ahead in steps of
``reserve`` offsets (one table write per step, not per message) and set back,
at most once a second, to the last offset once everything received is done
(``settled``), so a clean stop rarely leaves suspects behind.

A worker that starts on a partition at or before the marker's ``at`` knows its
predecessor stopped with something of ``[start, at]`` in hand: those offsets
are suspects, and each is handled alone (``Verdict.ALONE``: the wiring waits
until nothing else is in flight) with a durable marker naming it (``alone``).
Such a stop names no offset, so it is no strike against any. A worker that
stops while one runs alone names it exactly: its successor counts a strike
against that offset (one more each time), and once an offset has
``max_strikes`` strikes it is dead-lettered unhandled (``Verdict.POISON``).
Reaching an offset past the suspects clears them: the messages were fine, the
stop was not theirs.

``admit`` must be called in offset order per topic partition (the order the
consumer delivers them). The markers live in a store of the flow's partition
(a faust table there, so a rebalanced partition brings its markers along; a
dict in tests).
"""

from __future__ import annotations

import enum
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

MARKER = "__in_hand__"


class Verdict(enum.Enum):
    """What to do with an admitted message."""

    RUN = "run"  # with the others in flight
    ALONE = "alone"  # a suspect: nothing else in flight, the marker is durable
    POISON = "poison"  # dead-letter it unhandled


@dataclass
class PoisonGuard:
    """One flow's markers; ``admit`` before handling each message.

    Attributes:
        store: The partition's key-value store (the current message picks it).
        durable: Waits until the store's writes so far reached the broker.
        max_strikes: How many stops at one offset make it poison.
        reserve: How far ahead of the offset in hand the marker is written.
        settle_seconds: How often at most a settled marker is set back.
        clock: Monotonic seconds.
    """

    store: MutableMapping[str, Any]
    durable: Callable[[], Awaitable[None]]
    max_strikes: int = 3
    reserve: int = 64
    settle_seconds: float = 1.0
    clock: Callable[[], float] = time.monotonic
    _started: set[tuple[str, int]] = field(default_factory=set)
    _ahead: dict[tuple[str, int], int] = field(default_factory=dict)
    _settled_at: dict[tuple[str, int], float] = field(default_factory=dict)

    def covered(self, topic: str, partition: int, offset: int) -> bool:
        """Whether ``offset`` runs with the others, nothing to record (no await)."""
        known = self._ahead.get((topic, partition))
        return known is not None and offset <= known

    async def admit(self, topic: str, partition: int, offset: int) -> Verdict:
        """Record ``offset`` as in hand; what to do with its message."""
        where = (topic, partition)
        if self.covered(topic, partition, offset):
            return Verdict.RUN  # the common case: no suspects, marker ahead
        name = _name(topic)
        marker = self.store.get(name) or {}
        at, alone = marker.get("at"), bool(marker.get("alone"))
        suspect = marker.get("suspect")
        strikes = int(marker.get("strikes", 0))
        if where not in self._started:
            # The first message of this partition in this worker: did the last
            # worker stop while it had this one or a later one in hand?
            self._started.add(where)
            if at is not None and offset <= at:
                if alone:  # it named the offset it stopped on
                    again = suspect is not None and suspect[0] <= at <= suspect[1]
                    suspect, strikes = [at, at], strikes + 1 if again else 1
                else:  # one of many: a strike against none of them
                    suspect, strikes = [offset, at], 0
        if suspect is not None and offset > suspect[1]:
            suspect, strikes = None, 0  # got past them: they were not the cause
        if suspect is None:
            ahead = offset + self.reserve
            self.store[name] = {
                "at": ahead,
                "alone": False,
                "suspect": None,
                "strikes": 0,
            }
            self._ahead[where] = ahead
            return Verdict.RUN
        self._ahead.pop(where, None)
        self.store[name] = {
            "at": offset,
            "alone": True,
            "suspect": suspect,
            "strikes": strikes,
        }
        if suspect == [offset, offset] and strikes >= self.max_strikes:
            return Verdict.POISON
        await self.durable()  # a stop now must count: make the marker durable
        return Verdict.ALONE

    def settled(self, topic: str, partition: int, offset: int) -> None:
        """Everything received of the partition up to ``offset`` is done.

        Sets the marker back from its reserve, so a clean stop (or a
        rebalance) here is no strike for the offsets reserved ahead.
        """
        where = (topic, partition)
        now = self.clock()
        if (
            now - self._settled_at.get(where, -self.settle_seconds)
            < self.settle_seconds
        ):
            return  # under load the partition settles after nearly every message
        if self._ahead.get(where, -1) > offset:
            self._settled_at[where] = now
            self.store[_name(topic)] = {
                "at": offset,
                "alone": False,
                "suspect": None,
                "strikes": 0,
            }
            self._ahead[where] = offset

    def forget(self, partition: int) -> None:
        """The partition was taken away: a later assignment starts afresh."""
        for where in [w for w in self._started if w[1] == partition]:
            self._started.discard(where)
            self._ahead.pop(where, None)


def _name(topic: str) -> str:
    """The marker's key: a flow's inbound topics share the partition's store."""
    return f"{MARKER}{topic}"
