"""``tether links``: a flow's links from its link table's changelog (what the flow
itself believes), and the pairs an operator unlinked (from the id map)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connectors.errors import ConfigurationError
from ops.readback import each_readable, id_order
from ops.verify.render import clip, plural, text_table, value_text
from schemas.dataflow import Flow
from schemas.links import Link
from schemas.utc import utc_text
from streams.kafka_io import existing_topics, read_latest, table_key
from streams.settings import StreamSettings
from streams.topics import TopicNames

_VALUE_WIDTH = 80


@dataclass
class FlowLinks:
    """A flow's link table: links, tombstones (a deleted target remembered: no
    link, rule 17), and per source the targets an operator unlinked from it."""

    flow: str
    links: list[Link] = field(default_factory=list)
    tombstones: list[Link] = field(default_factory=list)
    unlinked: dict[str, list[str]] = field(default_factory=dict)

    def find(self, entity_id: str) -> tuple[Link | None, str]:
        """The row of ``entity_id`` as a source id, else as a target id; and how
        it was found (``source`` or ``target``)."""
        for row in (*self.links, *self.tombstones):
            if row.source_id == entity_id:
                return row, "source"
        for row in self.links:
            if entity_id in (row.target_id, *row.value_targets.values()):
                return row, "target"
        return None, ""


async def read_links(
    settings: StreamSettings, flow: Flow, *, unlinked: bool = False
) -> FlowLinks:
    """The link table of ``flow``; ``unlinked`` also reads the id map for the
    pairs operators unlinked (it holds every flow's pairs: a longer read)."""
    names = TopicNames(settings.app_id)
    topic = names.links_changelog(flow.name)
    if topic not in await existing_topics(settings.kafka_bootstrap):
        msg = (
            f"topic {topic} does not exist: no worker has run flow {flow.name} with "
            f"app id {settings.app_id!r} on {settings.kafka_bootstrap}"
        )
        raise ConfigurationError(msg)
    rows = await read_latest(settings.kafka_bootstrap, topic)
    found = FlowLinks(flow.name)
    for _, link in each_readable(Link, rows, f"{flow.name} link of"):
        if link.flow == flow.name:
            (found.tombstones if link.tombstone else found.links).append(link)
    found.links.sort(key=lambda r: id_order(r.source_id))
    found.tombstones.sort(key=lambda r: id_order(r.source_id))
    if unlinked:
        idmap = await read_latest(
            settings.kafka_bootstrap, f"{settings.app_id}-idmap-changelog"
        )
        prefix = f"{flow.name}/x/"
        for raw, targets in idmap.items():
            key = table_key(raw)
            if key.startswith(prefix) and isinstance(targets, list):
                found.unlinked[key.removeprefix(prefix)] = [str(t) for t in targets]
    return found


def _when(moment: datetime | None) -> str:
    return utc_text(moment, timespec="seconds", sep=" ") if moment else "-"


def _targets(link: Link) -> str:
    targets = sorted(set(link.value_targets.values()), key=id_order)
    return ",".join(targets) if targets else link.target_id


def render_table(found: FlowLinks, flow: Flow, limit: int) -> str:
    """Every link (then every tombstone) as a table, at most ``limit`` rows (0:
    all), and the counts."""
    rows = [(link, "linked") for link in found.links]
    rows += [(link, "target deleted") for link in found.tombstones]
    shown = rows if limit <= 0 else rows[:limit]
    if not shown:
        return f"{flow.name}: no links\n"
    headers = [
        f"SOURCE ({flow.source.system} {flow.source.type})",
        f"TARGET ({flow.target.system} {flow.target.type})",
        "HOW", "LINKED AT", "SOURCE SEEN", "TARGET SEEN", "STATE",
    ]  # fmt: skip
    table = [
        [link.source_id, _targets(link), link.how, _when(link.linked_at),
         _when(link.source_seen_at), _when(link.target_seen_at), state]
        for link, state in shown
    ]  # fmt: skip
    lines = text_table(headers, table)
    total = f"{plural(len(found.links), 'link')}"
    if found.tombstones:
        total += f", {plural(len(found.tombstones), 'tombstone')} (no link)"
    if len(shown) < len(rows):
        total += f"; the first {len(shown)} shown (--limit 0: all)"
    return "\n".join([*lines, "", total]) + "\n"


def render_one(found: FlowLinks, flow: Flow, entity_id: str) -> tuple[str, bool]:
    """One link in full (found by source id, or by target id); and whether there
    is one."""
    link, side = found.find(entity_id)
    refused = found.unlinked.get(link.source_id if link else entity_id, [])
    lines: list[str] = []
    if link is None:
        lines.append(f"{flow.name}: {entity_id} is not linked")
    else:
        state = "linked"
        if link.tombstone:
            state = f"not linked: target deleted at {_when(link.target_deleted_at)}"
        lines += [
            f"flow            {flow.name}",
            f"source          {flow.source.system} {flow.source.type} {link.source_id}",
            f"target          {flow.target.system} {flow.target.type} {_targets(link)}",
            f"state           {state}",
            f"how             {link.how}",
            f"linked at       {_when(link.linked_at)}",
            f"source seen at  {_when(link.source_seen_at)}",
            f"target seen at  {_when(link.target_seen_at)}",
        ]
        if side == "target":
            lines.append(f"(found by target id {entity_id})")
        lines.append("last agreed values:" if link.synced else "no agreed values yet")
        lines += [
            f"  {name}  {clip(value_text(value), _VALUE_WIDTH)}"
            for name, value in sorted(link.synced.items())
        ]
    if refused:
        lines.append(
            f"unlinked by an operator from {flow.target.type} {', '.join(refused)} "
            "(never matched to it again)"
        )
    return "\n".join(lines) + "\n", link is not None and not link.tombstone


def links_json(found: FlowLinks, limit: int) -> dict[str, Any]:
    """The table for machines: links, tombstones and counts."""
    links = found.links if limit <= 0 else found.links[:limit]
    return {
        "flow": found.flow,
        "links": [link.model_dump(mode="json") for link in links],
        "tombstones": [link.model_dump(mode="json") for link in found.tombstones],
        "count": len(found.links),
        "tombstone_count": len(found.tombstones),
    }


def link_json(found: FlowLinks, entity_id: str) -> dict[str, Any]:
    """One link for machines (``link`` null when there is none)."""
    link, side = found.find(entity_id)
    return {
        "flow": found.flow,
        "id": entity_id,
        "found_by": side or None,
        "link": link.model_dump(mode="json") if link else None,
        "tombstone": bool(link and link.tombstone),
        "unlinked_targets": found.unlinked.get(
            link.source_id if link else entity_id, []
        ),
    }
