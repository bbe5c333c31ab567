"""What the demo shows: per flow, what was linked, created, matched, left unmatched.

Read from the deployment's own topics (link-table changelogs, reports, dead
letters), the same facts any subscriber of those topics can see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

import orjson
from pydantic import ValidationError

from devkit.local import LocalDeployment, latest_by_key
from devkit.standins import StandIn
from schemas.dataflow import Flow, TargetMode
from schemas.observe import FirstSync, WriteOp, WriteRecord


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


# -- what the demo tells while it runs ---------------------------------------------


def explain_creates(flows: list[Flow]) -> list[str]:
    """Why some flows create nothing: their targets can only be found, not made."""
    lines = []
    for flow in flows:
        target = f"{flow.target.system} {flow.target.type}"
        keys = ", ".join(f"{k.source} = {k.target}" for k in flow.match_keys)
        if flow.target_mode is TargetMode.LOOKUP_ONLY:
            lines.append(
                f"  {flow.name}: lookup-only, {target} cannot be created through "
                f"its API; it links to existing ones by {keys or 'its match keys'} "
                "and reports the rest as unmatched"
            )
        elif flow.target_mode is TargetMode.VALUE_KEYED:
            lines.append(
                f"  {flow.name}: one {target} per distinct value, found by "
                f"{keys or 'its match keys'}, never created"
            )
    if lines:
        lines.insert(0, "flows that create nothing, and why:")
    return lines


def demo_env(
    bootstrap: str, app_id: str, standins: Mapping[str, StandIn]
) -> dict[str, str]:
    """The environment that points ``tether status``, ``verify`` and
    ``deadletters`` at this demo: its broker, app id and stand-ins."""
    env = {"TETHER_KAFKA_BOOTSTRAP": bootstrap, "TETHER_APP_ID": app_id}
    for standin in standins.values():
        env.update(standin.connector_env())
    return env


def first_sync_from_counts(
    handled: int, total: int, started: float, now: float, first_handled: int = 0
) -> FirstSync:
    """A flow's first sync from the demo's own counts: ``handled`` of ``total``
    source records so far, ``first_handled`` of them already at ``started``."""
    remaining = max(total - handled, 0)
    elapsed = now - started
    rate = (handled - first_handled) / elapsed if elapsed > 0 else 0.0
    eta = remaining / rate if rate > 0 else None
    done = total > 0 and remaining == 0
    return FirstSync(
        done=done,
        handled=handled,
        remaining=remaining,
        rate_per_second=round(rate, 2),
        eta_seconds=0.0 if done else eta,
    )


def render_first_sync(flow: str, sync: FirstSync, width: int = 58) -> str:
    """One flow's first-sync progress as a line: count, rate, time left."""
    total = sync.handled + sync.remaining
    if sync.done:
        return f"  {flow:<{width}} {sync.handled:>6}/{total:<6} done"
    eta = "?" if sync.eta_seconds is None else f"{sync.eta_seconds:.0f} s"
    return (
        f"  {flow:<{width}} {sync.handled:>6}/{total:<6} "
        f"{sync.rate_per_second:>7.1f}/s  ETA {eta}"
    )


def source_totals(local: LocalDeployment, flows: list[Flow]) -> dict[str, int]:
    """Source records per flow, as its source's change topic holds them."""
    totals: dict[tuple[str, str], int] = {}
    out = {}
    for flow in flows:
        ref = (flow.source.system, flow.source.type)
        if ref not in totals:
            topic = local.topics.entity(*ref)
            totals[ref] = len(latest_by_key(local.read_topic(topic)))
        out[flow.name] = totals[ref]
    return out


def _value(value: Any) -> str:
    text = orjson.dumps(value).decode() if not isinstance(value, str) else value
    text = text if len(text) <= 40 else text[:37] + "..."
    return f'"{text}"' if isinstance(value, str) else text


def render_write(record: WriteRecord) -> str:
    """One write as the demo prints it, e.g. ``12:01:03 customcrm customers 17 ->
    webcrm persons 4: City "Oslo" -> "Bergen" (1.8 s after the change)``."""
    at = f"{record.written_at.astimezone(UTC):%H:%M:%S}"
    target = f"{record.system} {record.entity} {record.record_id}"
    source = " ".join(
        p for p in (record.from_system, record.from_entity, record.from_id) if p
    )
    head = f"{at} {source} -> {target}" if source else f"{at} {target}"
    if record.op is WriteOp.UPDATE:
        changes = [
            f"{name} {_value(record.before.get(name))} -> {_value(value)}"
            for name, value in record.after.items()
            if record.before.get(name) != value
        ]
        what = ", ".join(changes) or "written unchanged"
    elif record.op is WriteOp.CREATE:
        what = f"created with {len(record.after)} properties"
    else:
        what = f"{record.op.value}{f' ({record.why})' if record.why else ''}"
    if record.conflicts:
        won = ", ".join(f"{k}: {v} won" for k, v in record.conflicts.items())
        what += f"; conflict on {won}"
    if record.changed_at is not None:
        delay = (record.written_at - record.changed_at).total_seconds()
        what += f" ({delay:.1f} s after the change)"
    return f"{head}: {what}"


def follow_writes(
    local: LocalDeployment, since: dict[int, int]
) -> tuple[list[str], dict[int, int]]:
    """The writes recorded on ``{app}.writes`` after ``since``, as lines (in time
    order), and where to go on next time."""
    messages, following = local.read_topic_since(local.topics.writes, since)
    records = []
    for _, value in messages:
        try:
            records.append(WriteRecord.model_validate(value))
        except ValidationError:
            continue  # not a write record: anyone may publish to a topic
    records.sort(key=lambda r: r.written_at)
    return [render_write(r) for r in records], following
