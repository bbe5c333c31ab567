"""Value-keyed flows: many sources link to the shared target of each value (rule 7)."""

from __future__ import annotations

from connectors.errors import ConfigurationError
from engine import mapping
from engine.changes import is_old
from engine.ports import FlowPorts, Outcome
from schemas.dataflow import Flow
from schemas.envelope import ChangeEvent, Operation
from schemas.links import Link, LinkNotice, LinkOp
from schemas.paths import get_value


async def on_value_keyed(
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
        await ports.tell(flow.name, "unlinked", event.id, detail)
        return Outcome(link=None, notices=_value_notices(flow, event.id, link, {}))
    if link is not None and is_old(event, link.source_seen_at):
        return Outcome(link=link)
    if ports.catalog is None:
        msg = f"flow {flow.name} is value-keyed but no catalog of targets is wired"
        raise ConfigurationError(msg)
    catalog = await ports.catalog(flow.target.system, flow.target.type)
    targets: dict[str, str] = {}
    for key in flow.match_keys:
        value = get_value(event.data, key.source)
        if mapping.is_empty(value):
            continue
        wanted = mapping.normalize_key(value, key.normalize)
        found = sorted(
            {
                c.id
                for c in catalog
                if c.op is not Operation.DELETE
                and mapping.normalize_key(get_value(c.data, key.target), key.normalize)
                == wanted
            }
        )
        if len(found) == 1:
            targets[wanted] = found[0]
            continue
        kind = "ambiguous-match" if found else "unmatched"
        detail = f"{key.source}={value!r}: {len(found)} {flow.target.type} match"
        await ports.tell(flow.name, kind, event.id, detail, found)
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
