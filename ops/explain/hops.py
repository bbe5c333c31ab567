"""Following links from one entity to the next, across flows, from link tables."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from ops.explain.model import Chain, Hop, Node
from ops.readback import readable
from schemas.dataflow import Flow, TargetMode
from schemas.links import Link
from streams.readback_keys import Message


@dataclass(frozen=True)
class PairChange:
    """A target linked to or unlinked from one source, by one flow's link table."""

    at: datetime
    target_id: str
    linked: bool
    how: str


@dataclass
class PairHistory:
    """Every target one source of one flow was ever linked to, and its last state."""

    source_id: str
    changes: list[PairChange] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    """Target id -> ``linked``, ``unlinked`` or ``target deleted``."""
    how: dict[str, str] = field(default_factory=dict)
    linked_at: dict[str, datetime] = field(default_factory=dict)


FlowLinks = dict[str, PairHistory]
"""One flow's link history per source id."""


def _targets(link: Link) -> set[str]:
    if link.tombstone:
        return set()
    return set(link.value_targets.values()) or {link.target_id}


def link_history(flow: str, messages: Sequence[Message]) -> FlowLinks:
    """A flow's link table history from its changelog's retained messages.

    Messages of one key keep their order (one partition); a null value (the
    row deleted) unlinks whatever the row linked.
    """
    histories: FlowLinks = {}
    for message in messages:
        link = None
        if message.value is not None:
            link = readable(Link, message.value, f"{flow} link of {message.key}")
            if link is None or link.flow != flow:
                continue
        source_id = link.source_id if link is not None else message.key
        if source_id is None:
            continue
        history = histories.setdefault(source_id, PairHistory(source_id))
        _apply(history, link, message.timestamp)
    return histories


def _apply(history: PairHistory, link: Link | None, at: datetime) -> None:
    before = {t for t, state in history.states.items() if state == "linked"}
    after = _targets(link) if link is not None else set()
    for target in sorted(after - before):
        how = link.how if link is not None else ""
        when = link.linked_at if link is not None else at
        history.states[target] = "linked"
        history.how[target] = how
        history.linked_at.setdefault(target, when)
        history.changes.append(PairChange(when, target, linked=True, how=how))
    for target in sorted(before - after):
        deleted = link is not None and link.tombstone and link.target_id == target
        gone = link.target_deleted_at if deleted and link is not None else None
        history.states[target] = "target deleted" if deleted else "unlinked"
        why = "target deleted" if deleted else "unlinked"
        history.changes.append(PairChange(gone or at, target, linked=False, how=why))


def reachable_flows(flows: Iterable[Flow], system: str, type_: str) -> list[Flow]:
    """The flows an entity of ``system``/``type_`` can reach by links, hop by hop.

    A value-keyed flow's targets are shared (every company in Norway links to
    the one country): they end a chain and are never followed back to their
    other sources.
    """
    flows = list(flows)
    seen: set[tuple[str, str]] = {(system, type_)}
    todo = deque([(system, type_)])
    chosen: dict[str, Flow] = {}
    while todo:
        here = todo.popleft()
        for flow in flows:
            source = (flow.source.system, flow.source.type)
            target = (flow.target.system, flow.target.type)
            shared = flow.target_mode is TargetMode.VALUE_KEYED
            if here == source:
                chosen[flow.name] = flow
                nxt = None if shared else target
            elif here == target and not shared:
                chosen[flow.name] = flow
                nxt = source
            else:
                continue
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return [flow for flow in flows if flow.name in chosen]


def follow_hops(
    start: Node, flows: Sequence[Flow], links: Mapping[str, FlowLinks]
) -> Chain:
    """Every entity linked to ``start``, transitively, with the links between them.

    Former links (unlinked, target deleted) are followed too: their history
    explains the entity. Targets of value-keyed flows are shown, not followed.
    """
    chain = Chain(start=start, nodes=[start])
    seen = {start}
    leaves: set[Node] = set()
    todo = deque([start])
    while todo:
        node = todo.popleft()
        if node in leaves:
            continue
        for flow in flows:
            hops = _hops_of(node, flow, links.get(flow.name, {}))
            if not hops and _takes_part(node, flow):
                chain.unlinked.setdefault(node, []).append(flow.name)
            for hop in hops:
                if hop not in chain.hops:
                    chain.hops.append(hop)
                other = hop.target if hop.source == node else hop.source
                if other in seen:
                    continue
                seen.add(other)
                chain.nodes.append(other)
                todo.append(other)
                if flow.target_mode is TargetMode.VALUE_KEYED:
                    leaves.add(other)
    return chain


def _takes_part(node: Node, flow: Flow) -> bool:
    # A source without a link is news (unmatched, not created yet); a target
    # without one from every other source is normal.
    return (node.system, node.type) == (flow.source.system, flow.source.type)


def _hops_of(node: Node, flow: Flow, links: FlowLinks) -> list[Hop]:
    hops: list[Hop] = []
    ref = (node.system, node.type)
    if ref == (flow.source.system, flow.source.type):
        history = links.get(node.id)
        if history is not None:
            hops += [_hop(flow, history, target) for target in history.states]
    shared = flow.target_mode is TargetMode.VALUE_KEYED
    if ref == (flow.target.system, flow.target.type) and not shared:
        hops += [
            _hop(flow, history, node.id)
            for history in links.values()
            if node.id in history.states
        ]
    return hops


def _hop(flow: Flow, history: PairHistory, target_id: str) -> Hop:
    return Hop(
        flow=flow.name,
        source=Node(flow.source.system, flow.source.type, history.source_id),
        target=Node(flow.target.system, flow.target.type, target_id),
        state=history.states[target_id],
        how=history.how.get(target_id, ""),
        linked_at=history.linked_at.get(target_id),
    )
