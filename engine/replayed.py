"""Telling an event a flow has already seen from a glance at its link.

A replay, a redelivery, a periodic re-read or the read-back of tether's own
write carries a modification time the link has seen, so the handler would keep
the link as it is (DESIGN.md rules 4 and 13). Told without validating the link
or using anything of the event's data, such an event is not checked either
(what is never applied needs no trust, rule 16) and costs no table write and no
notice. Anything else takes the full path: a delete, an event keyed by another
id, a link whose notice may have been lost (``engine.redelivery``), flows whose
old events may fill in an optional reference, and value-keyed flows.
"""

from __future__ import annotations

from engine.stores import IdMap, LinkTable
from schemas.dataflow import Flow, TargetMode
from schemas.envelope import ChangeEvent, Operation


def replayed(
    flow: Flow,
    links: LinkTable,
    idmap: IdMap,
    key: str,
    event: ChangeEvent,
    source_side: bool,  # noqa: FBT001 - one of the runner's own decisions
) -> bool:
    """Whether ``event`` (keyed by its flow's source id) changes nothing."""
    if event.op is Operation.DELETE or full_path_only(flow):
        return False
    glance = links.glance(key)
    if glance is None or glance.tombstone:
        return False
    if source_side:
        seen = glance.source_seen_at if key == event.id else None
    else:
        seen = glance.target_seen_at if event.id == glance.target_id else None
    if seen is None or event.modified_at > seen:
        return False
    # A pair the id map does not hold may have lost its notice: sent again there.
    return idmap.resolve(flow.name, key) == glance.target_id


def full_path_only(flow: Flow) -> bool:
    """Value-keyed flows, and flows whose old events may fill in a reference."""
    return flow.target_mode is TargetMode.VALUE_KEYED or any(
        row.references and row.optional for row in flow.properties
    )
