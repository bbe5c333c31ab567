"""Reconciling a linked pair and writing the winners (DESIGN.md rules 2, 4, 5).

Shared by the handlers of either side's change and by matching: project both
sides' records onto the flow's properties, let ``reconcile`` decide per
property, write each side's winners, record the conflicts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from connectors.base.protocols import Sink
from connectors.errors import (
    CoercionError,
    InvalidRecordError,
    TransientError,
    UnresolvedReferenceError,
)
from engine import mapping
from engine.ports import FlowPorts, Outcome
from engine.reconcile import Decision, SideState, reconcile
from schemas.dataflow import Flow
from schemas.envelope import ChangeEvent, ConflictRecord, Operation
from schemas.links import Link


def invalid(event: ChangeEvent, reason: str) -> InvalidRecordError:
    msg = f"{event.system} {event.entity} {event.id}: {reason}"
    return InvalidRecordError(
        msg, system=event.system, entity=event.entity, record_id=event.id
    )


def project_source_event(
    flow: Flow, event: ChangeEvent, ports: FlowPorts
) -> dict[str, Any]:
    try:
        values = mapping.project_source(flow, event.data, ports.resolve)
    except CoercionError as exc:
        raise invalid(event, str(exc)) from exc
    missing = mapping.unresolved_references(flow, event.data, values)
    if missing:
        msg = (
            f"{event.system} {event.entity} {event.id}: referenced entity has no link "
            f"yet ({', '.join(missing)})"
        )
        raise UnresolvedReferenceError(
            msg, system=event.system, entity=event.entity, record_id=event.id
        )
    return values


def project_target(flow: Flow, event: ChangeEvent) -> dict[str, Any]:
    try:
        return mapping.project_target(flow, event.data)
    except CoercionError as exc:
        raise invalid(event, str(exc)) from exc


async def latest(sink: Sink, entity: str, event: ChangeEvent) -> ChangeEvent:
    """The event's entity as it is now, when that is newer than the event.

    A change is reconciled against the other side's current state, and either
    side may be written. Its own side may have moved on since the event (a
    redelivery after a crash, a backlog): compared as the event has it, an
    older value of the other side could win against it and overwrite the newer
    edit, whose own event would then look already seen (a lost update, found
    by the chaos suite). A record gone meanwhile keeps the event: its deletion
    arrives as an event of its own.
    """
    current = await sink.get(entity, event.id)
    if current is None or current.op is Operation.DELETE:
        return event
    return current if current.modified_at > event.modified_at else event


async def settle(
    flow: Flow,
    link: Link,
    event: ChangeEvent,
    other: ChangeEvent,
    ports: FlowPorts,
    *,
    other_current: bool = True,
    on_gone: Callable[[], None] | None = None,
) -> Outcome:
    """Reconcile one side's change against the other side's record, and write.

    ``event`` is a change of either side; ``other`` the other side's record,
    as read now (``other_current``) or from the match index, which may lag.
    The event's own side is re-read (``latest``) only when the decision would
    write to it: that is the one write a stale event (a redelivery, a backlog)
    could make wrong, overwriting a later edit there and then marking it seen.
    A decision that writes only the other side, or nothing, is safe from a
    stale event: its own side's newer version is on its way as an event of its
    own (later in the same partition, or in the next poll), newer than what
    the link records as seen, and is reconciled in turn. An ``other`` that may
    lag is read again before anything is written (``on_gone`` is told when
    it no longer exists).
    """
    side = _Sides(flow, link, event, ports)
    own = side.state(event, own=True)
    there = side.state(other, own=False)
    decision = side.decide(own, there)
    if not other_current and (decision.to_source or decision.to_target):
        other = await side.read_other(on_gone)
        there = side.state(other, own=False)
        decision = side.decide(own, there)
    if decision.to_source if side.from_source else decision.to_target:
        newest = await latest(side.own_sink, side.own_type, event)
        if newest is not event:
            event, own = newest, side.state(newest, own=True)
    if side.from_source:
        return await apply(flow, link, own, there, ports, (event, other))
    return await apply(flow, link, there, own, ports, (other, event))


class _Sides:
    """Which side a change is of, and its sinks, for ``settle``."""

    def __init__(
        self, flow: Flow, link: Link, event: ChangeEvent, ports: FlowPorts
    ) -> None:
        self.flow, self.link, self.ports = flow, link, ports
        self.from_source = (event.system, event.entity) == (
            flow.source.system,
            flow.source.type,
        )
        source = (ports.source_sink, flow.source.type, link.source_id)
        target = (ports.target_sink, flow.target.type, link.target_id)
        own, other = (source, target) if self.from_source else (target, source)
        self.own_sink, self.own_type, _ = own
        self.other_sink, self.other_type, self.other_id = other

    def state(self, record: ChangeEvent, *, own: bool) -> SideState:
        if own == self.from_source:
            values = project_source_event(self.flow, record, self.ports)
        else:
            values = project_target(self.flow, record)
        return SideState(values, record.modified_at)

    def decide(self, own: SideState, other: SideState) -> Decision:
        source, target = (own, other) if self.from_source else (other, own)
        keys = [mapping.row_key(r) for r in self.flow.properties]
        return reconcile(
            keys, self.link.synced, source, target, tie_window=self.ports.tie_window
        )

    async def read_other(self, on_gone: Callable[[], None] | None) -> ChangeEvent:
        """The other side as it is now (``TransientError`` when it is gone)."""
        fresh = await self.other_sink.get(self.other_type, self.other_id)
        if fresh is None or fresh.op is Operation.DELETE:
            if on_gone is not None:
                on_gone()
            msg = (
                f"{self.other_type} {self.other_id} is gone since it was listed; "
                "deciding again"
            )
            raise TransientError(msg)
        return fresh


def is_old(event: ChangeEvent, seen_at: Any) -> bool:
    # Replays and the read-back of our own writes carry a modification time we
    # have already seen: they must not write anything (rules 4 and 13).
    return seen_at is not None and event.modified_at <= seen_at


Records = tuple[ChangeEvent, ChangeEvent]
"""The source's and the target's state as the decision read them."""


async def apply(
    flow: Flow,
    link: Link,
    source: SideState,
    target: SideState,
    ports: FlowPorts,
    records: Records,
) -> Outcome:
    keys = [mapping.row_key(r) for r in flow.properties]
    decision = reconcile(keys, link.synced, source, target, tie_window=ports.tie_window)
    source_at, target_at, writes = await _write(flow, link, decision, ports, records)
    await _record_conflicts(flow, link, decision, source, target, ports)
    updated = link.model_copy(update={"synced": {**link.synced, **decision.synced}})
    updated = updated.seen(
        source=source_at or source.modified_at, target=target_at or target.modified_at
    )
    return Outcome(link=updated, writes=writes)


async def _write(
    flow: Flow, link: Link, decision: Decision, ports: FlowPorts, records: Records
) -> tuple[Any, Any, int]:
    """Write each side's winners, each checked against the state it was decided on.

    ``expected`` lets the sink refuse to overwrite a record changed underneath
    (``connectors.base.fresh``): the ``TransientError`` runs the change again
    against the new state. What a side holds after the write is what was agreed
    (``_agreed``), so a value the system stored differently, or not at all, is
    not mistaken for an edit of that side later.
    """
    source_event, target_event = records
    _refuse_unresolved(flow, link, decision, ports)
    source_at = target_at = None
    writes = 0
    if decision.to_target:
        if ports.target_sink.capabilities(flow.target.type).update:
            body = mapping.target_changes(flow, decision.to_target, target_event.data)
            written = await ports.target_sink.update(
                flow.target.type, link.target_id, body, expected=target_event
            )
            target_at, writes = written.modified_at, writes + 1
            _agreed(flow, decision, decision.to_target, written, project_target)
        else:
            _keep_unwritten(decision, decision.to_target, link)
    if decision.to_source:
        if ports.source_sink.capabilities(flow.source.type).update:
            body = mapping.source_changes(
                flow, decision.to_source, ports.resolve_reverse, source_event.data
            )
            if body:
                written = await ports.source_sink.update(
                    flow.source.type, link.source_id, body, expected=source_event
                )
                source_at, writes = written.modified_at, writes + 1
                _agreed(
                    flow,
                    decision,
                    decision.to_source,
                    written,
                    lambda f, event: project_source_event(f, event, ports),
                )
        else:
            _keep_unwritten(decision, decision.to_source, link)
    return source_at, target_at, writes


def _refuse_unresolved(
    flow: Flow, link: Link, decision: Decision, ports: FlowPorts
) -> None:
    """Settle, before writing anything, source writes of unlinked references.

    Left out of the write body, such a reference would still be recorded as
    agreed: the target's change would look synced, its event already seen,
    and the source would keep the old reference for good (a lost update, found
    by the chaos suite). A required one is raised, so the change waits for the
    link like any other reference; an optional one (a target entity that may
    never have a source counterpart) is left unwritten and not agreed.
    """
    if not decision.to_source:
        return
    if not ports.source_sink.capabilities(flow.source.type).update:
        return  # nothing is written there, nor agreed (``_keep_unwritten``)
    rows = mapping.unresolved_reverse_references(
        flow, decision.to_source, ports.resolve_reverse
    )
    required = [r for r in rows if not r.optional]
    if required:
        target = flow.target
        named = ", ".join(
            f"{r.target}={decision.to_source[mapping.row_key(r)]}" for r in required
        )
        msg = (
            f"{target.system} {target.type} {link.target_id}: referenced entity has "
            f"no link yet ({named})"
        )
        raise UnresolvedReferenceError(
            msg, system=target.system, entity=target.type, record_id=link.target_id
        )
    unwritten = {
        mapping.row_key(r): decision.to_source.pop(mapping.row_key(r)) for r in rows
    }
    _keep_unwritten(decision, unwritten, link)


def _agreed(
    flow: Flow,
    decision: Decision,
    written: dict[str, Any],
    result: ChangeEvent,
    project: Callable[[Flow, ChangeEvent], dict[str, Any]],
) -> None:
    """Take the written properties' agreed values from what the write returned.

    A reference that does not resolve back stays as decided (its link may
    just be missing); so does everything when the returned record cannot be
    projected (the write happened anyway).
    """
    if result.data is None:
        return
    try:
        returned = project(flow, result)
    except (InvalidRecordError, UnresolvedReferenceError):
        return
    references = {mapping.row_key(r) for r in flow.properties if r.references}
    for key in written:
        if key in references and returned.get(key) is None:
            continue
        decision.synced[key] = returned.get(key)


def _keep_unwritten(decision: Decision, unwritten: dict[str, Any], link: Link) -> None:
    # The API cannot write that side (lookup-only or read-only): the values were
    # not agreed, so the link keeps the old ones. Otherwise the untouched side's
    # next read would look like a change of its own and overwrite the other side.
    for key in unwritten:
        if key in link.synced:
            decision.synced[key] = link.synced[key]
        else:
            decision.synced.pop(key, None)


async def _record_conflicts(
    flow: Flow,
    link: Link,
    decision: Decision,
    source: SideState,
    target: SideState,
    ports: FlowPorts,
) -> None:
    for item in decision.conflicts:
        await ports.conflict(
            ConflictRecord(
                flow=flow.name,
                source_id=link.source_id,
                target_id=link.target_id,
                property=item.key,
                winner=item.winner,
                winning_value=item.winning_value,
                overridden_value=item.overridden_value,
                source_modified_at=source.modified_at,
                target_modified_at=target.modified_at,
                rule=item.rule,
            )
        )
