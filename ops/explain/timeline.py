"""The timeline of a chain of entities, from the records tether keeps about them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel

from ops.explain.hops import FlowLinks
from ops.explain.model import Chain, Entry, Node
from ops.readback import readable
from schemas.dataflow import Flow
from schemas.envelope import (
    ChangeEvent,
    ConflictRecord,
    DeadLetter,
    FlowReport,
    Operation,
)
from schemas.observe import WriteOp, WriteRecord
from schemas.utc import utc_text
from streams.readback_keys import Message

_VALUE_WIDTH = 60

_Record = TypeVar("_Record", bound=BaseModel)


def shown(value: Any) -> str:
    """A value as the timeline prints it: ``-`` for none, ``repr`` clipped."""
    if value is None:
        return "-"
    text = repr(value)
    return text if len(text) <= _VALUE_WIDTH else text[: _VALUE_WIDTH - 3] + "..."


def _decoded(
    model: type[_Record], messages: Iterable[Message], what: str
) -> Iterator[tuple[Message, _Record]]:
    """Each message that decodes as ``model``, with its record (a message that
    does not is reported by ``readable`` and left out)."""
    for message in messages:
        if message.value is None:
            continue
        record = readable(model, message.value, f"{what} {message.key}")
        if record is not None:
            yield message, record


def change_entries(node: Node, messages: Iterable[Message]) -> list[Entry]:
    """The change events of ``node`` seen on its entity topic."""
    entries: list[Entry] = []
    mine = (m for m in messages if m.key == node.id)
    for message, event in _decoded(ChangeEvent, mine, f"change of {node}:"):
        if event.id != node.id:
            continue
        what = "deleted" if event.op is Operation.DELETE else "changed"
        modified = utc_text(event.modified_at, timespec="seconds", sep=" ")
        entries.append(
            Entry(
                at=event.observed_at,
                node=node,
                kind="change",
                summary=f"change seen: {what} in {node.system} at {modified}",
                record=message.value,
            )
        )
    return entries


def write_entries(nodes: set[Node], messages: Iterable[Message]) -> list[Entry]:
    """Writes to an entity of the chain, or caused by a change of one."""
    entries: list[Entry] = []
    for message, write in _decoded(WriteRecord, messages, "write"):
        node = Node(write.system, write.entity, write.record_id)
        cause = Node(write.from_system, write.from_entity, write.from_id)
        if node not in nodes and cause not in nodes:
            continue
        why = f": {write.why}" if write.why else ""
        caused = f" (from {cause})" if write.from_id else ""
        details = [
            f"{name}: {shown(write.before.get(name))} -> {shown(after)}"
            for name, after in write.after.items()
            if write.before.get(name) != after or write.op is WriteOp.CREATE
        ]
        if write.op in (WriteOp.MATCH, WriteOp.UNLINK):
            details = []  # what they link is in the summary: the cause's id
        details += [
            f"conflict on {name}: {winner} won"
            for name, winner in write.conflicts.items()
        ]
        entries.append(
            Entry(
                at=write.written_at,
                node=node,
                kind=write.op.value,
                summary=f"{write.op.value} by {write.flow}{why}{caused}",
                flow=write.flow,
                details=tuple(details),
                record=message.value,
            )
        )
    return entries


def _flow_source(flows: Mapping[str, Flow], flow: str, source_id: str) -> Node | None:
    known = flows.get(flow)
    if known is None:
        return None
    return Node(known.source.system, known.source.type, source_id)


def conflict_entries(
    nodes: set[Node], flows: Mapping[str, Flow], messages: Iterable[Message]
) -> list[Entry]:
    """Conflicts decided for a source of the chain (keyed ``flow/source id``)."""
    entries: list[Entry] = []
    for message, record in _decoded(ConflictRecord, messages, "conflict"):
        node = _flow_source(flows, record.flow, record.source_id)
        if node not in nodes or node is None:
            continue
        entries.append(
            Entry(
                at=record.decided_at,
                node=node,
                kind="conflict",
                summary=(
                    f"conflict on {record.property} in {record.flow}:"
                    f" {record.winner.value} won ({record.rule})"
                ),
                flow=record.flow,
                details=(
                    f"kept {shown(record.winning_value)},"
                    f" overrode {shown(record.overridden_value)}",
                ),
                record=message.value,
            )
        )
    return entries


def report_entries(
    nodes: set[Node], flows: Mapping[str, Flow], messages: Iterable[Message]
) -> list[Entry]:
    """Flow reports (ambiguous or missing matches, unlinks) about a chain source."""
    entries: list[Entry] = []
    for message, report in _decoded(FlowReport, messages, "report"):
        if not report.source_id:
            continue
        node = _flow_source(flows, report.flow, report.source_id)
        if node not in nodes or node is None:
            continue
        candidates = ", ".join(report.candidates)
        entries.append(
            Entry(
                at=report.reported_at,
                node=node,
                kind="report",
                summary=f"report {report.kind} in {report.flow}: {report.detail}",
                flow=report.flow,
                details=(f"candidates: {candidates}",) if candidates else (),
                record=message.value,
            )
        )
    return entries


def dead_letter_entries(nodes: set[Node], messages: Iterable[Message]) -> list[Entry]:
    """Dead letters about an entity of the chain."""
    entries: list[Entry] = []
    for message, letter in _decoded(DeadLetter, messages, "dead letter"):
        node = Node(letter.system, letter.entity, letter.record_id)
        if node not in nodes:
            continue
        flow = f" in {letter.flow}" if letter.flow else ""
        entries.append(
            Entry(
                at=letter.failed_at,
                node=node,
                kind="dead letter",
                summary=f"dead letter at {letter.stage}{flow}: {letter.reason}",
                flow=letter.flow or "",
                details=(f"error: {letter.error_type}",),
                record=message.value,
            )
        )
    return entries


def link_entries(chain: Chain, links: Mapping[str, FlowLinks]) -> list[Entry]:
    """Each link of the chain as it appeared and went, from the link tables."""
    entries: list[Entry] = []
    for hop in chain.hops:
        history = links.get(hop.flow, {}).get(hop.source.id)
        if history is None:
            continue
        for change in history.changes:
            if change.target_id != hop.target.id:
                continue
            how = f" ({change.how})" if change.how else ""
            verb = "linked to" if change.linked else "no longer linked to"
            entries.append(
                Entry(
                    at=change.at,
                    node=hop.source,
                    kind="link" if change.linked else "unlinked",
                    summary=f"{verb} {hop.target} by {hop.flow}{how}",
                    flow=hop.flow,
                )
            )
    return entries


# Within one instant, the order things happen in: seen, written, linked, told.
_ORDER = {"change": 0, "link": 2, "unlinked": 2, "conflict": 3, "report": 3}


def in_time_order(entries: Sequence[Entry]) -> list[Entry]:
    """The entries by time; at one instant, in the order things happen."""
    return sorted(entries, key=lambda e: (e.at, _ORDER.get(e.kind, 1), str(e.node)))
