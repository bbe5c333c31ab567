"""What the demo shows: per flow, what was linked, created, matched, left unmatched.

Read from the deployment's own topics (link-table changelogs, reports, dead
letters), the same facts any subscriber of those topics can see.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from devkit.local import LocalDeployment, latest_by_key
from schemas.dataflow import Flow


@dataclass
class FlowSummary:
    """One flow's state as its topics tell it."""

    flow: Flow
    linked: int = 0
    created: int = 0
    matched: int = 0
    unmatched: int = 0
    ambiguous: int = 0
    examples: list[tuple[str, str, Any]] = field(default_factory=list)


@dataclass
class DemoState:
    """Everything the demo prints, and what tells that the sync has settled."""

    flows: list[FlowSummary]
    dead_letters: int
    conflicts: int
    writes: dict[str, int]

    def fingerprint(self) -> tuple[Any, ...]:
        """Equal between two looks when nothing moved in between."""
        return (
            tuple((f.linked, f.unmatched, f.ambiguous) for f in self.flows),
            self.dead_letters,
            tuple(sorted(self.writes.items())),
        )


def collect(local: LocalDeployment, flows: list[Flow]) -> DemoState:
    """Read the deployment's topics and stand-ins into a ``DemoState``."""
    topics = local.topics
    reports = latest_by_key(local.read_topic(topics.reports))
    summaries = []
    for flow in flows:
        table = latest_by_key(local.read_topic(topics.links_changelog(flow.name)))
        # A tombstone remembers a deleted target; it is no link (rule 17).
        links = {k: v for k, v in table.items() if not v.get("target_deleted_at")}
        how = Counter(link.get("how", "created") for link in links.values())
        kinds = Counter(
            r["kind"] for key, r in reports.items() if key.startswith(f"{flow.name}/")
        )
        summary = FlowSummary(
            flow=flow,
            linked=len(links),
            created=how["created"],
            matched=how["matched"],
            unmatched=kinds["unmatched"],
            ambiguous=kinds["ambiguous-match"],
        )
        for key, link in list(links.items())[:3]:
            source_id = key.strip('"')  # faust writes table keys as JSON strings
            first = next(iter(link.get("synced", {}).values()), "")
            summary.examples.append((source_id, link["target_id"], first))
        summaries.append(summary)
    dead = latest_by_key(local.read_topic(topics.deadletters))
    conflicts = local.read_topic(topics.conflicts)
    writes = {name: s.write_count() for name, s in local.standins.items()}
    return DemoState(summaries, len(dead), len(conflicts), writes)


def render(state: DemoState) -> str:
    """The state as a small text report."""
    header = (
        f"{'flow':<58} {'linked':>6} {'created':>7} {'matched':>7} {'unmatched':>9}"
    )
    lines = [header, "-" * len(header)]
    for s in state.flows:
        lines.append(
            f"{s.flow.name:<58} {s.linked:>6} {s.created:>7} {s.matched:>7} "
            f"{s.unmatched + s.ambiguous:>9}"
        )
    lines.append("")
    lines.append("a few linked pairs:")
    for s in state.flows:
        for source_id, target_id, value in s.examples[:2]:
            lines.append(
                f"  {s.flow.source.system} {s.flow.source.type} {source_id} -> "
                f"{s.flow.target.system} {s.flow.target.type} {target_id}  ({value!r})"
            )
    writes = ", ".join(f"{k} {v}" for k, v in sorted(state.writes.items()))
    lines.append("")
    lines.append(f"API writes: {writes}")
    lines.append(f"dead letters: {state.dead_letters}   conflicts: {state.conflicts}")
    return "\n".join(lines)
