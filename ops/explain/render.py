"""``tether explain`` output: the chain of linked ids per flow, then the timeline."""

from __future__ import annotations

from typing import Any

import orjson

from ops.explain.model import Entry, Explanation, Hop, Node
from schemas.utc import utc_text


def _count(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


def _when(entry: Entry) -> str:
    return utc_text(entry.at, timespec="milliseconds", sep=" ")


def _hop_line(hop: Hop) -> str:
    how = f", {hop.how}" if hop.how and hop.current else ""
    return f"    {hop.source} -> {hop.target} ({hop.state}{how})"


def render_text(explanation: Explanation) -> str:
    """The chain grouped by flow, then one line per entry in time order."""
    chain = explanation.chain
    lines = [f"{chain.start} in {explanation.app_id}"]
    if not explanation.found:
        lines.append(
            "nothing known: no change event, link, write, conflict, report or"
            " dead letter of it on the retained topics"
        )
        return "\n".join(lines) + "\n"
    by_flow: dict[str, list[Hop]] = {}
    for hop in chain.hops:
        by_flow.setdefault(hop.flow, []).append(hop)
    lines.append("")
    lines.append("Linked:" if by_flow else "Linked: nothing")
    for flow, hops in by_flow.items():
        lines.append(f"  {flow}")
        lines += [_hop_line(hop) for hop in hops]
    for node, flows in chain.unlinked.items():
        lines.append(f"  {node}: no link in {', '.join(flows)}")
    lines += ["", "Timeline (UTC):"]
    width = max((len(str(e.node)) for e in explanation.entries), default=0)
    for entry in explanation.entries:
        lines.append(f"  {_when(entry)}  {str(entry.node):<{width}}  {entry.summary}")
        lines += [f"  {'':<24}  {'':<{width}}    {d}" for d in entry.details]
    touched = {e.node for e in explanation.entries}
    lines += [
        "",
        f"{_count(len(explanation.entries), 'entry', 'entries')} about"
        f" {_count(len(touched), 'entity', 'entities')} of"
        f" {_count(len(chain.nodes), 'linked entity', 'linked entities')},"
        f" over {_count(len(by_flow), 'flow', 'flows')}",
    ]
    return "\n".join(lines) + "\n"


def _node(node: Node) -> dict[str, str]:
    return {"system": node.system, "type": node.type, "id": node.id}


def _hop(hop: Hop) -> dict[str, Any]:
    return {
        "flow": hop.flow,
        "source": _node(hop.source),
        "target": _node(hop.target),
        "state": hop.state,
        "how": hop.how,
        "linked_at": utc_text(hop.linked_at, zulu=False) if hop.linked_at else None,
    }


def _entry(entry: Entry) -> dict[str, Any]:
    return {
        "at": utc_text(entry.at, zulu=False),
        **_node(entry.node),
        "kind": entry.kind,
        "flow": entry.flow,
        "summary": entry.summary,
        "details": list(entry.details),
        "record": entry.record,
    }


def render_json(explanation: Explanation) -> str:
    """The same as a JSON document."""
    chain = explanation.chain
    document = {
        "app_id": explanation.app_id,
        "entity": _node(chain.start),
        "found": explanation.found,
        "chain": [_node(node) for node in chain.nodes],
        "hops": [_hop(hop) for hop in chain.hops],
        "unlinked": [
            {**_node(node), "flows": flows} for node, flows in chain.unlinked.items()
        ],
        "timeline": [_entry(entry) for entry in explanation.entries],
    }
    return orjson.dumps(document, option=orjson.OPT_INDENT_2).decode() + "\n"
