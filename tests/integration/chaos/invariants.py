"""The guarantees, checked against the systems themselves and tether's topics.

After every fault: each source entity has exactly one counterpart and one link
to it, every mapped property is equal on both sides (compared as the engine
compares, through the flow mapping), the last edit of each property won, no
record went away, and the dead letters hold exactly the bad inputs. Every
problem found is counted under one of the must-be-zero figures
(``Verdict.fail``), so each one fails the run. The writes themselves are
checked in ``writes``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from dataflows import flows_by_name, load_documents
from devkit.local import LocalDeployment, latest_by_key
from engine import mapping
from engine.badinput import letter_key
from schemas.dataflow import Flow
from standins import CustomcrmStandIn, WebcrmStandIn
from tests.integration.chaos.figures import MUST_BE_ZERO
from tests.integration.chaos.model import KINDS, ORG, Edit, Expected, Kind

FLOWS: dict[str, Flow] = flows_by_name(load_documents())
Messages = list[tuple[str | None, Any]]


@dataclass
class Verdict:
    """Problems found, each counted under the must-be-zero figure it breaks."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    retries: int = 0  # no-op writes that repeated a write whose answer was lost

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, invariant: str, problem: str, count: int = 1) -> None:
        """Count a problem under ``invariant`` (one of ``MUST_BE_ZERO``)."""
        if invariant not in MUST_BE_ZERO:
            msg = f"{invariant!r} is not a must-be-zero figure: {MUST_BE_ZERO}"
            raise ValueError(msg)
        self.counts[invariant] += count
        self.problems.append(f"{invariant}: {problem}")

    def __or__(self, other: Verdict) -> Verdict:
        return Verdict(
            self.counts + other.counts,
            self.problems + other.problems,
            self.retries + other.retries,
        )


def natural_key(kind: Kind, value: Any) -> str:
    """A natural key normalised as the flow's matching does."""
    how = FLOWS[kind.flow].match_keys[0].normalize
    return mapping.normalize_key(value, how)


class Pairs:
    """Webcrm records and their Customcrm counterparts, paired by natural key."""

    def __init__(
        self, webcrm: WebcrmStandIn, customcrm: CustomcrmStandIn, skip: set[str]
    ) -> None:
        self.webcrm: dict[Kind, dict[int, dict[str, Any]]] = {}
        self.customcrm: dict[Kind, dict[str, list[dict[str, Any]]]] = {}
        # Every Customcrm record by id, soft-deleted ones too.
        self.customcrm_ids: dict[Kind, dict[str, dict[str, Any]]] = {}
        for kind in KINDS:
            self.webcrm[kind] = {
                r[kind.webcrm_id]: r
                for r in webcrm.records(kind.webcrm)
                if isinstance(r.get(kind.webcrm_id), int)
                and f"webcrm/{kind.webcrm}/{r[kind.webcrm_id]}" not in skip
            }
            index: dict[str, list[dict[str, Any]]] = defaultdict(list)
            every: dict[str, dict[str, Any]] = {}
            for record in customcrm.records(kind.customcrm):
                if not isinstance(record, dict):
                    continue
                every[str(record.get("Id"))] = record
                bad = f"customcrm/{kind.customcrm_entity}/{record.get('Id')}" in skip
                if not bad and not record.get("Deleted"):
                    index[natural_key(kind, record.get(kind.customcrm_key))].append(
                        record
                    )
            self.customcrm[kind] = index
            self.customcrm_ids[kind] = every

    def counterparts(self, kind: Kind, webcrm_id: int) -> list[dict[str, Any]]:
        """The live Customcrm records with the Webcrm record's natural key."""
        record = self.webcrm[kind].get(webcrm_id)
        if record is None:
            return []  # gone (reported as such), or a bad input
        return self.customcrm[kind].get(
            natural_key(kind, record.get(kind.webcrm_key)), []
        )

    def customcrm_id(self, kind: Kind, webcrm_id: int) -> str | None:
        """The one counterpart's id, or None."""
        found = self.counterparts(kind, webcrm_id)
        return found[0]["Id"] if len(found) == 1 else None

    def resolver(self, flow: str, ref: str) -> str | None:
        """Resolve a Webcrm org id to its customer, as the engine's links do."""
        return self.customcrm_id(ORG, int(ref)) if ref.isdigit() else None


def remember_sources(expected: Expected, data: dict[str, list[dict[str, Any]]]) -> None:
    """Record the good Webcrm records a run seeded: each must stay to the end."""
    for kind in KINDS:
        known = expected.sources.setdefault(kind, {})
        for record in data.get(kind.webcrm, []):
            known[record[kind.webcrm_id]] = natural_key(kind, record[kind.webcrm_key])


def check_systems(
    webcrm: WebcrmStandIn, customcrm: CustomcrmStandIn, expected: Expected
) -> Verdict:
    """Counterparts, equal mapped properties, winning edits and no record gone,
    from the systems."""
    verdict = Verdict()
    pairs = Pairs(webcrm, customcrm, expected.bad_inputs)
    for kind in KINDS:
        _check_gone(kind, pairs, expected, verdict)
        _check_counterparts(kind, pairs, expected, verdict)
        _remember_targets(kind, pairs, expected)
    for edit in expected.winners().values():
        _check_winner(edit, pairs, verdict)
    return verdict


def _check_gone(kind: Kind, pairs: Pairs, expected: Expected, verdict: Verdict) -> None:
    """A seeded source or a known counterpart that is gone or soft-deleted.

    Nothing in a run deletes (the flows' delete policy is ``unlink``, and the
    storm only edits), so whoever removed it, it is a failure.
    """
    for webcrm_id in sorted(expected.sources.get(kind, {})):
        if webcrm_id not in pairs.webcrm[kind]:
            verdict.fail("deleted_records", f"webcrm {kind.webcrm} {webcrm_id} is gone")
    for customcrm_id in sorted(expected.targets.get(kind, set())):
        record = pairs.customcrm_ids[kind].get(customcrm_id)
        if record is None or record.get("Deleted"):
            state = "gone" if record is None else "deleted"
            verdict.fail(
                "deleted_records",
                f"customcrm {kind.customcrm} {customcrm_id} is {state} "
                "(it was the counterpart of a source)",
            )


def _check_counterparts(
    kind: Kind, pairs: Pairs, expected: Expected, verdict: Verdict
) -> None:
    flow = FLOWS[kind.flow]
    # A gone source's counterpart is reported with the source, not as a duplicate.
    keys = set(expected.sources.get(kind, {}).values()) | {
        natural_key(kind, r.get(kind.webcrm_key)) for r in pairs.webcrm[kind].values()
    }
    for key, records in pairs.customcrm[kind].items():
        if key not in keys:
            ids = [r["Id"] for r in records]
            verdict.fail(
                "duplicates",
                f"{kind.customcrm} {key!r}: no Webcrm source for {ids}",
                len(records),
            )
    for webcrm_id, record in pairs.webcrm[kind].items():
        found = pairs.counterparts(kind, webcrm_id)
        if not found:
            verdict.fail("missing_counterparts", f"{kind.webcrm} {webcrm_id}")
            continue
        if len(found) > 1:
            ids = [r["Id"] for r in found]
            verdict.fail(
                "duplicates",
                f"{kind.webcrm} {webcrm_id}: {len(found)} counterparts {ids}",
                len(found) - 1,
            )
            continue
        source = mapping.project_source(flow, record, pairs.resolver)
        target = mapping.project_target(flow, found[0])
        for name in sorted(k for k in source if source[k] != target.get(k)):
            verdict.fail(
                "unequal_properties",
                f"{kind.webcrm} {webcrm_id} {name}: "
                f"{source[name]!r} != {target.get(name)!r}",
            )


def _remember_targets(kind: Kind, pairs: Pairs, expected: Expected) -> None:
    known = expected.targets.setdefault(kind, set())
    for webcrm_id in pairs.webcrm[kind]:
        found = pairs.customcrm_id(kind, webcrm_id)
        if found is not None:
            known.add(found)


def _check_winner(edit: Edit, pairs: Pairs, verdict: Verdict) -> None:
    kind, prop = edit.kind, edit.prop
    record = pairs.webcrm[kind].get(edit.webcrm_id)
    counterpart = pairs.customcrm_id(kind, edit.webcrm_id)
    if record is None or counterpart is None:
        return  # reported as gone, missing or duplicated already
    target = pairs.customcrm_ids[kind][counterpart]
    want_customcrm = edit.value
    if prop.style == "org":
        want_customcrm = pairs.customcrm_id(ORG, edit.value)
    got = (record.get(prop.webcrm), target.get(prop.customcrm))
    if prop.style == "price":
        good = all(
            isinstance(v, int | float) and abs(v - edit.value) < 1e-6 for v in got
        )
    else:
        good = got == (edit.value, want_customcrm)
    if not good:
        verdict.fail(
            "lost_updates",
            f"{kind.webcrm} {edit.webcrm_id} {prop.webcrm} should be "
            f"{edit.value!r} ({edit.side} at {edit.at:%H:%M:%S.%f}), is {got!r}",
        )


class Topics(Protocol):
    """Where the topic checks read: a deployment's broker, or a recorded state."""

    def links(self, flow: str) -> Messages:
        """Every link notice of ``flow`` in order (keyed by target id)."""
        ...

    def dead_letters(self) -> Messages:
        """Every dead letter still outstanding: not closed by a marker (healed
        when its record went through since, or re-driven)."""
        ...

    def link_rows(self, flow: str) -> dict[str, Any]:
        """The rows of ``flow``'s link table as a worker without local state
        rebuilds it (from its changelog), keyed by source id."""
        ...


@dataclass(frozen=True)
class DeployedTopics:
    """The topics of a running deployment, read from its broker."""

    local: LocalDeployment

    def links(self, flow: str) -> Messages:
        return self.local.read_topic(self.local.topics.links(flow))

    def dead_letters(self) -> Messages:
        names = self.local.topics
        letters = self.local.read_topic(names.deadletters)
        return outstanding(letters, self.local.read_topic(names.redriven))

    def link_rows(self, flow: str) -> dict[str, Any]:
        changelog = self.local.topics.links_changelog(flow)
        rows = latest_by_key(self.local.read_topic(changelog))
        # By the source id the row holds: faust JSON-encodes the table's keys.
        return {
            str(row["source_id"]): row
            for row in rows.values()
            if isinstance(row, dict) and "source_id" in row
        }


def outstanding(letters: Messages, markers: Messages) -> Messages:
    """The latest letter per key that no marker at least as new closes."""
    closed = {
        key: str(value["letter_failed_at"])
        for key, value in markers
        if key is not None and isinstance(value, dict) and "letter_failed_at" in value
    }
    latest = {key: value for key, value in letters if key is not None}
    return [
        (key, value)
        for key, value in latest.items()
        if not (
            isinstance(value, dict)
            and key in closed
            and _instant(closed[key]) >= _instant(str(value.get("failed_at")))
        )
    ]


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)


def linked_targets(notices: Messages) -> dict[str, list[str]]:
    """Source id -> every target it is linked to now.

    Notices are keyed by target id, so the current state is the last notice per
    target; grouped by source, a source linked twice shows as two targets
    (reading them as source -> target would keep only one of the two).
    """
    out: dict[str, list[str]] = defaultdict(list)
    for target, notice in sorted(latest_by_key(notices).items()):
        if notice.get("op") == "link":
            out[str(notice["source_id"])].append(target)
    return dict(out)


def check_topics(
    topics: Topics,
    webcrm: WebcrmStandIn,
    customcrm: CustomcrmStandIn,
    expected: Expected,
) -> Verdict:
    """One link per source entity, to its counterpart; the exact dead letters."""
    verdict = Verdict()
    pairs = Pairs(webcrm, customcrm, expected.bad_inputs)
    for kind in KINDS:
        linked = linked_targets(topics.links(kind.flow))
        _check_links(kind, linked, pairs, expected, verdict)
        _check_link_rows(kind, linked, topics.link_rows(kind.flow), verdict)
    _check_dead_letters(topics.dead_letters(), expected, verdict)
    return verdict


def _check_links(
    kind: Kind,
    linked: dict[str, list[str]],
    pairs: Pairs,
    expected: Expected,
    verdict: Verdict,
) -> None:
    known = {str(i) for i in expected.sources.get(kind, {})}
    for source_id, targets in sorted(linked.items()):
        if len(targets) > 1:
            verdict.fail(
                "duplicates",
                f"{kind.flow}: {source_id} is linked to {len(targets)} targets "
                f"{targets}",
                len(targets) - 1,
            )
        is_source = source_id.isdigit() and int(source_id) in pairs.webcrm[kind]
        if not is_source and source_id not in known:
            verdict.fail(
                "wrong_links",
                f"{kind.flow}: {source_id} is no source, but linked to {targets}",
            )
    for webcrm_id in pairs.webcrm[kind]:
        want = pairs.customcrm_id(kind, webcrm_id)
        got = linked.get(str(webcrm_id), [])
        if not got:
            verdict.fail(
                "missing_counterparts", f"{kind.flow}: {webcrm_id} has no link"
            )
        elif want is not None and want not in got:
            verdict.fail(
                "wrong_links",
                f"{kind.flow}: {webcrm_id} linked to {got}, not {want}",
            )


def _check_link_rows(
    kind: Kind, linked: dict[str, list[str]], rows: dict[str, Any], verdict: Verdict
) -> None:
    """Every announced link is in the link table a new worker would rebuild.

    A link only in one worker's local database (its changelog write lost in a
    crash) is invisible to every other worker: a rebalance hands the entity to
    one that drops its target-side changes as unlinked.
    """
    for source_id, targets in sorted(linked.items()):
        row = rows.get(source_id)
        recorded = row.get("target_id") if isinstance(row, dict) else None
        if recorded not in targets:
            verdict.fail(
                "unrecorded_links",
                f"{kind.flow}: {source_id} is announced linked to {targets}, "
                f"its link table row says {recorded!r}",
            )


def letter_identity(key: str | None, value: Any) -> str | None:
    """``system/type/id`` of a dead letter, from what it says (else its key)."""
    if isinstance(value, dict) and all(
        isinstance(value.get(f), str) for f in ("system", "entity", "record_id")
    ):
        return letter_key(value["system"], value["entity"], value["record_id"])
    return key


def _check_dead_letters(
    messages: Messages, expected: Expected, verdict: Verdict
) -> None:
    letters: dict[str, str] = {}
    for key, value in messages:
        if value is not None and (found := letter_identity(key, value)) is not None:
            letters[found] = _letter_summary(value)
    for key in sorted(letters.keys() - expected.bad_inputs):
        verdict.fail("unexplained_dead_letters", f"{key}: {letters[key]}")
    for key in sorted(expected.bad_inputs - letters.keys()):
        verdict.fail("swallowed_dead_letters", f"{key} was never dead-lettered")


def _letter_summary(value: Any) -> str:
    """What a dead letter says went wrong, for a failing check's message."""
    if not isinstance(value, dict):
        return repr(value)[:200]
    said = (value.get(f) for f in ("flow", "stage", "error_type", "reason"))
    return " / ".join(str(part) for part in said if part is not None)[:400]
