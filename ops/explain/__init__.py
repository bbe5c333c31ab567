"""``tether explain``: one entity's whole history across systems, flows and hops."""

from __future__ import annotations

from ops.explain.collect import assemble, entity_node, explain_entity, second_pass
from ops.explain.hops import follow_hops, link_history, reachable_flows
from ops.explain.model import Chain, Entry, Explanation, Hop, Node
from ops.explain.render import render_json, render_text

__all__ = [
    "Chain",
    "Entry",
    "Explanation",
    "Hop",
    "Node",
    "assemble",
    "entity_node",
    "explain_entity",
    "follow_hops",
    "link_history",
    "reachable_flows",
    "render_json",
    "render_text",
    "second_pass",
]
