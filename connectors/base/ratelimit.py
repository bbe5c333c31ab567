"""A client-side sliding-window rate limiter, to stay under a system's known limit.

A system's limit is per credential (Webcrm: 250 requests per sliding minute per
application token), and every worker of a deployment uses the same credential.
So each limiter takes its worker's share of the limit: ``DEPLOYMENT.members``
is how many workers share it (the worker keeps it up to date from its consumer
group, ``streams.membership``). Within that share, polling a source may use at
most ``DEPLOYMENT.poll_share``, so that polls never spend what writes need;
requests made inside ``polling()`` are polls.

The limit belongs to the credential, not to a client object: every client of
one process with the same base URL and secrets shares one limiter
(``shared_limiter``). A 429 answered anyway pauses that limiter for the
system's ``Retry-After``, so every request of the credential waits, not only
the one retried.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
import time
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

logger = logging.getLogger(__name__)

_POLLING: ContextVar[bool] = ContextVar("tether_polling", default=False)


@contextmanager
def polling() -> Iterator[None]:
    """Requests made within count as polls (capped at ``poll_share``)."""
    token = _POLLING.set(True)
    try:
        yield
    finally:
        _POLLING.reset(token)


@dataclass
class Deployment:
    """How this process shares each per-credential limit.

    Attributes:
        members: Workers sharing every limit (this one included).
        poll_share: Share of this worker's part that polls may use.
    """

    members: int = 1
    poll_share: float = 1.0

    def part(self, limit: int) -> int:
        """This worker's part of a deployment's limit.

        Args:
            limit: Requests per window for the whole deployment.

        Returns:
            ``limit`` split between the members, never below one request.
        """
        return max(1, math.floor(limit / max(1, self.members)))

    def poll_part(self, limit: int) -> int:
        """What polls may use of this worker's part.

        Args:
            limit: Requests per window for the whole deployment.

        Returns:
            ``poll_share`` of this worker's part, never below one request.
        """
        return max(1, math.floor(self.part(limit) * self.poll_share))


DEPLOYMENT = Deployment()
"""The process's sharing; one worker process is one member of its group."""


class SlidingWindowLimiter:
    """Allows at most this worker's part of ``limit`` acquisitions in any ``window``.

    Waiting here is cheaper than being throttled there. Polls and other
    requests wait in separate queues, each served in arrival order, so a poll
    waiting for its capped share never holds up a write.

    Args:
        limit: Acquisitions allowed per window, for the whole deployment.
        window: Window length in seconds.
        clock: Monotonic seconds; injectable for tests.
        sleep: Async sleep; injectable for tests.
        deployment: How the limit is shared (the process's by default).
        margin: Seconds a request stays counted beyond the window: the system
            stamps it when it arrives, a little later than here, and a request
            sent the moment an old one left the window here could otherwise
            find that one still inside the system's window.
    """

    def __init__(
        self,
        limit: int,
        window: float = 60.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        deployment: Deployment = DEPLOYMENT,
        margin: float = 1.0,
    ) -> None:
        if limit < 1 or window <= 0:
            msg = f"rate limit needs limit >= 1 and window > 0, got {limit}/{window}s"
            raise ValueError(msg)
        self.limit = limit
        self.window = window
        self.deployment = deployment
        self.margin = margin
        self._clock = clock
        self._sleep = sleep
        self._stamps: deque[float] = deque()
        self.polls_made = 0  # ever, for pacing polls by what they really cost
        # For the worker's metrics (``engine.metrics``): whose limit, and the
        # requests that waited here and for how long, ever.
        self.system = ""
        self.waits = 0
        self.waited_seconds = 0.0
        self._paused_until = 0.0
        # One pair of queues per event loop: a limiter shared per credential
        # may be used from more than one loop (tests, the CLI).
        self._queues: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, dict[bool, asyncio.Lock]
        ] = weakref.WeakKeyDictionary()

    @property
    def allowed(self) -> int:
        """Acquisitions this worker may make per window now."""
        return self.deployment.part(self.limit)

    def cap(self, *, poll: bool) -> int:
        """Acquisitions per window for polls, or for everything else."""
        return self.deployment.poll_part(self.limit) if poll else self.allowed

    def free(self, *, poll: bool) -> int:
        """How many more polls (or other requests) would leave without waiting."""
        now = self._clock()
        if now < self._paused_until:
            return 0
        self._expire(now)
        return max(0, self.cap(poll=poll) - len(self._stamps))

    def throttled(self, seconds: float) -> float:
        """The system answered 429: no request of this credential leaves for
        ``seconds`` (its ``Retry-After``).

        Returns:
            The pause's end, for ``acquire(waited=...)`` by the request that
            waits it out itself.
        """
        until = self._clock() + max(0.0, seconds)
        if until > self._paused_until:
            logger.warning(
                "rate limit %d/%.0fs: throttled by the system; pausing every request"
                " for %.1fs",
                self.limit,
                self.window,
                seconds,
            )
            self._paused_until = until
        return until

    def _expire(self, now: float) -> None:
        span = self.window + self.margin
        while self._stamps and self._stamps[0] <= now - span:
            self._stamps.popleft()

    def _queue(self, poll: bool) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        queues = self._queues.get(loop)
        if queues is None:
            queues = self._queues[loop] = {False: asyncio.Lock(), True: asyncio.Lock()}
        return queues[poll]

    async def acquire(self, *, waited: float = 0.0) -> None:
        """Wait until one more request fits in the window, then count it.

        Args:
            waited: The end of a pause (``throttled``) the caller has already
                slept through; a pause ending later is still waited for.
        """
        poll = _POLLING.get()
        queue = self._queue(poll)
        began, queued = self._clock(), queue.locked()
        slept = await self._acquire(queue, poll, waited)
        if queued or slept:  # behind a request that waits, or waited itself
            self.waits += 1
            self.waited_seconds += self._clock() - began

    async def _acquire(self, queue: asyncio.Lock, poll: bool, waited: float) -> bool:
        slept = False
        async with queue:
            while True:
                now = self._clock()
                if now < self._paused_until and self._paused_until > waited:
                    await self._sleep(self._paused_until - now)
                    slept = True
                    continue
                span = self.window + self.margin
                self._expire(now)
                cap = self.cap(poll=poll)
                if len(self._stamps) < cap:
                    self._stamps.append(now)
                    self.polls_made += poll
                    return slept
                # Enough of the oldest stamps must leave the window to get below
                # the cap (which may have shrunk when a worker joined).
                oldest = self._stamps[len(self._stamps) - cap]
                wait = max(oldest + span - now, 0.001)
                logger.debug(
                    "rate limit %d/%.0fs (%d of it here%s) reached; waiting %.2fs",
                    self.limit,
                    self.window,
                    cap,
                    ", polling" if poll else "",
                    wait,
                )
                await self._sleep(wait)
                slept = True


_SHARED: weakref.WeakValueDictionary[str, SlidingWindowLimiter] = (
    weakref.WeakValueDictionary()
)


def limiter_totals() -> list[tuple[str, int, float]]:
    """Per system, the requests that waited for its shared limiters and the
    seconds they waited, ever (a system's limiters are added up)."""
    totals: dict[str, tuple[int, float]] = {}
    for limiter in list(_SHARED.values()):
        count, seconds = totals.get(limiter.system or "unknown", (0, 0.0))
        totals[limiter.system or "unknown"] = (
            count + limiter.waits,
            seconds + limiter.waited_seconds,
        )
    return [(system, c, s) for system, (c, s) in sorted(totals.items())]


def credential_key(base_url: str, secrets: Iterable[str]) -> str:
    """Names a credential without holding it: a digest of URL and secrets."""
    digest = hashlib.sha256(base_url.encode())
    for secret in secrets:
        digest.update(b"\0" + secret.encode())
    return digest.hexdigest()


def shared_limiter(
    credential: str,
    limit: int,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> SlidingWindowLimiter:
    """The limiter of ``credential`` in this process, made on first use.

    Clients with the same credential share it while any of them lives; two
    declaring different limits for one credential share the lower one.

    Args:
        credential: From ``credential_key``.
        limit: Requests per minute for the whole deployment.
        clock: Monotonic seconds (a limiter made with a test clock is private).
        sleep: Async sleep.
    """
    if clock is not time.monotonic or sleep is not asyncio.sleep:
        return SlidingWindowLimiter(limit, clock=clock, sleep=sleep)
    limiter = _SHARED.get(credential)
    if limiter is None:
        limiter = SlidingWindowLimiter(limit)
        _SHARED[credential] = limiter
    elif limit < limiter.limit:
        limiter.limit = limit
    return limiter
