"""Storm breakers: a burst of creates, updates or unlinks pauses its flow (rule 18).

A wiped or wrong-tenant system, a mapping mistake or a system that suddenly
answers 404 for everything would otherwise let a flow unlink, re-create or
overwrite everything, and every full re-read would do it again. Each flow's
breaker counts, per worker, in a sliding window (``TETHER_BREAKER_WINDOW_SECONDS``):

- **unlinks**: more than ``UNLINK_MIN`` and more than ``UNLINK_SHARE`` of the
  links the flow held before the burst;
- **updates** of linked records (the writes that settle a new match are part
  of linking, not counted): more than ``UPDATE_MIN`` and more than
  ``UPDATE_SHARE`` of the flow's links;
- **re-creates**: creates that fill the gaps unlinks left in the last
  ``MEMORY_SECONDS``, more than ``CREATE_MIN`` and more than ``CREATE_SHARE`` of
  the links the flow held before those unlinks. A create that grows the flow
  (a first sync, new records) fills no gap and never counts.

The write that would pass a threshold is not made: the breaker records the flow
as paused in the control table every worker follows (``engine.control``), logs
an error and publishes one ``FlowReport(kind="breaker")``. From then on every
write and unlink of that flow, in every worker and after restarts, waits in
place (its event neither lost nor applied) until ``tether resume FLOW``; then it
is handled again from the current state of both systems. The counter that
tripped is exempt for one window after the resume, so the burst the operator
accepted runs to its end. Counts are per worker (its partitions, its links);
the pause is per deployment.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import orjson
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.errors import TransientError
from engine.control import COUNTERS, ControlTable, FlowState
from schemas.envelope import FlowReport
from schemas.links import Link
from schemas.utc import utc_now

log = logging.getLogger(__name__)

KIND = "breaker"
"""The ``FlowReport.kind`` of a tripped breaker."""

LINK_COUNT_SECONDS = 5.0
"""How long a count of a flow's links is reused."""


class FlowHeld(BaseException):  # noqa: N818 - a signal, like CancelledError
    """A held change must leave its worker (a rebalance or a shutdown).

    Not an error of the record: the agent hands the change back to its flow's
    topic (acknowledged by the broker) and goes on, so the partitions can move
    while the flow is paused, and whoever owns them next holds it again. A
    ``BaseException``, so that handlers catching every error let it through.
    """


class FlowResumedError(TransientError):
    """A change held while its flow was paused: handle it again, at once.

    What was read before the pause may be stale. Not a failure of the record:
    a retry budget should not count it, nor the time the flow stood paused.
    """


class BreakerSettings(BaseSettings):
    """Thresholds of every flow's breaker (env ``TETHER_BREAKER_*``), read at start."""

    model_config = SettingsConfigDict(env_prefix="TETHER_BREAKER_", frozen=True)

    window_seconds: float = Field(600.0, gt=0, description="the sliding window")
    create_min: int = Field(5, ge=0, description="re-creates always allowed")
    create_share: float = Field(0.05, ge=0, le=1, description="share of the links")
    update_min: int = Field(200, ge=0, description="updates always allowed")
    update_share: float = Field(0.5, ge=0, le=100, description="share of the links")
    unlink_min: int = Field(10, ge=0, description="unlinks always allowed")
    unlink_share: float = Field(0.2, ge=0, le=1, description="share of the links")
    memory_seconds: float = Field(
        3600.0, gt=0, description="how long an unlink's gap makes a create a re-create"
    )
    check_seconds: float = Field(
        1.0, gt=0, description="how often a paused flow looks whether it was resumed"
    )


class Window:
    """Keys seen in the last ``seconds``; a key seen again (a retry) counts once."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._seen: OrderedDict[str, float] = OrderedDict()

    def slide(self, now: float) -> int:
        """Forget what is older than the window; how many keys remain."""
        horizon = now - self.seconds
        while self._seen and next(iter(self._seen.values())) <= horizon:
            self._seen.popitem(last=False)
        return len(self._seen)

    def __contains__(self, key: object) -> bool:
        return key in self._seen

    def add(self, key: str, now: float) -> None:
        """Count ``key`` at ``now``."""
        self._seen[key] = now

    def clear(self) -> None:
        """Start afresh (after a resume)."""
        self._seen.clear()


class FlowBreaker:
    """One flow's counters in one worker, and the pause they can pull.

    Args:
        flow: The flow's name.
        settings: Thresholds.
        control: The shared paused state of every flow.
        link_count: How many links the flow holds in this worker (may be slow:
            called only when a count passes its absolute threshold).
        report: Where the one report per trip goes.
        clock: Monotonic seconds, for the windows.
        now: The current UTC time, for the shared state.
        sleep: Async sleep, while paused.
        releasing: Whether the worker must let its held changes go (it is
            rebalancing or stopping); checked while paused.
    """

    def __init__(
        self,
        flow: str,
        settings: BreakerSettings,
        control: ControlTable,
        link_count: Callable[[], int],
        report: Callable[[FlowReport], Awaitable[None]],
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = utc_now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        releasing: Callable[[], bool] = lambda: False,
    ) -> None:
        self.flow = flow
        self.settings = settings
        self.control = control
        self._link_count = link_count
        self._report = report
        self._clock = clock
        self._now = now
        self._sleep = sleep
        self._releasing = releasing
        seconds = settings.window_seconds
        self.windows = {counter: Window(seconds) for counter in COUNTERS}
        # When each recent unlink happened: a create while some are open
        # refills a gap (a re-create) instead of growing the flow.
        self._gaps: deque[float] = deque()
        self._resume_seen: datetime | None = None
        self._counted: tuple[float, int] | None = None

    # -- what the flow asks -----------------------------------------------------

    async def may_unlink(self, link: Link) -> bool:
        """Count and allow the unlink of ``link``, or hold it (False) until resumed."""
        state = self._follow()
        if state.paused:
            await self._wait_resumed()
            return False  # handled again: the system may answer by now
        now = self._clock()
        window = self.windows["unlinks"]
        held = window.slide(now)
        if link.source_id in window:
            return True
        # What an operator accepted by resuming is not counted, then or later.
        if not state.in_grace("unlinks", self._now()):
            count = held + 1
            least, share = self.settings.unlink_min, self.settings.unlink_share
            before = self._links() + held if count > least else 0
            if _passes(count, before, least, share):
                await self._trip("unlinks", count, before, link.source_id)
                await self._wait_resumed()
                return False
            window.add(link.source_id, now)
        self._gaps.append(now)
        self._moved(-1)
        return True

    async def before_create(self, entity: str, key: str) -> None:
        """Count a create about to be made (``key``: its idempotency key)."""
        state = await self._unless_paused()
        now = self._clock()
        gaps = self._open_gaps(now)
        window = self.windows["creates"]
        made = window.slide(now)
        if key in window:
            return  # a retry, counted already
        if gaps == 0:
            self._moved(+1)
            return  # grows the flow (a first sync, new records): not counted
        if not state.in_grace("creates", self._now()):
            count = made + 1
            least, share = self.settings.create_min, self.settings.create_share
            before = self._links() + gaps if count > least else 0
            if _passes(count, before, least, share):
                await self._trip("creates", count, before, f"{entity}:{key}")
                await self._resumed_again()
            window.add(key, now)
        self._gaps.popleft()
        self._moved(+1)

    async def before_update(
        self, entity: str, record_id: str, changes: dict[str, Any], *, linked: bool
    ) -> None:
        """Count an update of ``record_id`` about to be made.

        ``linked``: whether the record belongs to an announced link; updates
        that settle a match being made now are part of linking and not counted.
        """
        state = await self._unless_paused()
        if not linked:
            return
        now = self._clock()
        window = self.windows["updates"]
        made = window.slide(now)
        key = f"{entity}/{record_id}/{_digest(changes)}"
        if key in window:
            return
        if not state.in_grace("updates", self._now()):
            count = made + 1
            least, share = self.settings.update_min, self.settings.update_share
            links = self._links() if count > least else 0
            if _passes(count, links, least, share):
                await self._trip("updates", count, links, f"{entity}:{record_id}")
                await self._resumed_again()
            window.add(key, now)

    async def before_delete(self) -> None:
        """A delete the flow propagates: only waits while the flow is paused."""
        await self._unless_paused()

    # -- thresholds ---------------------------------------------------------------

    def _open_gaps(self, now: float) -> int:
        horizon = now - self.settings.memory_seconds
        while self._gaps and self._gaps[0] <= horizon:
            self._gaps.popleft()
        return len(self._gaps)

    def _links(self) -> int:
        # Counting a RocksDB table walks it: during a burst, once per few seconds.
        now = self._clock()
        if self._counted is None or now - self._counted[0] >= LINK_COUNT_SECONDS:
            self._counted = (now, self._link_count())
        return self._counted[1]

    def _moved(self, by: int) -> None:
        # The flow's own unlinks and creates keep a reused count right.
        if self._counted is not None:
            self._counted = (self._counted[0], max(0, self._counted[1] + by))

    # -- pausing --------------------------------------------------------------------

    def _follow(self) -> FlowState:
        """The shared state; a resume not seen yet starts the window of the
        counter that tripped afresh (the others keep counting)."""
        state = self.control.get(self.flow)
        if state.resumed_at is not None and state.resumed_at != self._resume_seen:
            self._resume_seen = state.resumed_at
            if state.tripped in self.windows:
                self.windows[state.tripped].clear()
        return state

    async def _unless_paused(self) -> FlowState:
        state = self._follow()
        if state.paused:
            await self._resumed_again()
        return state

    async def _resumed_again(self) -> None:
        """Wait until resumed, then have the change handled again from scratch:
        whatever was read before the pause may be stale by now."""
        await self._wait_resumed()
        msg = f"{self.flow}: the flow was paused and is resumed; handling it again"
        raise FlowResumedError(msg, retry_after=0.0)

    async def _wait_resumed(self) -> None:
        waited = 0.0
        every = 300.0
        while (state := self._follow()).paused:
            if self._releasing():
                log.info(
                    "%s: paused; a held change leaves this worker (it rebalances "
                    "or stops) and comes back on the flow's topic",
                    self.flow,
                )
                raise FlowHeld(self.flow)
            await self._sleep(self.settings.check_seconds)
            waited += self.settings.check_seconds
            if waited >= every:
                waited = 0.0
                log.warning(
                    "%s: paused since %s (%s); `tether resume %s` lets it go on",
                    self.flow,
                    state.since.isoformat(timespec="seconds"),
                    state.reason,
                    self.flow,
                    extra={"flow": self.flow},
                )

    async def _trip(self, counter: str, count: int, links: int, subject: str) -> None:
        seconds = self.settings.window_seconds
        detail = (
            f"{counter}: {count} in {seconds:.0f}s against {links} links; the flow is "
            f"paused in every worker until `tether resume {self.flow}` (check that "
            "both systems still hold their records and that the mapping is right)"
        )
        if counter == "creates":
            detail = "re-" + detail
        now = self._now()
        self.control.put(
            FlowState(
                flow=self.flow,
                paused=True,
                reason=detail,
                by="breaker",
                tripped=counter,
                since=now,
                grace=self.control.get(self.flow).graces(now),
            )
        )
        log.error(
            "%s: breaker tripped: %s", self.flow, detail, extra={"flow": self.flow}
        )
        await self._report(
            FlowReport(flow=self.flow, kind=KIND, source_id=subject, detail=detail)
        )


def _passes(count: int, links: int, least: int, share: float) -> bool:
    """Whether ``count`` in one window is beyond both thresholds."""
    return count > least and count > share * links


def _digest(changes: dict[str, Any]) -> str:
    """A short fingerprint of a write's body: a retry of the same write counts once."""
    body = orjson.dumps(changes, option=orjson.OPT_SORT_KEYS, default=str)
    return hashlib.blake2b(body, digest_size=8).hexdigest()
