"""The guarantees, checked against the systems themselves and tether's topics.

After every fault: each source entity has exactly one counterpart, every mapped
property is equal on both sides (compared as the engine compares, through the
flow mapping), the last edit of each property won, and the dead letters hold
exactly the bad inputs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from dataflows import flows_by_name, load_documents
from devkit.local import LocalDeployment
from engine import mapping
from schemas.dataflow import Flow
from standins import CustomcrmStandIn, WebcrmStandIn
from tests.integration.chaos.model import KINDS, ORG, Edit, Expected, Kind
from tests.integration.scenario import links

FLOWS: dict[str, Flow] = flows_by_name(load_documents())


@dataclass
class Verdict:
    """Problems found, and the counts the closing figures report."""

    problems: list[str] = field(default_factory=list)
    lost_updates: int = 0
    duplicates: int = 0
    missing: int = 0
    unequal: int = 0
    unexplained: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: str) -> None:
        self.problems.append(problem)


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
        for kind in KINDS:
            self.webcrm[kind] = {
                r[kind.webcrm_id]: r
                for r in webcrm.records(kind.webcrm)
                if isinstance(r.get(kind.webcrm_id), int)
                and f"webcrm/{kind.webcrm}/{r[kind.webcrm_id]}" not in skip
            }
            index: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for record in customcrm.records(kind.customcrm):
                bad = f"customcrm/{kind.customcrm_entity}/{record.get('Id')}" in skip
                if not bad and not record.get("Deleted"):
                    index[natural_key(kind, record.get(kind.customcrm_key))].append(
                        record
                    )
            self.customcrm[kind] = index

    def counterparts(self, kind: Kind, webcrm_id: int) -> list[dict[str, Any]]:
        """The live Customcrm records with the Webcrm record's natural key."""
        record = self.webcrm[kind][webcrm_id]
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


def check_systems(
    webcrm: WebcrmStandIn, customcrm: CustomcrmStandIn, expected: Expected
) -> Verdict:
    """Counterparts, equal mapped properties and winning edits, from the systems."""
    verdict = Verdict()
    pairs = Pairs(webcrm, customcrm, expected.bad_inputs)
    for kind in KINDS:
        flow = FLOWS[kind.flow]
        keys = {
            natural_key(kind, r.get(kind.webcrm_key))
            for r in pairs.webcrm[kind].values()
        }
        for key, records in pairs.customcrm[kind].items():
            if key not in keys:
                verdict.duplicates += len(records)
                verdict.add(f"{kind.customcrm} {key!r}: no Webcrm source")
        for webcrm_id, record in pairs.webcrm[kind].items():
            found = pairs.counterparts(kind, webcrm_id)
            if not found:
                verdict.missing += 1
                verdict.add(f"{kind.webcrm} {webcrm_id}: no counterpart")
                continue
            if len(found) > 1:
                verdict.duplicates += len(found) - 1
                ids = [r["Id"] for r in found]
                verdict.add(
                    f"{kind.webcrm} {webcrm_id}: {len(found)} counterparts {ids}"
                )
            source = mapping.project_source(flow, record, pairs.resolver)
            target = mapping.project_target(flow, found[0])
            for name in sorted(k for k in source if source[k] != target.get(k)):
                verdict.unequal += 1
                verdict.add(
                    f"{kind.webcrm} {webcrm_id} {name}: "
                    f"{source[name]!r} != {target.get(name)!r}"
                )
    for edit in expected.winners().values():
        _check_winner(edit, pairs, verdict)
    return verdict


def _check_winner(edit: Edit, pairs: Pairs, verdict: Verdict) -> None:
    kind, prop = edit.kind, edit.prop
    record = pairs.webcrm[kind].get(edit.webcrm_id)
    counterpart = pairs.customcrm_id(kind, edit.webcrm_id)
    if record is None or counterpart is None:
        return  # reported as missing or duplicated already
    target = next(
        r for r in pairs.counterparts(kind, edit.webcrm_id) if r["Id"] == counterpart
    )
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
        verdict.lost_updates += 1
        verdict.add(
            f"lost update: {kind.webcrm} {edit.webcrm_id} {prop.webcrm} should be "
            f"{edit.value!r} ({edit.side} at {edit.at:%H:%M:%S.%f}), is {got!r}"
        )


def check_topics(
    local: LocalDeployment,
    webcrm: WebcrmStandIn,
    customcrm: CustomcrmStandIn,
    expected: Expected,
) -> Verdict:
    """One link per source entity, to its counterpart; the exact dead letters."""
    verdict = Verdict()
    pairs = Pairs(webcrm, customcrm, expected.bad_inputs)
    for kind in KINDS:
        linked = links(local, kind.flow)
        targets = list(linked.values())
        if len(set(targets)) != len(targets):
            verdict.duplicates += len(targets) - len(set(targets))
            verdict.add(f"{kind.flow}: a target is linked to two sources")
        for webcrm_id in pairs.webcrm[kind]:
            want = pairs.customcrm_id(kind, webcrm_id)
            got = linked.get(str(webcrm_id))
            if got is None:
                verdict.missing += 1
                verdict.add(f"{kind.flow}: {webcrm_id} has no link")
            elif got != want:
                verdict.add(f"{kind.flow}: {webcrm_id} linked to {got}, not {want}")
    letters = dead_letter_keys(local)
    for key in sorted(letters - expected.bad_inputs):
        verdict.unexplained += 1
        verdict.add(f"unexplained dead letter {key}")
    for key in sorted(expected.bad_inputs - letters):
        verdict.add(f"bad input never dead-lettered: {key}")
    return verdict


def dead_letter_keys(local: LocalDeployment) -> set[str]:
    """The distinct records (``system/type/id``) on the dead-letter topic (its keys
    add ``#cause``)."""
    return {
        k.partition("#")[0]
        for k, _ in local.read_topic(local.topics.deadletters)
        if k is not None
    }
