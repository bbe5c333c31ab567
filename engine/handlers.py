"""The flow logic: one change event in, writes to the systems and a new link out.

Plain async functions with their collaborators passed in (no faust), so tests
call them directly. DESIGN.md rules 1-6 and 11 live here and in the modules
these call: ``changes`` (reconcile and write), ``linking`` (match, create,
unlink) and ``valuekeyed`` (shared targets).
"""

from __future__ import annotations

from engine import mapping
from engine.changes import (
    is_old,
    project_source_event,
    project_target,
    settle,
)
from engine.linking import (
    establish,
    keep_deleted,
    link_notice,
    restore_if_back,
    unlink,
)
from engine.ports import FlowPorts, Outcome
from engine.valuekeyed import on_value_keyed
from schemas.dataflow import Flow, TargetMode
from schemas.envelope import ChangeEvent, Operation
from schemas.links import Link, LinkOp
from schemas.paths import get_value

__all__ = ["FlowPorts", "Outcome", "handle_event", "is_source_event"]


def is_source_event(flow: Flow, event: ChangeEvent) -> bool:
    """Whether ``event`` comes from the flow's source side (else its target side)."""
    return event.system == flow.source.system and event.entity == flow.source.type


async def handle_event(
    flow: Flow, event: ChangeEvent, link: Link | None, ports: FlowPorts
) -> Outcome:
    """Process one change of either side of ``flow`` given its current link."""
    if link is not None and link.tombstone:
        restored = await restore_if_back(flow, event, link, ports)
        if restored is None:
            return keep_deleted(flow, event, link)  # rule 17
        # The target answers again (it was hidden, not deleted): linked as before.
        outcome = await handle_event(flow, event, restored, ports)
        notice = link_notice(flow, restored, LinkOp.LINK)
        return Outcome(outcome.link, (notice, *outcome.notices), outcome.writes)
    if is_source_event(flow, event):
        if flow.target_mode is TargetMode.VALUE_KEYED:
            return await on_value_keyed(flow, event, link, ports)
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
        return await unlink(flow, link, ports, deleted="source")
    if (
        link is not None
        and is_old(event, link.source_seen_at)
        and not _resolves_pending_reference(flow, event, link, ports)
    ):
        return Outcome(link=link)
    values = project_source_event(flow, event, ports)
    if link is None:
        return await establish(flow, event, values, ports)
    if all(link.synced.get(k) == v for k, v in values.items()):
        return Outcome(link=link.seen(source=event.modified_at, target=None))
    current = await ports.target_sink.get(flow.target.type, link.target_id)
    if current is None or current.op is Operation.DELETE:
        return await unlink(flow, link, ports, deleted="target")
    return await settle(flow, link, event, current, ports)


async def _on_target_change(
    flow: Flow, event: ChangeEvent, link: Link, ports: FlowPorts
) -> Outcome:
    if event.id != link.target_id:
        return Outcome(link=link)  # an old target of a since re-linked source
    if event.op is Operation.DELETE:
        return await unlink(flow, link, ports, deleted="target")
    if is_old(event, link.target_seen_at):
        return Outcome(link=link)
    values = project_target(flow, event)
    if all(link.synced.get(k) == v for k, v in values.items()):
        return Outcome(link=link.seen(source=None, target=event.modified_at))
    current = await ports.source_sink.get(flow.source.type, link.source_id)
    if current is None or current.op is Operation.DELETE:
        return await unlink(flow, link, ports, deleted="source")
    return await settle(flow, link, event, current, ports)


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
        ref = get_value(event.data, row.source)
        left_empty = mapping.is_empty(link.synced.get(mapping.row_key(row)))
        if left_empty and not mapping.is_empty(ref):
            resolved = ports.resolve(row.references, str(ref))
            if resolved is not None:
                return True
    return False
