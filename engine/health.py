"""Which systems tether can talk to, found out by probing, and waiting for them.

A failure while handling one record is either that record's or its system's.
The engine asks: after a fatal error or an exhausted retry budget, each system
of the flow is probed (its first listing page is read, which logs in too). A
system whose probe fails is marked failing, published for operators, and the
flows that touch it wait in place, probing again with backoff, until it
answers; nothing is dead-lettered for an outage (DESIGN.md rule 15). When every
probe succeeds, the failure was the record's own and it becomes a dead letter.
A worker publishes a system's status (``{app}.status``, ``tether status``) when
it changes, and its first answer, so a restarted worker clears a failing status
its predecessor left behind.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from connectors.base.protocols import Source
from engine.delivery import describe
from schemas.status import SystemState, SystemStatus
from schemas.utc import utc_now

log = logging.getLogger(__name__)

Probe = Callable[[str], Awaitable[None]]
Publish = Callable[[SystemStatus], Awaitable[None]]


class HealthSettings(BaseSettings):
    """How often a failing system is probed again (env ``TETHER_HEALTH_*``)."""

    model_config = SettingsConfigDict(env_prefix="TETHER_HEALTH_", frozen=True)

    first_retry_seconds: float = Field(5.0, gt=0)
    max_retry_seconds: float = Field(300.0, gt=0)
    # A probe that just succeeded is believed this long: a burst of failing
    # records does not probe the system once each.
    fresh_seconds: float = Field(10.0, ge=0)


async def read_first_page(source: Source) -> None:
    """Probe a system: log in if needed and read one page of its first type.

    The page is the smallest the API serves (one record where the source reads
    its page size from its settings): a probe spends one request and reads
    next to nothing.
    """
    source = _smallest_pages(source)
    entity = source.entities()[0]
    pages = source.read(entity, None)
    try:
        await anext(pages, None)
    finally:
        await pages.aclose()  # type: ignore[attr-defined]


def _smallest_pages(source: Source) -> Source:
    """A shallow copy of ``source`` asking for pages of one record, when it can."""
    settings = getattr(source, "settings", None)
    if (
        not isinstance(settings, BaseModel)
        or "page_size" not in type(settings).model_fields
    ):
        return source
    small = copy.copy(source)
    # Same client (and limiter), same specs: only the page size differs.
    small.settings = settings.model_copy(update={"page_size": 1})  # type: ignore[attr-defined]
    return small


@dataclass
class _Tracked:
    status: SystemStatus
    checked: float = 0.0
    delay: float = 0.0
    published: bool = False
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class SystemHealth:
    """The state of each system in this worker; probes and publishes changes."""

    def __init__(
        self,
        probe: Probe,
        publish: Publish,
        settings: HealthSettings | None = None,
        *,
        worker: str = "",
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._probe = probe
        self._publish = publish
        self.settings = settings or HealthSettings()
        self._worker = worker
        self._clock = clock
        self._sleep = sleep
        self._systems: dict[str, _Tracked] = {}

    def status(self, system: str) -> SystemStatus:
        """What this worker last found about ``system``."""
        return self._tracked(system).status

    def is_failing(self, system: str) -> bool:
        """Whether ``system`` failed its last probe."""
        return self._tracked(system).status.state is SystemState.FAILING

    def probe_due(self, system: str) -> bool:
        """Whether a failing system's backoff has passed (always, when it is ok)."""
        tracked = self._tracked(system)
        if tracked.status.state is SystemState.OK:
            return True
        return self._clock() - tracked.checked >= tracked.delay

    def now(self) -> float:
        """The health's clock, for ``check``'s ``after``."""
        return self._clock()

    async def failing_among(
        self, systems: Iterable[str], *, after: float = 0.0
    ) -> list[str]:
        """Probe each of ``systems`` (unless freshly found ok, at or after
        ``after``); those that fail."""
        return [s for s in systems if not await self.check(s, after=after)]

    async def check(self, system: str, *, after: float = 0.0) -> bool:
        """Probe ``system`` now, or trust a fresh result; whether it answers.

        ``after``: an "ok" found before it is not trusted (an error seen then
        may be the first sign of an outage: a key revoked a second ago), while
        the records that failed together share the one probe made after it.
        """
        tracked = self._tracked(system)
        async with tracked.lock:  # one probe at a time; the others use its result
            since = self._clock() - tracked.checked
            if tracked.status.state is SystemState.FAILING:
                if since < tracked.delay:
                    return False  # backing off: not probed again yet
            elif (
                tracked.checked
                and since < self.settings.fresh_seconds
                and tracked.checked >= after
            ):
                return True
            try:
                await self._probe(system)
            except Exception as exc:  # noqa: BLE001 - any failure means "not answering"
                await self.failed(system, exc)
                return False
            await self.succeeded(system)
            return True

    async def wait_until_healthy(self, systems: Iterable[str]) -> None:
        """Block until every one of ``systems`` answers a probe (backoff between)."""
        pending = list(systems)
        while pending:
            system = pending[0]
            tracked = self._tracked(system)
            wait = tracked.delay - (self._clock() - tracked.checked)
            if wait > 0:
                await self._sleep(wait)
            if await self.check(system):
                pending.pop(0)

    async def failed(self, system: str, exc: BaseException) -> None:
        """Record that ``system`` did not answer; back off the next probe."""
        tracked = self._tracked(system)
        tracked.checked = self._clock()
        limits = self.settings
        tracked.delay = min(
            limits.max_retry_seconds, max(limits.first_retry_seconds, tracked.delay * 2)
        )
        reason = describe(exc)
        old = tracked.status
        if old.state is SystemState.FAILING and old.reason == reason:
            return
        log.error(
            "%s is failing: %s; its flows wait, probing again in %.0fs",
            system,
            reason,
            tracked.delay,
            extra={"system": system},
        )
        await self._set(tracked, SystemState.FAILING, reason)

    async def succeeded(self, system: str) -> None:
        """Record that ``system`` answered."""
        tracked = self._tracked(system)
        tracked.checked = self._clock()
        tracked.delay = 0.0
        if tracked.status.state is SystemState.OK:
            if not tracked.published:
                # This worker's first answer: a failing status an earlier worker
                # left on the topic (it was restarted mid-outage) must not stay.
                await self._set(tracked, SystemState.OK, "")
            return
        log.warning(
            "%s answers again: its flows go on", system, extra={"system": system}
        )
        await self._set(tracked, SystemState.OK, "")

    async def _set(self, tracked: _Tracked, state: SystemState, reason: str) -> None:
        now = utc_now()
        tracked.status = SystemStatus(
            system=tracked.status.system,
            state=state,
            reason=reason,
            since=now,
            checked_at=now,
            worker=self._worker,
        )
        try:
            await self._publish(tracked.status)
        except Exception:  # noqa: BLE001 - the status is for operators; the flows go on
            log.warning("could not publish the status of %s", tracked.status.system)
            return
        tracked.published = True

    def _tracked(self, system: str) -> _Tracked:
        if system not in self._systems:
            self._systems[system] = _Tracked(
                SystemStatus(system=system, state=SystemState.OK, worker=self._worker)
            )
        return self._systems[system]


class Pollable(Protocol):
    """What ``poll_guarded`` runs: a poller of one system's source."""

    source: Source

    async def poll(self) -> None:
        """Read the source's changes since its cursors."""


async def poll_guarded(poller: Pollable, health: SystemHealth) -> None:
    """One poll of a system, isolated: a failure marks the system failing.

    Whatever the poll raises (refused credentials, a redirect, a bug) stops
    only this system's polling, retried after the health backoff; the other
    systems' pollers and every flow not touching it go on.
    """
    system = poller.source.system
    if not health.probe_due(system):
        return
    try:
        await poller.poll()
    except Exception as exc:  # noqa: BLE001 - isolation: one system, not the worker
        await health.failed(system, exc)
        return
    await health.succeeded(system)
