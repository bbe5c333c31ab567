"""Retry timing: capped exponential backoff with jitter, and ``Retry-After`` parsing.

``backoff`` is the one backoff rule of tether: ``HttpClient`` uses it between
attempts of one request, the flow logic between in-place retries of one event.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

# 2**32 * base_delay is already far past any sensible cap; keeps the float finite.
_MAX_EXPONENT = 32


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long ``HttpClient`` retries one request.

    Attributes:
        max_attempts: Attempts in all, the first included.
        max_wait: Seconds the client may sleep in total across one request's
            retries; a wait that would exceed it is left to the caller.
        base_delay: Backoff ceiling of the first retry, in seconds.
        max_delay: Cap of the backoff ceiling, in seconds.
    """

    max_attempts: int = 5
    max_wait: float = 60.0
    base_delay: float = 0.5
    max_delay: float = 30.0

    def backoff(self, attempt: int, rng: Callable[[], float]) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based).

        ``backoff`` with this policy's ``base_delay`` and ``max_delay``.

        Args:
            attempt: The attempt that just failed, starting at 1.
            rng: Returns a float in ``[0, 1)``; ``random.random`` in production.
        """
        return backoff(
            attempt, rng, base_delay=self.base_delay, max_delay=self.max_delay
        )


def backoff(
    attempt: int,
    rng: Callable[[], float],
    *,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
) -> float:
    """Seconds to wait after failure number ``attempt`` (1-based): capped, jittered.

    The ceiling doubles with each failure from ``base_delay`` up to
    ``max_delay``. Equal jitter: half the ceiling plus a random share of the
    other half, so clients spread out but never retry at once.

    Args:
        attempt: The failure just seen, starting at 1.
        rng: Returns a float in ``[0, 1)``; ``random.random`` in production.
        base_delay: The ceiling after the first failure, in seconds.
        max_delay: The cap of the ceiling, in seconds.
    """
    exponent = min(max(attempt - 1, 0), _MAX_EXPONENT)
    ceiling = min(max_delay, base_delay * 2.0**exponent)
    return ceiling / 2 + rng() * ceiling / 2


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    Args:
        value: The header's value, or ``None`` when absent.
        now: The current time (aware), to turn an HTTP date into a delay.

    Returns:
        A non-negative delay in seconds, or ``None`` when absent or unparsable.
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        return max(0.0, (when - now).total_seconds())
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)
