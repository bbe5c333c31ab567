"""A client-side sliding-window rate limiter, to stay under a system's known limit."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

logger = logging.getLogger(__name__)


class SlidingWindowLimiter:
    """Allows at most ``limit`` acquisitions in any ``window`` seconds.

    Webcrm counts 250 requests per sliding minute per token; waiting here is
    cheaper than being throttled there. Waiters queue on a lock, so they are
    served in arrival order.

    Args:
        limit: Acquisitions allowed per window.
        window: Window length in seconds.
        clock: Monotonic seconds; injectable for tests.
        sleep: Async sleep; injectable for tests.
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if limit < 1 or window <= 0:
            msg = f"rate limit needs limit >= 1 and window > 0, got {limit}/{window}s"
            raise ValueError(msg)
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._stamps: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        """Wait until one more request fits in the window, then count it."""
        async with self._lock:
            while True:
                now = self._clock()
                while self._stamps and self._stamps[0] <= now - self.window:
                    self._stamps.popleft()
                if len(self._stamps) < self.limit:
                    self._stamps.append(now)
                    return
                wait = self._stamps[0] + self.window - now
                logger.debug(
                    "rate limit %d/%.0fs reached; waiting %.2fs",
                    self.limit,
                    self.window,
                    wait,
                )
                await self._sleep(wait)
