"""Making and removing links: match or create (rules 1, 6, 8), unlink (rules 11, 17).

Matching never guesses and never reads "cannot tell" as "none": a source
without a natural key, or a search that hits a target record tether cannot
read, is reported and dead-lettered instead of created (a create would be a
duplicate of the record nobody could see). A delete of the target leaves a
tombstone in the link table (``Link.target_deleted_at``), so the source's next
re-read does not create the target again; a create answered with a deleted
record (an idempotency key replaying a create whose result was deleted since)
is the same decision, not a create.
"""

from __future__ import annotations

import logging
from typing import Any

from connectors.errors import (
    InvalidRecordError,
    TransientError,
    UnreadableMatchError,
)
from engine import mapping, recording
from engine.changes import invalid, project_target, settle
from engine.ports import FlowPorts, Outcome
from schemas.dataflow import DeletePolicy, Flow, TargetMode
from schemas.envelope import ChangeEvent, Operation
from schemas.links import Link, LinkNotice, LinkOp
from schemas.observe import WriteOp
from schemas.paths import get_value

log = logging.getLogger(__name__)


async def establish(
    flow: Flow, event: ChangeEvent, values: dict[str, Any], ports: FlowPorts
) -> Outcome:
    """No link yet: match an existing target (rule 6), else create one (rule 1)."""
    candidates, listed = await _match(flow, event, ports)
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
        outcome = await settle(
            flow,
            link,
            event,
            match,
            ports,
            other_current=not listed,
            on_gone=lambda: _gone(flow, ports, match.id),
        )
        notice = link_notice(flow, link, LinkOp.LINK)
        cause = recording.current()
        why = f"natural key {cause.match_key}" if cause else "natural key"
        target = flow.target
        recording.decided(
            WriteOp.MATCH, target.system, target.type, match.id, event.id, why
        )
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
        synced=project_target(flow, created) if created.data is not None else {},
        source_seen_at=event.modified_at,
        target_seen_at=created.modified_at,
    )
    if created.op is Operation.DELETE:
        # The key replayed a create of this very version whose entity was deleted
        # since (the link table forgot it): the delete stays decided (rule 17).
        detail = (
            f"{flow.target.type} {created.id}, made for it earlier, was deleted "
            "since; not created again"
        )
        await ports.tell(flow.name, "target-deleted", event.id, detail, [created.id])
        return Outcome(link.deleted_target())
    if ports.matches is not None:
        ports.matches.created(flow.target.system, flow.target.type, created)
    log.info(
        "%s: created %s %s for %s",
        flow.name,
        flow.target.type,
        created.id,
        event.id,
        extra={
            "flow": flow.name,
            "system": flow.target.system,
            "type": flow.target.type,
            "id": created.id,
        },
    )
    return Outcome(link, (link_notice(flow, link, LinkOp.LINK),), writes=1)


async def _match(
    flow: Flow, event: ChangeEvent, ports: FlowPorts
) -> tuple[list[ChangeEvent], bool]:
    """The live, unlinked targets holding the event's natural key.

    The first key with a value that finds candidates decides. Also says
    whether they came from the match index (as listed, perhaps not current).
    Raises ``InvalidRecordError`` (after a report) when the flow has keys but
    the record holds none of them, or when a search hits a record it cannot
    read.
    """
    keyed = False
    for key in flow.match_keys:
        value = get_value(event.data, key.source)
        if mapping.is_empty(value):
            continue
        keyed = True
        wanted = mapping.normalize_key(value, key.normalize)
        found = await _indexed(flow, ports, key.target, key.normalize, wanted)
        listed = found is not None
        if found is None:
            found = await _search(flow, event, ports, key.target, value)
        candidates = [
            c
            for c in found
            if c.op is not Operation.DELETE
            and mapping.normalize_key(get_value(c.data, key.target), key.normalize)
            == wanted
            and _free(flow, ports, c.id, event.id)
        ]
        if candidates:
            recording.note(match_key=key.source)  # why the link (engine.recording)
            return candidates, listed
    if flow.match_keys and not keyed:
        names = ", ".join(k.source for k in flow.match_keys)
        reason = (
            f"no natural key ({names} empty): an existing {flow.target.type} "
            "cannot be looked for, so none is created (it could be a duplicate)"
        )
        await ports.tell(flow.name, "unmatchable", event.id, reason)
        raise invalid(event, reason)
    return [], False


async def _indexed(
    flow: Flow, ports: FlowPorts, path: str, normalize: str, wanted: str
) -> list[ChangeEvent] | None:
    """The target's records holding the key, from the match index; ``None``
    when there is none or it cannot tell (``engine.matchindex``)."""
    if flow.target_mode is not TargetMode.ENTITY or ports.matches is None:
        return None
    target = flow.target
    return await ports.matches.lookup(
        target.system, target.type, path, normalize, wanted
    )


def _gone(flow: Flow, ports: FlowPorts, target_id: str) -> None:
    if ports.matches is not None:
        ports.matches.gone(flow.target.system, flow.target.type, target_id)


async def _search(
    flow: Flow, event: ChangeEvent, ports: FlowPorts, path: str, value: Any
) -> list[ChangeEvent]:
    """The target's records whose ``path`` holds ``value``, all readable."""
    try:
        if flow.target_mode is TargetMode.LOOKUP_ONLY and ports.catalog is not None:
            # Lookup-only types are few and never made by tether: one listing per
            # poll interval serves every lookup, instead of a search per source.
            return await ports.catalog(flow.target.system, flow.target.type)
        return await ports.target_sink.find(flow.target.type, path, value)
    except InvalidRecordError as exc:
        if isinstance(exc, UnreadableMatchError):
            unreadable, found = exc.unreadable, exc.found
        else:  # a search by id reads the one record (Tidsbanken)
            unreadable, found = {exc.record_id: str(exc)}, []
        blocking = [i for i in unreadable if _free(flow, ports, i, event.id)]
        if not blocking:
            return list(found)
        ids = sorted({*blocking, *(c.id for c in found)})
        detail = (
            f"{flow.target.type} {', '.join(blocking)} holds {path} = {value!r} "
            f"but cannot be read ({unreadable[blocking[0]]}); not guessing, not "
            "creating: fix that record, then re-drive"
        )
        await ports.tell(flow.name, "ambiguous-match", event.id, detail, ids)
        raise invalid(event, f"match unknown: {detail}") from exc


def _free(flow: Flow, ports: FlowPorts, target_id: str, source_id: str) -> bool:
    """Whether ``target_id`` is linked to no other source of the flow."""
    return ports.resolve_reverse(flow.name, target_id) in (None, source_id)


async def unlink(flow: Flow, link: Link, ports: FlowPorts, *, deleted: str) -> Outcome:
    """A side was deleted: drop the link and report it (rules 11 and 17).

    The deleted side is read first: a record that is back (a delete undone,
    or a system that answered "gone" while broken, as the mass-delete guard
    suspects when it holds an unlink) keeps its link, restored as it was. A
    deleted target leaves a tombstone, so the kept source is not linked or
    created again by a re-read; a deleted source leaves nothing.
    """
    sink, entity, entity_id = (
        (ports.target_sink, flow.target.type, link.target_id)
        if deleted == "target"
        else (ports.source_sink, flow.source.type, link.source_id)
    )
    now = await sink.get(entity, entity_id)
    if now is not None and now.op is Operation.UPSERT:
        log.info("%s: %s %s is back; link kept", flow.name, entity, entity_id)
        return Outcome(link=link)
    if ports.may_unlink is not None and not await ports.may_unlink(link):
        # A burst of vanished counterparts looks like a broken system, not a
        # mass delete: retried in place, the event is neither lost nor applied.
        msg = (
            f"{flow.name}: unlink of {link.source_id} <-> {link.target_id} "
            f"({deleted} gone) held by the mass-delete guard"
        )
        raise TransientError(msg)
    detail = f"{deleted} entity deleted; link to {link.target_id} removed"
    recording.note(deleted=deleted)
    target = flow.target
    recording.decided(
        WriteOp.UNLINK,
        target.system,
        target.type,
        link.target_id,
        link.source_id,
        f"{deleted} deleted",
    )
    if flow.delete_policy is DeletePolicy.PROPAGATE:
        other, entity, other_id = (
            (ports.target_sink, flow.target.type, link.target_id)
            if deleted == "source"
            else (ports.source_sink, flow.source.type, link.source_id)
        )
        if other.capabilities(entity).delete:
            await other.delete(entity, other_id)
            detail += f"; {entity} {other_id} deleted too"
    notices = (link_notice(flow, link, LinkOp.UNLINK),)
    if deleted == "target":
        detail += f"; {flow.target.type} {link.target_id} is not created again"
        await ports.tell(flow.name, "unlinked", link.source_id, detail)
        return Outcome(link=link.deleted_target(), notices=notices)
    await ports.tell(flow.name, "unlinked", link.source_id, detail)
    return Outcome(link=None, notices=notices)


async def restore_if_back(
    flow: Flow, event: ChangeEvent, link: Link, ports: FlowPorts
) -> Link | None:
    """The pair linked again when its "deleted" target exists after all.

    A system that hid its records for a while (404s, empty listings) makes the
    deletes it seemed to report undecided: the source's next change looks, and
    a target that answers, not deleted, is linked again as it was (reported),
    instead of staying a tombstone for good. ``None`` while it stays gone.
    """
    from_source = (event.system, event.entity) == (
        flow.source.system,
        flow.source.type,
    )
    if not from_source or event.op is Operation.DELETE:
        return None
    current = await ports.target_sink.get(flow.target.type, link.target_id)
    if current is None or current.op is Operation.DELETE:
        return None
    detail = f"{flow.target.type} {link.target_id} exists again; link restored"
    await ports.tell(flow.name, "restored", link.source_id, detail)
    return link.model_copy(update={"target_deleted_at": None})


def keep_deleted(flow: Flow, event: ChangeEvent, link: Link) -> Outcome:
    """A change of a pair whose target was deleted: the delete stays decided.

    The source's re-reads and edits create nothing (rule 17); once the source
    is deleted too, there is nothing left to remember.
    """
    from_source = (event.system, event.entity) == (
        flow.source.system,
        flow.source.type,
    )
    if from_source and event.op is Operation.DELETE:
        return Outcome(link=None)
    return Outcome(link=link)


def link_notice(flow: Flow, link: Link, op: LinkOp) -> LinkNotice:
    return LinkNotice(
        flow=flow.name, source_id=link.source_id, target_id=link.target_id, op=op
    )
