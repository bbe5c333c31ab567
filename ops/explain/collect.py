"""Reads what tether kept about one entity and its linked entities from Kafka.

Two passes over retained topics: the link tables' changelogs of the flows the
entity can reach (whole: a link is found by its target id too), then the
entity topics of the chain, ``{app}.writes``, ``.conflicts``, ``.reports`` and
``.deadletters``, decoding only the keys that can concern the chain where the
key says so. The cost grows with what the topics retain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from connectors.errors import ConfigurationError
from ops.explain.hops import FlowLinks, follow_hops, link_history, reachable_flows
from ops.explain.model import Chain, Explanation, Node
from ops.explain.timeline import (
    change_entries,
    conflict_entries,
    dead_letter_entries,
    in_time_order,
    link_entries,
    report_entries,
    write_entries,
)
from schemas.catalog import SYSTEMS
from schemas.dataflow import Flow
from streams.readback_keys import KeyFilter, Message, every_key, read_messages
from streams.settings import StreamSettings
from streams.topics import TopicNames


def entity_node(system: str, type_: str, record_id: str) -> Node:
    """The entity asked about; a type is accepted in any case (``companies``).

    Raises ``ConfigurationError`` naming the known systems or types.
    """
    info = SYSTEMS.get(system.lower())
    if info is None:
        msg = f"unknown system {system!r}; known: {', '.join(sorted(SYSTEMS))}"
        raise ConfigurationError(msg)
    types = {t.lower(): t for t in info.types}
    known = types.get(type_.lower())
    if known is None:
        msg = (
            f"unknown type {type_!r} of {info.display}; known: {', '.join(info.types)}"
        )
        raise ConfigurationError(msg)
    if not record_id.strip():
        msg = "the id to explain is empty"
        raise ConfigurationError(msg)
    return Node(system.lower(), known, record_id)


def second_pass(
    chain: Chain, flows: Iterable[Flow], names: TopicNames
) -> dict[str, KeyFilter]:
    """The topics that can hold records about the chain, each with its key filter."""
    nodes = set(chain.nodes)
    ids_by_type: dict[tuple[str, str], set[str]] = {}
    for node in nodes:
        ids_by_type.setdefault((node.system, node.type), set()).add(node.id)
    # Conflicts and reports are keyed ``flow/source id``.
    flow_keys = {
        f"{flow.name}/{node.id}"
        for flow in flows
        for node in nodes
        if (node.system, node.type) == (flow.source.system, flow.source.type)
    }
    node_keys = {str(node) for node in nodes}
    filters: dict[str, KeyFilter] = {
        names.entity(system, type_): _key_in(ids)
        for (system, type_), ids in ids_by_type.items()
    }
    # A write is keyed by what it wrote; one caused by the chain is found by value.
    filters[names.writes] = every_key
    filters[names.conflicts] = _key_in(flow_keys)
    filters[names.reports] = _key_in(flow_keys)
    filters[names.deadletters] = _letter_of(node_keys)
    return filters


def _key_in(keys: set[str]) -> KeyFilter:
    def keep(key: str | None) -> bool:
        return key in keys

    return keep


def _letter_of(node_keys: set[str]) -> KeyFilter:
    # ``system/type/id#cause`` (or without the cause, from bad input).
    def keep(key: str | None) -> bool:
        return key is not None and key.split("#", 1)[0] in node_keys

    return keep


def assemble(
    app_id: str,
    start: Node,
    flows: Mapping[str, Flow],
    links: Mapping[str, FlowLinks],
    messages: Mapping[str, list[Message]],
) -> Explanation:
    """The chain from ``start`` and its timeline, from messages already read."""
    reachable = reachable_flows(flows.values(), start.system, start.type)
    chain = follow_hops(start, reachable, links)
    names = TopicNames(app_id)
    nodes = set(chain.nodes)
    entries = link_entries(chain, links)
    for node in chain.nodes:
        topic = names.entity(node.system, node.type)
        entries += change_entries(node, messages.get(topic, []))
    entries += write_entries(nodes, messages.get(names.writes, []))
    entries += conflict_entries(nodes, flows, messages.get(names.conflicts, []))
    entries += report_entries(nodes, flows, messages.get(names.reports, []))
    entries += dead_letter_entries(nodes, messages.get(names.deadletters, []))
    return Explanation(app_id=app_id, chain=chain, entries=in_time_order(entries))


async def explain_entity(
    settings: StreamSettings, flows: Mapping[str, Flow], start: Node
) -> Explanation:
    """Everything the deployment's topics hold about ``start`` and its chain."""
    names = TopicNames(settings.app_id)
    reachable = reachable_flows(flows.values(), start.system, start.type)
    changelogs = {names.links_changelog(flow.name): flow.name for flow in reachable}
    first = await read_messages(
        settings.kafka_bootstrap, dict.fromkeys(changelogs, every_key)
    )
    links = {
        flow: link_history(flow, first[topic]) for topic, flow in changelogs.items()
    }
    chain = follow_hops(start, reachable, links)
    second = await read_messages(
        settings.kafka_bootstrap, second_pass(chain, flows.values(), names)
    )
    return assemble(settings.app_id, start, flows, links, second)
