"""One flow's handling of one message: the decisions around ``handlers``.

The wiring (``streams.topology``) hands each consumed message to a
``FlowRunner``: the flow side (keyed by source id) checks the message, reads
the link, runs the handler with a bounded retry budget, stores the new link,
announces it and dead-letters what cannot be processed; the route side (keyed
by target id) turns target-side changes into source-keyed ones by the link
notices it believes (``engine.notices``), parking a change whose target is not
linked yet.

Whatever one record does costs at most that record (DESIGN.md rule 15): any
exception ends in a dead letter naming system, type, id, stage and reason, and
the partition moves on. A failure that is its system's (refused credentials,
an outage: the system's probe fails too) is not the record's: the flow waits in
place until the system answers again, and the record is then processed.
No faust here: the stores are mappings and the outputs are callables.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from connectors.errors import (
    FatalError,
    InvalidRecordError,
    RecordError,
    TransientError,
    UnresolvedReferenceError,
)
from engine import metrics
from engine.control import UnlinkCommand
from engine.delivery import (
    RecordSettings,
    ReferenceWaits,
    dead_letter,
    healed_marker,
    letter_key,
    with_retries,
)
from engine.handlers import FlowPorts, Outcome, handle_event, is_source_event
from engine.health import SystemHealth
from engine.inbound import Undecodable, Where, undecodable_letter
from engine.notices import NoticeSettings, route_notice
from engine.parking import WAIT_IN_PLACE, Parking, ParkingLot
from engine.recording import Cause, WriteLog
from engine.redelivery import lost_notice
from engine.replayed import replayed
from engine.results import record_value_links, result_of
from engine.stores import IdMap, LinkTable, RouteTable
from engine.unlinking import operator_unlink, refusing
from schemas.dataflow import Flow, TargetMode
from schemas.envelope import ChangeEvent, DeadLetter, Redriven
from schemas.links import LinkNotice, LinkOp

log = logging.getLogger(__name__)

Check = Callable[[ChangeEvent], None]


@dataclass(frozen=True)
class FlowOutputs:
    """Where a flow's results go; each call returns once the broker has it.

    Attributes:
        announce: A link notice, with its message key.
        dead_letter: A record the flow could not process.
        forward: A target-side change, re-keyed by its source id.
        healed: A dead letter closed because its record went through since
            (a marker keyed like the letter).
    """

    announce: Callable[[str, LinkNotice], Awaitable[None]]
    dead_letter: Callable[[DeadLetter], Awaitable[None]]
    forward: Callable[[str, ChangeEvent], Awaitable[None]]
    healed: Callable[[str, Redriven], Awaitable[None]] | None = None


def _no_check(event: ChangeEvent) -> None:
    return None


@dataclass
class FlowRunner:
    """Everything one flow needs to handle its messages, in one worker.

    Attributes:
        check: Raises ``InvalidRecordError`` for a change its system's source
            would not have sent (wire model, id, future time).
        health: Tells a system's failure from a record's; ``None``: every
            failure is the record's.
    """

    flow: Flow
    ports: FlowPorts
    links: LinkTable
    routes: RouteTable
    idmap: IdMap
    outputs: FlowOutputs
    reference_wait_seconds: float = 60.0
    records: RecordSettings = field(default_factory=RecordSettings)
    check: Check = _no_check
    health: SystemHealth | None = None
    waits: ReferenceWaits = field(default_factory=ReferenceWaits)
    notices: NoticeSettings = field(default_factory=NoticeSettings)
    parking: ParkingLot | None = None  # None: a change waits for references in place
    writelog: WriteLog = field(default_factory=WriteLog)  # engine.recording

    @property
    def systems(self) -> tuple[str, ...]:
        """The systems this flow touches."""
        return tuple(dict.fromkeys((self.flow.source.system, self.flow.target.system)))

    async def on_change(self, key: str, value: Any, where: Where) -> None:
        """A change of either side, keyed by the flow's source id."""
        metrics.event_in(self.flow.name)
        if isinstance(value, Undecodable):
            await self._send_letter(undecodable_letter(self.flow, key, value, where))
            metrics.event_out(self.flow.name, "dead_letter")
            return
        if isinstance(value, UnlinkCommand):  # ``tether unlink``: engine.unlinking
            ports, links = self.ports, self.links
            notice = await operator_unlink(
                self.flow, key, value, links, self.idmap, ports
            )
            if notice is not None:
                await self._announce(notice)
            metrics.event_out(self.flow.name, "unlinked")
            return
        source_side = is_source_event(self.flow, value)
        with self.writelog.change(self.flow.name, value, from_source=source_side) as c:
            result = await self._on_change(key, value, where, c)
        metrics.event_out(self.flow.name, result)

    async def _on_change(
        self, key: str, event: ChangeEvent, where: Where, cause: Cause
    ) -> str:
        """What became of the change (``engine.metrics.RESULTS``)."""
        source_side = cause.from_source
        if replayed(self.flow, self.links, self.idmap, key, event, source_side):
            await _resolved(self, event)
            return "unchanged"  # seen already: no check, handler, write, notice
        if not await self._trusted(key if source_side else None, event, where):
            return "dead_letter"
        link = self.links.get(key)
        ports = self.ports
        if source_side and link is None:  # matching: not a target unlinked from it
            ports = refusing(self.flow, ports, self.idmap, key)
        outcome = await self._process(event, link, where, cause, ports)
        if outcome is None:
            return cause.result
        if outcome.link is not None:
            if outcome.link != link:  # unchanged: no table write, no changelog
                self.links.put(key, outcome.link)
        elif link is not None:
            self.links.delete(key)
        # A redelivered event may find a link whose notice a crash lost.
        again = lost_notice(self.flow, outcome.link, self.idmap.resolve)
        for notice in outcome.notices or ((again,) if again else ()):
            await self._announce(notice)
        record_value_links(self.flow, outcome)
        return result_of(link, outcome.link, max(outcome.writes, cause.written))

    async def _process(
        self,
        event: ChangeEvent,
        link: Any,
        where: Where,
        cause: Cause,
        ports: FlowPorts,
    ) -> Outcome | None:
        """The handler's outcome, or ``None`` once the event is dead-lettered
        or parked (``cause.result`` says which)."""
        name = self.flow.name
        lot, budget = _parking(self, event)
        cause.result = "dead_letter"
        answered_once = False
        while True:
            try:
                outcome: Outcome = await with_retries(
                    lambda: handle_event(self.flow, event, link, ports),
                    what=f"{name} {event.system} {event.entity} {event.id}",
                    reference_wait=lot.reference_wait(budget),
                    max_attempts=self.records.max_attempts,
                    max_seconds=self.records.max_seconds,
                    on_retry=lambda: metrics.retry(cause.failing or event.system),
                )
            except RecordError as exc:
                if lot.settle(event, exc, budget):
                    cause.result = "parked"
                    return None  # sent again once its reference is linked
                letter = await self._letter(exc, event, where)
                if isinstance(exc, UnresolvedReferenceError):
                    self.waits.waited_in_vain(name, event, letter)
                return None
            except (FatalError, TransientError) as exc:
                failing = await _failing(self.health, self.systems)
                if failing and self.health is not None:
                    # The system, not the record: wait for it, then try again.
                    await self.health.wait_until_healthy(failing)
                    continue
                if isinstance(exc, FatalError) and not answered_once:
                    answered_once = True  # a one-off refusal: the record once more
                    continue
                await self._letter(exc, event, where)
                return None
            except Exception as exc:  # noqa: BLE001 - isolation: one record only
                log.exception(
                    "%s: %s %s %s failed unexpectedly; dead-lettered",
                    name,
                    event.system,
                    event.entity,
                    event.id,
                )
                await self._letter(exc, event, where)
                return None
            await _resolved(self, event)
            lot.settle(event, None, budget)
            return outcome

    async def _trusted(self, key: str | None, event: ChangeEvent, where: Where) -> bool:
        """Whether a consumed change may be believed; a dead letter if not.

        ``key`` is checked against the id where the message is keyed by it (an
        entity topic); a change forwarded from the target side is keyed by its
        source instead, and its link decides.
        """
        try:
            _same_id(key, event)
            self.check(event)
        except Exception as exc:  # noqa: BLE001 - a bad record, an unknown type, a bug
            await self._letter(exc, event, where, "check")
            return False
        return True

    async def _announce(self, notice: LinkNotice) -> None:
        if self.flow.target_mode is TargetMode.VALUE_KEYED:
            # Many sources share one target: key by the pair so compaction keeps
            # them all; no router reads these, no id map needs them.
            key = f"{notice.target_id}/{notice.source_id}"
            await self.outputs.announce(key, notice)
            return
        if notice.op is LinkOp.UNLINK:
            # Forgotten first: the router believes an unlink once the pair is gone.
            self.idmap.remember(notice)
            await self.outputs.announce(notice.target_id, notice)
            return
        # Pending first, so the router believes the notice (engine.notices);
        # remembered only once the broker has it, so a remembered pair proves
        # its notice went out (engine.redelivery).
        self.idmap.expect(notice)
        await self.outputs.announce(notice.target_id, notice)
        self.idmap.remember(notice)

    async def on_route(self, key: str, value: Any, where: Where) -> None:
        """A target-side change or a link notice, keyed by the flow's target id."""
        if isinstance(value, LinkNotice):
            await self._on_notice(key, value, where)
        elif isinstance(value, ChangeEvent):
            if not await self._trusted(key, value, where):
                return
            route = self.routes.get(value.id)
            if route.source_id:
                await self.outputs.forward(route.source_id, value)
            else:
                # Not linked (yet): keep the latest state so a link made later
                # still sees an edit that raced it.
                self.routes.park(value)
        elif isinstance(value, Undecodable):
            await self._send_letter(undecodable_letter(self.flow, key, value, where))

    async def _on_notice(self, key: str, notice: LinkNotice, where: Where) -> None:
        routed = await route_notice(
            key,
            notice,
            where,
            flow=self.flow.name,
            routes=self.routes,
            idmap=self.idmap,
            wait_seconds=self.notices.wait_seconds,
        )
        if routed.refused is not None:
            target = self.flow.target
            error = InvalidRecordError(
                routed.refused, system=target.system, entity=target.type, record_id=key
            )
            letter = dead_letter(
                error,
                stage="check",
                flow=self.flow.name,
                where=where,
                payload=notice.model_dump(mode="json"),
            )
            await self._send_letter(letter)
        elif routed.forward is not None:
            await self.outputs.forward(*routed.forward)

    async def _letter(
        self, error: Exception, event: ChangeEvent, where: Where, stage: str = "flow"
    ) -> DeadLetter:
        flow = self.flow.name
        letter = dead_letter(error, stage=stage, event=event, flow=flow, where=where)
        await self._send_letter(letter)
        return letter

    async def _send_letter(self, letter: DeadLetter) -> None:
        metrics.dead_letter(letter.stage, letter.system, self.flow.name)
        await self.outputs.dead_letter(letter)

    async def on_poison(self, key: str, value: Any, where: Where) -> None:
        """A message its workers kept stopping on (``engine.poison``): a letter."""
        reason = (
            f"the worker stopped {self.records.max_stops} times while handling "
            "this message; skipped so the partition can go on"
        )
        log.error("%s: poison message at %s: %s", self.flow.name, where, reason)
        event = value if isinstance(value, ChangeEvent) else None
        metrics.event_in(self.flow.name)
        metrics.event_out(self.flow.name, "dead_letter")
        await self._send_letter(
            dead_letter(
                reason,
                stage="poison",
                event=event,
                flow=self.flow.name,
                where=where,
                record_id=key or "",
                payload=value.text() if isinstance(value, Undecodable) else None,
            )
        )


async def _resolved(runner: FlowRunner, event: ChangeEvent) -> None:
    """``event`` went through: close the letter it got waiting in vain."""
    letter = runner.waits.resolved(runner.flow.name, event)
    if letter is not None and runner.outputs.healed is not None:
        key = letter_key(letter)
        log.info("%s: %s went through: dead letter healed", runner.flow.name, key)
        await runner.outputs.healed(key, healed_marker(letter))


def _parking(runner: FlowRunner, event: ChangeEvent) -> tuple[Parking, float]:
    """Where ``event`` waits for its references, and for how long at most.

    A source change, keyed by its own id, can be parked; others wait in place.
    """
    budget = runner.waits.wait_for(
        runner.flow.name, event, runner.reference_wait_seconds
    )
    lot = runner.parking
    if lot is not None and is_source_event(runner.flow, event):
        return lot, budget
    return WAIT_IN_PLACE, budget


def _same_id(key: str | None, event: ChangeEvent) -> None:
    """Refuse a change whose message key (where it is keyed by id) is not its id."""
    if key is not None and key != event.id:
        msg = (
            f"{event.system} {event.entity} {event.id}: message key "
            f"{key!r} is not the record's id"
        )
        raise InvalidRecordError(
            msg, system=event.system, entity=event.entity, record_id=event.id
        )


async def _failing(health: SystemHealth | None, systems: tuple[str, ...]) -> list[str]:
    """The flow's systems that fail a probe made now (none without health checks)."""
    if health is None:
        return []
    return await health.failing_among(systems, after=health.now())
