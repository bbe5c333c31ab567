"""What became of a handled change: its metric result, a value-keyed flow's links."""

from __future__ import annotations

from engine import recording
from engine.handlers import Outcome
from schemas.dataflow import Flow, TargetMode
from schemas.links import Link, LinkOp
from schemas.observe import WriteOp


def result_of(before: Link | None, after: Link | None, writes: int) -> str:
    """What became of a handled change, for ``tether_events_out_total``."""
    if writes:
        return "written"
    had = before is not None and not before.tombstone
    has = after is not None and not after.tombstone
    if has and (not had or (before and after and before.target_id != after.target_id)):
        return "linked"
    if had and not has:
        return "unlinked"
    if before is None and after is None:
        return "skipped"
    return "unchanged"


def record_value_links(flow: Flow, outcome: Outcome) -> None:
    """A value-keyed flow's links are its decisions (it writes nothing)."""
    if flow.target_mode is not TargetMode.VALUE_KEYED:
        return
    target = flow.target
    for notice in outcome.notices:
        linked = notice.op is LinkOp.LINK
        recording.decided(
            WriteOp.MATCH if linked else WriteOp.UNLINK,
            target.system,
            target.type,
            notice.target_id,
            notice.source_id,
            "value key" if linked else "value key changed",
        )
