"""A value computed at most once per interval, however many pages ask for it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Recent(Generic[T]):
    """The last result of ``compute``, reused for ``seconds``.

    Callers that arrive while it is being computed wait for that computation
    instead of starting their own: a page refreshing every two seconds in many
    browsers reads Kafka once per interval. A failure is not kept.
    """

    def __init__(
        self,
        compute: Callable[[], Awaitable[T]],
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._compute = compute
        self._seconds = seconds
        self._clock = clock
        self._value: T | None = None
        self._at: float | None = None
        self._lock = asyncio.Lock()
        self._epoch = 0  # bumped by ``forget``
        self._value_epoch = 0

    async def get(self) -> T:
        """The value, computed now if the last one is older than the interval."""
        async with self._lock:
            if self._value is None or self._stale():
                epoch = self._epoch
                self._value = await self._compute()
                self._at = self._clock()
                self._value_epoch = epoch
            return self._value

    def forget(self) -> None:
        """Compute afresh on the next ``get`` (the value is known to be old),
        also when a computation that started earlier is still running."""
        self._epoch += 1

    def _stale(self) -> bool:
        if self._at is None or self._value_epoch != self._epoch:
            return True
        return self._clock() - self._at >= self._seconds
