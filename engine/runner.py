"""One flow's handling of one message: the decisions around ``handlers``.

The wiring (``streams.topology``) hands each consumed message to a
``FlowRunner``: the flow side (keyed by source id) reads the link, runs the
handler with retries, stores the new link, announces it and dead-letters what
cannot be processed; the route side (keyed by target id) turns target-side
changes into source-keyed ones by the link notices, parking a change whose
target is not linked yet. No faust here: the stores are mappings and the
outputs are callables, so tests drive a flow with dicts and lists.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import RecordError, UnresolvedReferenceError
from engine.delivery import ReferenceWaits, dead_letter, with_retries
from engine.handlers import FlowPorts, Outcome, handle_event
from engine.inbound import Undecodable, Where
from engine.redelivery import lost_notice
from engine.stores import IdMap, LinkTable, RouteTable
from schemas.dataflow import Flow, TargetMode
from schemas.envelope import ChangeEvent, DeadLetter
from schemas.links import LinkNotice, LinkOp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FlowOutputs:
    """Where a flow's results go; each call returns once the broker has it.

    Attributes:
        announce: A link notice, with its message key.
        dead_letter: A record the flow could not process.
        forward: A target-side change, re-keyed by its source id.
    """

    announce: Callable[[str, LinkNotice], Awaitable[None]]
    dead_letter: Callable[[DeadLetter], Awaitable[None]]
    forward: Callable[[str, ChangeEvent], Awaitable[None]]


@dataclass
class FlowRunner:
    """Everything one flow needs to handle its messages, in one worker."""

    flow: Flow
    ports: FlowPorts
    links: LinkTable
    routes: RouteTable
    idmap: IdMap
    outputs: FlowOutputs
    reference_wait_seconds: float = 60.0
    waits: ReferenceWaits = field(default_factory=ReferenceWaits)

    async def on_change(self, key: str, value: Any, where: Where) -> None:
        """A change of either side, keyed by the flow's source id."""
        if isinstance(value, Undecodable):
            await self._undecodable(key, value, where)
            return
        event: ChangeEvent = value
        link = self.links.get(key)
        try:
            outcome: Outcome = await with_retries(
                lambda: handle_event(self.flow, event, link, self.ports),
                what=f"{self.flow.name} {event.system} {event.entity} {event.id}",
                reference_wait=self.waits.wait_for(
                    self.flow.name, event, self.reference_wait_seconds
                ),
            )
        except RecordError as exc:
            if isinstance(exc, UnresolvedReferenceError):
                self.waits.waited_in_vain(self.flow.name, event)
            await self.outputs.dead_letter(
                dead_letter(
                    exc, stage="flow", event=event, flow=self.flow.name, where=where
                )
            )
            return
        self.waits.resolved(self.flow.name, event)
        if outcome.link is not None:
            self.links.put(key, outcome.link)
        elif link is not None:
            self.links.delete(key)
        # A redelivered event may find a link whose notice a crash lost.
        again = lost_notice(self.flow, outcome.link, self.idmap.resolve)
        for notice in outcome.notices or ((again,) if again else ()):
            await self._announce(notice)

    async def _announce(self, notice: LinkNotice) -> None:
        if self.flow.target_mode is TargetMode.VALUE_KEYED:
            # Many sources share one target: key by the pair so compaction keeps
            # them all; no router reads these, no id map needs them.
            await self.outputs.announce(
                f"{notice.target_id}/{notice.source_id}", notice
            )
            return
        # Remember the pair only once the broker has the notice, so a remembered
        # pair proves its notice went out (engine.redelivery).
        await self.outputs.announce(notice.target_id, notice)
        self.idmap.remember(notice)

    async def on_route(self, key: str, value: Any, where: Where) -> None:
        """A target-side change or a link notice, keyed by the flow's target id."""
        if isinstance(value, LinkNotice):
            await self._on_notice(value)
        elif isinstance(value, ChangeEvent):
            route = self.routes.get(value.id)
            if route.source_id:
                await self.outputs.forward(route.source_id, value)
            else:
                # Not linked (yet): keep the latest state so a link made later
                # still sees an edit that raced it.
                self.routes.park(value)
        elif isinstance(value, Undecodable):
            await self._undecodable(key, value, where)

    async def _on_notice(self, notice: LinkNotice) -> None:
        if notice.op is LinkOp.UNLINK:
            self.routes.delete(notice.target_id)
            return
        parked = self.routes.get(notice.target_id).parked
        self.routes.link(notice.target_id, notice.source_id)
        if parked is not None:
            await self.outputs.forward(notice.source_id, parked)

    async def _undecodable(self, key: str, value: Undecodable, where: Where) -> None:
        await self.outputs.dead_letter(
            dead_letter(
                value.reason,
                stage="decode",
                flow=self.flow.name,
                where=where,
                record_id=key or "",
                payload=value.text(),
            )
        )
