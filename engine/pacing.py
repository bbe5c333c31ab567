"""How often a source is polled: soon after a change, seldom when idle, budget tight.

A system's request budget (its rate limit, ``connectors.base.ratelimit``) is
shared by polling and writing. Polls may use only their share of it, and a poll
that finds nothing while little of that share is left backs off (doubling, up
to ``max_interval_seconds``), so idle polling does not spend what writes need;
the first poll that finds a change goes back to the base interval. A tick at
which the polls' share is used up is skipped instead of waiting in the limiter
(a timer whose poll waits for budget overlaps itself and delays every change).
Polls are also spread evenly over the window: a poll of three types when the
polls' share is 125 requests a minute comes every 1.44 s at the fastest, so a
busy source is polled at a steady pace instead of in bursts that spend the
window's share in seconds and then stall every change for the rest of it.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.protocols import Source
from connectors.base.ratelimit import SlidingWindowLimiter

log = logging.getLogger(__name__)

Budget = Callable[[], float]
"""The share of the polls' budget still free now, from 0 to 1."""


class PollPacing(BaseSettings):
    """Adaptive polling (env ``TETHER_POLL_*``)."""

    model_config = SettingsConfigDict(env_prefix="TETHER_POLL_", frozen=True)

    max_interval_seconds: float = Field(
        30.0, gt=0, description="longest interval an idle poll backs off to"
    )
    tight_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="back off while less than this share of the polls' budget is free",
    )


def budget_of(source: Source) -> Budget | None:
    """The free share of ``source``'s limiter for polls; ``None`` when unlimited."""
    limiter = getattr(getattr(source, "client", None), "limiter", None)
    if not isinstance(limiter, SlidingWindowLimiter):
        return None
    found: SlidingWindowLimiter = limiter

    def free() -> float:
        return found.free(poll=True) / max(1, found.cap(poll=True))

    return free


class EvenPace:
    """Spends the polls' share of a limiter evenly over its window.

    Args:
        limiter: The source's limiter.
    """

    def __init__(self, limiter: SlidingWindowLimiter) -> None:
        self._limiter = limiter

    def per_request(self) -> float:
        """Seconds per poll request that spread the polls' share over the window."""
        found = self._limiter
        return (found.window + found.margin) / max(1, found.cap(poll=True))

    def made(self) -> int:
        """Poll requests made so far (a poll's cost is the difference)."""
        return self._limiter.polls_made


def even_pace_of(source: Source) -> EvenPace | None:
    """``source``'s even pace; ``None`` when unlimited."""
    limiter = getattr(getattr(source, "client", None), "limiter", None)
    if not isinstance(limiter, SlidingWindowLimiter):
        return None
    return EvenPace(limiter)


class PollPacer:
    """Decides, at each timer tick, whether this system is polled.

    Args:
        base: The timer's interval (``TETHER_POLL_INTERVAL``), the fastest pace.
        budget: The free share of the polls' budget, or ``None`` (unlimited).
        settings: Back-off limits.
        clock: Monotonic seconds.
        even: The source's even pace, or ``None`` (unlimited).
    """

    def __init__(
        self,
        base: float,
        budget: Budget | None,
        settings: PollPacing | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        even: EvenPace | None = None,
    ) -> None:
        self.base = base
        self.even = even
        self._made_at = 0
        self.interval = base
        self.budget = budget
        self.settings = settings or PollPacing()
        self._clock = clock
        self._next = 0.0

    def due(self) -> bool:
        """Whether to poll at this tick."""
        if self._clock() < self._next:
            return False
        # Polling now would only wait in the limiter for the polls' share.
        if self.budget is not None and self.budget() <= 0:
            return False
        if self.even is not None:
            self._made_at = self.even.made()
        return True

    def done(self, *, changed: bool) -> None:
        """A poll finished; ``changed``: it published something."""
        steady = 0.0
        if self.even is not None:
            # What this poll cost (pages, every type), spread over the window.
            spent = self.even.made() - self._made_at
            steady = spent * self.even.per_request()
        tight = self.budget is not None and self.budget() < self.settings.tight_share
        if changed or not tight:
            self.interval = self.base
            # The timer's own pace, or the even one when that is slower.
            self._next = self._at(steady) if steady > self.base else 0.0
            return
        ceiling = max(self.base, self.settings.max_interval_seconds, steady)
        longer = min(max(self.interval * 2, steady), ceiling)
        if longer != self.interval:
            log.info("polls find nothing on a tight budget: every %.1fs", longer)
        self.interval = longer
        self._next = self._at(self.interval)

    def _at(self, interval: float) -> float:
        # The timer ticks every ``base``: the first tick at least an interval on
        # (half a tick early counts, or timer jitter would skip a whole one).
        ticks = math.ceil(interval / self.base - 1e-9)
        return self._clock() + ticks * self.base - self.base / 2
