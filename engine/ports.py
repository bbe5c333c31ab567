"""What a flow handler talks to, and what it hands back to the runner."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from connectors.base.protocols import Sink
from engine import mapping
from engine.matchindex import MatchIndex
from schemas.envelope import ChangeEvent, ConflictRecord, FlowReport
from schemas.links import Link, LinkNotice


@dataclass(frozen=True)
class FlowPorts:
    """Everything a flow handler talks to, injected by the agent (or a test)."""

    source_sink: Sink
    target_sink: Sink
    resolve: mapping.Resolver
    resolve_reverse: mapping.Resolver
    conflict: Callable[[ConflictRecord], Awaitable[None]]
    report: Callable[[FlowReport], Awaitable[None]]
    tie_window: timedelta = timedelta(seconds=1)
    # Every entity of a (system, type): value-keyed flows match against it.
    catalog: Callable[[str, str], Awaitable[list[ChangeEvent]]] | None = None
    # The target's records by natural key: matching without a search per record.
    matches: MatchIndex | None = None
    # Asked before a link is removed; False holds the unlink (engine.guards).
    may_unlink: Callable[[Link], Awaitable[bool]] | None = None

    async def tell(
        self,
        flow: str,
        kind: str,
        source_id: str,
        detail: str,
        candidates: list[str] | None = None,
    ) -> None:
        """Report what a flow did not do, or undid, for an operator to see."""
        await self.report(
            FlowReport(
                flow=flow,
                kind=kind,
                source_id=source_id,
                detail=detail,
                candidates=candidates or [],
            )
        )


@dataclass(frozen=True)
class Outcome:
    """What the agent must store: the link (``None`` to remove), notices to send."""

    link: Link | None
    notices: tuple[LinkNotice, ...] = ()

    @property
    def notice(self) -> LinkNotice | None:
        """The first notice, for flows that link one target per source."""
        return self.notices[0] if self.notices else None

    writes: int = 0
