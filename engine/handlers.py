"""The flow logic: one change event in, writes to the systems and a new link out.

Plain async functions with their collaborators passed in (no faust), so tests
call them directly. DESIGN.md rules 1-6 and 11 live here.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from connectors.base.protocols import Sink
from connectors.errors import (
    InvalidRecordError,
    TransientError,
    UnresolvedReferenceError,
)
from engine import mapping
from engine.reconcile import Decision, SideState, reconcile
from schemas.dataflow import DeletePolicy, Flow, TargetMode
from schemas.envelope import (
    ChangeEvent,
    ConflictRecord,
    FlowReport,
    Operation,
)
from schemas.links import Link, LinkNotice, LinkOp

log = logging.getLogger(__name__)


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
    # Asked before a link is removed; False holds the unlink (engine.guards).
    may_unlink: Callable[[Link], Awaitable[bool]] | None = None


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


def is_source_event(flow: Flow, event: ChangeEvent) -> bool:
    """Whether ``event`` comes from the flow's source side (else its target side)."""
    return event.system == flow.source.system and event.entity == flow.source.type


def _invalid(event: ChangeEvent, reason: str) -> InvalidRecordError:
    msg = f"{event.system} {event.entity} {event.id}: {reason}"
    return InvalidRecordError(
        msg, system=event.system, entity=event.entity, record_id=event.id
    )


def _project_source_event(
    flow: Flow, event: ChangeEvent, ports: FlowPorts
) -> dict[str, Any]:
    try:
        values = mapping.project_source(flow, event.data, ports.resolve)
    except mapping.CoercionError as exc:
        raise _invalid(event, str(exc)) from exc
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


def _project_target(flow: Flow, event: ChangeEvent) -> dict[str, Any]:
    try:
        return mapping.project_target(flow, event.data)
    except mapping.CoercionError as exc:
        raise _invalid(event, str(exc)) from exc


async def handle_event(
    flow: Flow, event: ChangeEvent, link: Link | None, ports: FlowPorts
) -> Outcome:
    """Process one change of either side of ``flow`` given its current link."""
    if is_source_event(flow, event):
        if flow.target_mode is TargetMode.VALUE_KEYED:
            return await _on_value_keyed(flow, event, link, ports)
        return await _on_source_change(flow, event, link, ports)
    if flow.target_mode is TargetMode.VALUE_KEYED:
        return Outcome(link=link)  # shared targets are matched, never written
    if link is None:
        return Outcome(
            link=None
        )  # unlinked target entity: creation runs source->target
    return await _on_target_change(flow, event, link, ports)


async def _on_source_change(
    flow: Flow, event: ChangeEvent, link: Link | None, ports: FlowPorts
) -> Outcome:
    if event.op is Operation.DELETE:
        if link is None:
            return Outcome(link=None)
        return await _unlink(flow, link, ports, deleted="source")
    if (
        link is not None
        and _is_old(event, link.source_seen_at)
        and not _resolves_pending_reference(flow, event, link, ports)
    ):
        return Outcome(link=link)
    values = _project_source_event(flow, event, ports)
    if link is None:
        return await _establish(flow, event, values, ports)
    if all(link.synced.get(k) == v for k, v in values.items()):
        return Outcome(link=link.seen(source=event.modified_at, target=None))
    current = await ports.target_sink.get(flow.target.type, link.target_id)
    if current is None or current.op is Operation.DELETE:
        return await _unlink(flow, link, ports, deleted="target")
    own = await _latest(ports.source_sink, flow.source.type, event)
    if own is not event:
        values = _project_source_event(flow, own, ports)
    source = SideState(values, own.modified_at)
    target = SideState(_project_target(flow, current), current.modified_at)
    return await _apply(flow, link, source, target, ports, (own.data, current.data))


async def _on_target_change(
    flow: Flow, event: ChangeEvent, link: Link, ports: FlowPorts
) -> Outcome:
    if event.id != link.target_id:
        return Outcome(link=link)  # an old target of a since re-linked source
    if event.op is Operation.DELETE:
        return await _unlink(flow, link, ports, deleted="target")
    if _is_old(event, link.target_seen_at):
        return Outcome(link=link)
    values = _project_target(flow, event)
    if all(link.synced.get(k) == v for k, v in values.items()):
        return Outcome(link=link.seen(source=None, target=event.modified_at))
    current = await ports.source_sink.get(flow.source.type, link.source_id)
    if current is None or current.op is Operation.DELETE:
        return await _unlink(flow, link, ports, deleted="source")
    own = await _latest(ports.target_sink, flow.target.type, event)
    if own is not event:
        values = _project_target(flow, own)
    source = SideState(_project_source_event(flow, current, ports), current.modified_at)
    target = SideState(values, own.modified_at)
    return await _apply(flow, link, source, target, ports, (current.data, own.data))


async def _latest(sink: Sink, entity: str, event: ChangeEvent) -> ChangeEvent:
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


def _resolves_pending_reference(
    flow: Flow, event: ChangeEvent, link: Link, ports: FlowPorts
) -> bool:
    """An optional reference left empty earlier can be resolved now.

    Then an old event (a periodic re-read) is worth processing again: the
    referenced entity got its link after this one was synced.
    """
    for row in flow.properties:
        if not (row.references and row.optional):
            continue
        ref = mapping.get_path(event.data, row.source)
        left_empty = mapping.is_empty(link.synced.get(mapping.row_key(row)))
        if left_empty and not mapping.is_empty(ref):
            resolved = ports.resolve(row.references, str(ref))
            if resolved is not None:
                return True
    return False


def _is_old(event: ChangeEvent, seen_at: Any) -> bool:
    # Replays and the read-back of our own writes carry a modification time we
    # have already seen: they must not write anything (rules 4 and 13).
    return seen_at is not None and event.modified_at <= seen_at


Records = tuple[dict[str, Any] | None, dict[str, Any] | None]


async def _apply(
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
    source_data, target_data = records
    source_at = target_at = None
    writes = 0
    if decision.to_target:
        if ports.target_sink.capabilities(flow.target.type).update:
            body = mapping.target_changes(flow, decision.to_target, target_data)
            written = await ports.target_sink.update(
                flow.target.type, link.target_id, body
            )
            target_at, writes = written.modified_at, writes + 1
        else:
            _keep_unwritten(decision, decision.to_target, link)
    if decision.to_source:
        if ports.source_sink.capabilities(flow.source.type).update:
            body = mapping.source_changes(
                flow, decision.to_source, ports.resolve_reverse, source_data
            )
            if body:
                written = await ports.source_sink.update(
                    flow.source.type, link.source_id, body
                )
                source_at, writes = written.modified_at, writes + 1
        else:
            _keep_unwritten(decision, decision.to_source, link)
    return source_at, target_at, writes


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


async def _establish(
    flow: Flow, event: ChangeEvent, values: dict[str, Any], ports: FlowPorts
) -> Outcome:
    """No link yet: match an existing target (rule 6), else create one (rule 1)."""
    candidates = await _match(flow, event, ports)
    if len(candidates) > 1:
        await ports.report(
            FlowReport(
                flow=flow.name,
                kind="ambiguous-match",
                source_id=event.id,
                detail=f"{len(candidates)} {flow.target.type} candidates; not guessing",
                candidates=[c.id for c in candidates],
            )
        )
        return Outcome(link=None)
    if candidates:
        match = candidates[0]
        link = Link(
            flow=flow.name, source_id=event.id, target_id=match.id, how="matched"
        )
        own = await _latest(ports.source_sink, flow.source.type, event)
        if own is not event:
            values = _project_source_event(flow, own, ports)
        source = SideState(values, own.modified_at)
        target = SideState(_project_target(flow, match), match.modified_at)
        outcome = await _apply(
            flow, link, source, target, ports, (own.data, match.data)
        )
        notice = _notice(flow, link, LinkOp.LINK)
        return Outcome(outcome.link, (notice,), outcome.writes)
    capabilities = ports.target_sink.capabilities(flow.target.type)
    if flow.target_mode is not TargetMode.ENTITY or not capabilities.create:
        await ports.report(
            FlowReport(
                flow=flow.name,
                kind="unmatched",
                source_id=event.id,
                detail=f"no {flow.target.type} matches and the API cannot create one",
            )
        )
        return Outcome(link=None)
    body = mapping.target_changes(flow, values)
    # The key is stable for redeliveries of this very change, so a create retried
    # after a crash or a lost response returns the entity made the first time.
    key = f"{flow.name}:{event.id}:{event.modified_at.isoformat()}"
    created = await ports.target_sink.create(
        flow.target.type, body, idempotency_key=key
    )
    link = Link(
        flow=flow.name,
        source_id=event.id,
        target_id=created.id,
        synced=_project_target(flow, created),
        source_seen_at=event.modified_at,
        target_seen_at=created.modified_at,
    )
    log.info(
        "%s: created %s %s for %s", flow.name, flow.target.type, created.id, event.id
    )
    return Outcome(link, (_notice(flow, link, LinkOp.LINK),), writes=1)


async def _match(flow: Flow, event: ChangeEvent, ports: FlowPorts) -> list[ChangeEvent]:
    for key in flow.match_keys:
        value = mapping.get_path(event.data, key.source)
        if mapping.is_empty(value):
            continue
        wanted = mapping.normalize_key(value, key.normalize)
        if flow.target_mode is TargetMode.LOOKUP_ONLY and ports.catalog is not None:
            # Lookup-only types are few and never made by tether: one listing per
            # poll interval serves every lookup, instead of a search per source.
            found = await ports.catalog(flow.target.system, flow.target.type)
        else:
            found = await ports.target_sink.find(flow.target.type, key.target, value)
        candidates = [
            c
            for c in found
            if c.op is not Operation.DELETE
            and mapping.normalize_key(
                mapping.get_path(c.data, key.target), key.normalize
            )
            == wanted
            and ports.resolve_reverse(flow.name, c.id) in (None, event.id)
        ]
        if candidates:
            return candidates
    return []


async def _unlink(flow: Flow, link: Link, ports: FlowPorts, *, deleted: str) -> Outcome:
    """A side was deleted: drop the link and report it (rule 11)."""
    if ports.may_unlink is not None and not await ports.may_unlink(link):
        # A burst of vanished counterparts looks like a broken system, not a
        # mass delete: retried in place, the event is neither lost nor applied.
        msg = (
            f"{flow.name}: unlink of {link.source_id} <-> {link.target_id} "
            f"({deleted} gone) held by the mass-delete guard"
        )
        raise TransientError(msg)
    detail = f"{deleted} entity deleted; link to {link.target_id} removed"
    if flow.delete_policy is DeletePolicy.PROPAGATE:
        other, entity, other_id = (
            (ports.target_sink, flow.target.type, link.target_id)
            if deleted == "source"
            else (ports.source_sink, flow.source.type, link.source_id)
        )
        if other.capabilities(entity).delete:
            await other.delete(entity, other_id)
            detail += f"; {entity} {other_id} deleted too"
    await ports.report(
        FlowReport(
            flow=flow.name, kind="unlinked", source_id=link.source_id, detail=detail
        )
    )
    return Outcome(link=None, notices=(_notice(flow, link, LinkOp.UNLINK),))


def _notice(flow: Flow, link: Link, op: LinkOp) -> LinkNotice:
    return LinkNotice(
        flow=flow.name, source_id=link.source_id, target_id=link.target_id, op=op
    )


async def _on_value_keyed(
    flow: Flow, event: ChangeEvent, link: Link | None, ports: FlowPorts
) -> Outcome:
    """Link a source to the shared target of each of its distinct values (rule 7).

    The targets (countries) are matched by normalised value and never created,
    updated or deleted; a value that matches nothing is reported.
    """
    if event.op is Operation.DELETE:
        if link is None:
            return Outcome(link=None)
        detail = "source deleted; links to shared targets removed (targets kept)"
        await ports.report(
            FlowReport(
                flow=flow.name, kind="unlinked", source_id=event.id, detail=detail
            )
        )
        return Outcome(link=None, notices=_value_notices(flow, event.id, link, {}))
    if link is not None and _is_old(event, link.source_seen_at):
        return Outcome(link=link)
    if ports.catalog is None:
        msg = f"flow {flow.name} is value-keyed but no catalog of targets is wired"
        raise RuntimeError(msg)
    catalog = await ports.catalog(flow.target.system, flow.target.type)
    targets: dict[str, str] = {}
    for key in flow.match_keys:
        value = mapping.get_path(event.data, key.source)
        if mapping.is_empty(value):
            continue
        wanted = mapping.normalize_key(value, key.normalize)
        found = sorted(
            {
                c.id
                for c in catalog
                if c.op is not Operation.DELETE
                and mapping.normalize_key(
                    mapping.get_path(c.data, key.target), key.normalize
                )
                == wanted
            }
        )
        if len(found) == 1:
            targets[wanted] = found[0]
            continue
        kind = "ambiguous-match" if found else "unmatched"
        await ports.report(
            FlowReport(
                flow=flow.name,
                kind=kind,
                source_id=event.id,
                detail=f"{key.source}={value!r}: {len(found)} {flow.target.type} match",
                candidates=found,
            )
        )
    notices = _value_notices(flow, event.id, link, targets)
    if not targets:
        return Outcome(link=None, notices=notices)
    linked = Link(
        flow=flow.name,
        source_id=event.id,
        target_id=",".join(sorted(set(targets.values()))),
        value_targets=targets,
        source_seen_at=event.modified_at,
        how="matched",
    )
    return Outcome(link=linked, notices=notices)


def _value_notices(
    flow: Flow, source_id: str, old: Link | None, targets: dict[str, str]
) -> tuple[LinkNotice, ...]:
    """One notice per (source, shared target) pair that appeared or went."""
    before = set(old.value_targets.values()) if old else set()
    after = set(targets.values())
    return tuple(
        LinkNotice(flow=flow.name, source_id=source_id, target_id=target, op=op)
        for op, ids in ((LinkOp.LINK, after - before), (LinkOp.UNLINK, before - after))
        for target in sorted(ids)
    )
