"""The mass-delete guard: a burst of unlinks in one flow is held, not carried out.

An empty or failed listing is never read as "everything was deleted" (DESIGN.md
rule 11), but a system that suddenly answers 404 for every record it holds (a
wiped test instance, a wrong base URL, a broken proxy) makes every linked change
look like a vanished counterpart. The guard counts each flow's unlinks in a
sliding window; past the threshold (more than ``min_unlinks`` *and* more than
``fraction`` of the flow's links) further unlinks are refused with a
``TransientError``, so their events are retried in place and nothing is lost,
and one ``FlowReport(kind="mass-delete-guard")`` tells an operator why the flow
stands still. Once the system answers again the held events go through as
normal changes; once the window slides, genuine deletes resume.

The count is per worker process and per flow, compared with the links that
worker holds (its partitions), so it needs no coordination between workers.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import replace

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from engine.handlers import FlowPorts
from schemas.envelope import FlowReport
from schemas.links import Link

log = logging.getLogger(__name__)

KIND = "mass-delete-guard"


class MassDeleteSettings(BaseSettings):
    """Thresholds of the guard (env ``TETHER_MASS_DELETE_*``), read once at start."""

    model_config = SettingsConfigDict(env_prefix="TETHER_MASS_DELETE_", frozen=True)

    min_unlinks: int = Field(10, ge=0, description="unlinks always allowed per window")
    fraction: float = Field(0.2, ge=0, le=1, description="share of a flow's links")
    window_seconds: float = Field(600.0, gt=0)


class UnlinkGuard:
    """One flow's sliding window of unlinks, and whether one more is allowed.

    Args:
        flow: The flow's name (for the report).
        settings: Thresholds.
        link_count: How many links the flow holds now (this worker's share).
        report: Where the one report per trip goes.
        clock: Monotonic seconds (injectable for tests).
    """

    def __init__(
        self,
        flow: str,
        settings: MassDeleteSettings,
        link_count: Callable[[], int],
        report: Callable[[FlowReport], Awaitable[None]],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.flow = flow
        self.settings = settings
        self._link_count = link_count
        self._report = report
        self._clock = clock
        # source id -> when its unlink was allowed: a retried or redelivered
        # unlink of the same link counts once.
        self._recent: OrderedDict[str, float] = OrderedDict()
        self.tripped = False
        self.refused = 0

    def _slide(self, now: float) -> None:
        horizon = now - self.settings.window_seconds
        while self._recent and next(iter(self._recent.values())) <= horizon:
            self._recent.popitem(last=False)

    def would_trip(self, unlinks: int, links_now: int) -> bool:
        """Whether ``unlinks`` in one window is a mass delete for a flow that
        holds ``links_now`` links (the window's unlinks are added back, so the
        share is of what the flow held before the burst)."""
        before = links_now + len(self._recent)
        return (
            unlinks > self.settings.min_unlinks
            and unlinks > self.settings.fraction * before
        )

    async def may_unlink(self, link: Link) -> bool:
        """Record and allow the unlink of ``link``, or refuse it (and report once)."""
        now = self._clock()
        self._slide(now)
        if link.source_id in self._recent:
            return True
        if not self.would_trip(len(self._recent) + 1, self._link_count()):
            self._recent[link.source_id] = now
            self.tripped = False
            return True
        self.refused += 1
        if not self.tripped:
            self.tripped = True
            detail = (
                f"{len(self._recent)} links removed in the last "
                f"{self.settings.window_seconds:.0f}s; further unlinks are held "
                "(retried in place) until the window slides: check that the "
                "systems still answer with their records"
            )
            log.error("%s: mass-delete guard tripped: %s", self.flow, detail)
            await self._report(
                FlowReport(
                    flow=self.flow, kind=KIND, source_id=link.source_id, detail=detail
                )
            )
        return False


def guard_unlinks(
    flow: str,
    ports: FlowPorts,
    settings: MassDeleteSettings,
    link_count: Callable[[], int],
) -> FlowPorts:
    """``ports`` with a fresh guard for ``flow`` wired in as ``may_unlink``."""
    guard = UnlinkGuard(flow, settings, link_count, ports.report)
    return replace(ports, may_unlink=guard.may_unlink)
