"""The checklist comparison: every link's mapped properties, as the engine sees them.

Plain functions over in-memory data (links, listings, reports). Values go
through ``engine.mapping`` exactly as the flow handler's do, so a property is
reported only when the engine itself would see a difference.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from connectors.errors import CoercionError
from engine import mapping
from ops.readback import each_readable, id_order
from ops.verify.findings import Finding, FlowCheck, Kind, Listing
from schemas.dataflow import Flow, PropertyRow, TargetMode
from schemas.envelope import ChangeEvent, FlowReport, Operation
from schemas.links import Link
from schemas.paths import get_value

LinkPairs = Sequence[tuple[str, str]]
"""A flow's links as (source id, target id) pairs."""

_REPORT_KINDS = {
    "ambiguous-match": Kind.AMBIGUOUS,
    "unmatched": Kind.UNMATCHED,
    "unmatchable": Kind.UNMATCHED,  # no natural key to look for a target by
    "unlinked": Kind.LINK_REMOVED,
    "target-deleted": Kind.LINK_REMOVED,  # a create answered with a deleted record
}


def links_from_table(flow: str, rows: Mapping[str, Any]) -> list[tuple[str, str]]:
    """A flow's current links from its link table (the latest row per source id).

    The table, read from its changelog, is what the flow itself believes; link
    notices are only announcements of it, and anyone may write one (DESIGN.md
    rule 16). A value-keyed source links to each distinct target of its values;
    a tombstone (a deleted target remembered, rule 17) is no link.
    """
    pairs: set[tuple[str, str]] = set()
    for _, link in each_readable(Link, rows, f"{flow} link of"):
        if link.flow != flow or link.tombstone:
            continue
        targets = set(link.value_targets.values()) or {link.target_id}
        pairs.update((link.source_id, target) for target in targets)
    return sorted(pairs, key=lambda p: (id_order(p[0]), id_order(p[1])))


def reports_by_flow(latest: Mapping[str, Any]) -> dict[str, dict[str, FlowReport]]:
    """The reports topic compacted per key (``flow/source id``), grouped by flow."""
    grouped: dict[str, dict[str, FlowReport]] = {}
    for _, report in each_readable(FlowReport, latest, "flow report"):
        grouped.setdefault(report.flow, {})[report.source_id] = report
    return grouped


def make_resolver(links: Mapping[str, LinkPairs]) -> mapping.Resolver:
    """The engine's reference resolver, over the links read from the topics."""
    forward = {flow: dict(pairs) for flow, pairs in links.items()}

    def resolve(flow: str, source_id: str) -> str | None:
        return forward.get(flow, {}).get(source_id)

    return resolve


def check_flow(
    flow: Flow,
    links: LinkPairs,
    source: Listing,
    target: Listing,
    resolve: mapping.Resolver,
    reports: Mapping[str, FlowReport] | None = None,
) -> FlowCheck:
    """Everything about ``flow`` that is not as its definition says.

    ``links`` are the flow's current (source id, target id) pairs; ``reports``
    the latest report per source id. Deleted source entities need no link.
    """
    findings: list[Finding] = []
    for source_id, target_id in links:
        findings.extend(check_link(flow, source_id, target_id, source, target, resolve))
    findings.extend(_unlinked(flow, links, source, reports or {}))
    return FlowCheck(
        flow=flow.name,
        links=len(links),
        sources=_live(source.events.values()),
        targets=_live(target.events.values()),
        findings=findings,
    )


def check_link(
    flow: Flow,
    source_id: str,
    target_id: str,
    source: Listing,
    target: Listing,
    resolve: mapping.Resolver,
) -> list[Finding]:
    """The findings of one link: a vanished side, or its differing properties."""

    def at(kind: Kind, **fields: Any) -> Finding:
        return Finding(kind, flow.name, source_id, target_id, **fields)

    gone = [
        at(kind, detail=detail)
        for kind, detail in (
            _side(source, source_id, "source"),
            _side(target, target_id, "target"),
        )
        if kind is not None
    ]
    if gone:
        return gone
    source_data = source.events[source_id].data
    target_data = target.events[target_id].data
    found: list[Finding] = []
    pairs: list[tuple[PropertyRow, Any, Any]] = []
    for row in flow.properties:
        key = mapping.row_key(row)
        # One row at a time, so a value that cannot be coerced names its property.
        single = flow.model_copy(update={"properties": [row]})
        try:
            source_value = mapping.project_source(single, source_data, resolve)[key]
            target_value = mapping.project_target(single, target_data)[key]
        except CoercionError as exc:
            found.append(at(Kind.INVALID, property=key, detail=str(exc)))
            continue
        pairs.append((row, source_value, target_value))
    if flow.target_mode is TargetMode.VALUE_KEYED:
        return found + _value_keyed(flow, pairs, at)
    for row, source_value, target_value in pairs:
        if source_value == target_value:
            continue
        detail = ""
        if row.references and source_value is None:
            raw = get_value(source_data, row.source)
            detail = f"{row.source}={raw} has no link in {row.references}"
        found.append(_difference(at, row, source_value, target_value, detail))
    return found


def _difference(
    at: Callable[..., Finding],
    row: PropertyRow,
    source_value: Any,
    target_value: Any,
    detail: str,
) -> Finding:
    return at(
        Kind.DIFFERENCE,
        property=mapping.row_key(row),
        source_value=source_value,
        target_value=target_value,
        detail=detail,
    )


_GONE = {
    "source": (Kind.SOURCE_MISSING, Kind.SOURCE_DELETED),
    "target": (Kind.TARGET_MISSING, Kind.TARGET_DELETED),
}


def _side(listing: Listing, entity_id: str, side: str) -> tuple[Kind | None, str]:
    missing, deleted = _GONE[side]
    event = listing.events.get(entity_id)
    if event is None:
        reason = listing.invalid.get(entity_id)
        if reason is not None:
            return Kind.INVALID, f"{side}: {reason}"
        return missing, f"{side} entity {entity_id} no longer exists"
    if event.op is Operation.DELETE:
        return deleted, f"{side} entity {entity_id} is deleted"
    return None, ""


def _value_keyed(
    flow: Flow,
    pairs: Iterable[tuple[PropertyRow, Any, Any]],
    at: Callable[..., Finding],
) -> list[Finding]:
    """A value-keyed link is right when any of its rows names the linked target.

    A company whose post and visit countries differ links to two countries,
    each matching one row; values compare as the flow's match keys normalise them.
    """
    misses = []
    for row, source_value, target_value in pairs:
        if mapping.is_empty(source_value):
            continue
        how = next(
            (
                key.normalize
                for key in flow.match_keys
                if (key.source, key.target) == (row.source, row.target)
            ),
            "text",
        )
        if mapping.normalize_key(source_value, how) == mapping.normalize_key(
            target_value, how
        ):
            return []
        detail = f"compared as {how}"
        misses.append(_difference(at, row, source_value, target_value, detail))
    return misses


def _unlinked(
    flow: Flow, links: LinkPairs, source: Listing, reports: Mapping[str, FlowReport]
) -> list[Finding]:
    linked = {source_id for source_id, _ in links}
    found = []
    for source_id in sorted(source.events, key=id_order):
        if source_id in linked or source.events[source_id].op is Operation.DELETE:
            continue
        report = reports.get(source_id)
        if report is None:
            found.append(Finding(Kind.NO_LINK, flow.name, source_id))
            continue
        found.append(
            Finding(
                _REPORT_KINDS.get(report.kind, Kind.NO_LINK),
                flow.name,
                source_id,
                detail=report.detail,
                candidates=tuple(report.candidates),
            )
        )
    for source_id in sorted(source.invalid, key=id_order):
        if source_id not in linked:
            detail = f"source: {source.invalid[source_id]}"
            found.append(Finding(Kind.INVALID, flow.name, source_id, detail=detail))
    return found


def _live(events: Iterable[ChangeEvent]) -> int:
    return sum(1 for event in events if event.op is not Operation.DELETE)
