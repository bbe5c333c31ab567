"""Making and removing links: match or create (rules 1, 6, 8), unlink (rule 11)."""

from __future__ import annotations

import logging
from typing import Any

from connectors.errors import TransientError
from engine import mapping
from engine.changes import apply, latest, project_source_event, project_target
from engine.ports import FlowPorts, Outcome
from engine.reconcile import SideState
from schemas.dataflow import DeletePolicy, Flow, TargetMode
from schemas.envelope import ChangeEvent, Operation
from schemas.links import Link, LinkNotice, LinkOp
from schemas.paths import get_value

log = logging.getLogger(__name__)


async def establish(
    flow: Flow, event: ChangeEvent, values: dict[str, Any], ports: FlowPorts
) -> Outcome:
    """No link yet: match an existing target (rule 6), else create one (rule 1)."""
    candidates = await _match(flow, event, ports)
    if len(candidates) > 1:
        detail = f"{len(candidates)} {flow.target.type} candidates; not guessing"
        ids = [c.id for c in candidates]
        await ports.tell(flow.name, "ambiguous-match", event.id, detail, ids)
        return Outcome(link=None)
    if candidates:
        match = candidates[0]
        link = Link(
            flow=flow.name, source_id=event.id, target_id=match.id, how="matched"
        )
        own = await latest(ports.source_sink, flow.source.type, event)
        if own is not event:
            values = project_source_event(flow, own, ports)
        source = SideState(values, own.modified_at)
        target = SideState(project_target(flow, match), match.modified_at)
        outcome = await apply(flow, link, source, target, ports, (own.data, match.data))
        notice = link_notice(flow, link, LinkOp.LINK)
        return Outcome(outcome.link, (notice,), outcome.writes)
    capabilities = ports.target_sink.capabilities(flow.target.type)
    if flow.target_mode is not TargetMode.ENTITY or not capabilities.create:
        detail = f"no {flow.target.type} matches and the API cannot create one"
        await ports.tell(flow.name, "unmatched", event.id, detail)
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
        synced=project_target(flow, created),
        source_seen_at=event.modified_at,
        target_seen_at=created.modified_at,
    )
    log.info(
        "%s: created %s %s for %s", flow.name, flow.target.type, created.id, event.id
    )
    return Outcome(link, (link_notice(flow, link, LinkOp.LINK),), writes=1)


async def _match(flow: Flow, event: ChangeEvent, ports: FlowPorts) -> list[ChangeEvent]:
    for key in flow.match_keys:
        value = get_value(event.data, key.source)
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
            and mapping.normalize_key(get_value(c.data, key.target), key.normalize)
            == wanted
            and ports.resolve_reverse(flow.name, c.id) in (None, event.id)
        ]
        if candidates:
            return candidates
    return []


async def unlink(flow: Flow, link: Link, ports: FlowPorts, *, deleted: str) -> Outcome:
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
    await ports.tell(flow.name, "unlinked", link.source_id, detail)
    return Outcome(link=None, notices=(link_notice(flow, link, LinkOp.UNLINK),))


def link_notice(flow: Flow, link: Link, op: LinkOp) -> LinkNotice:
    return LinkNotice(
        flow=flow.name, source_id=link.source_id, target_id=link.target_id, op=op
    )
