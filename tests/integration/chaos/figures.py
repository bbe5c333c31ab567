"""The closing figures of a chaos run: what was done to tether and what it kept."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

FIGURES = pytest.StashKey[list[str]]()
"""The closing figures of this session's runs, for the terminal summary."""

# The counts that must end at zero for the run to pass. Every problem a check
# finds is counted under one of them (``invariants.Verdict.fail``): a check that
# only describes a problem cannot exist.
MUST_BE_ZERO = (
    "lost_updates",
    "duplicates",
    "echo_writes",
    "unexplained_dead_letters",
    "swallowed_dead_letters",
    "missing_counterparts",
    "wrong_links",
    "unrecorded_links",
    "deleted_records",
    "unequal_properties",
)


@dataclass
class PhaseFigures:
    """One phase: its fault, how long it took, and its invariant counts."""

    name: str
    seconds: float = 0.0
    lost_updates: int = 0
    duplicates: int = 0
    echo_writes: int = 0
    unexplained_dead_letters: int = 0
    swallowed_dead_letters: int = 0
    missing_counterparts: int = 0
    wrong_links: int = 0
    unrecorded_links: int = 0
    deleted_records: int = 0
    unequal_properties: int = 0
    writes_webcrm: int = 0
    writes_customcrm: int = 0
    creates: int = 0
    note: str = ""


@dataclass
class Figures:
    """Everything a chaos run reports at the end."""

    profile: str
    started: float = field(default_factory=time.monotonic)
    crashes_survived: int = 0
    broker_restarts: int = 0
    rebalances: int = 0
    replays: int = 0
    state_wipes: int = 0
    link_topic_losses: int = 0
    faults_injected: Counter[str] = field(default_factory=Counter)
    entities: int = 0
    edits: int = 0
    conflicts: int = 0
    bad_inputs: int = 0
    retried_no_op_writes: int = 0
    phases: list[PhaseFigures] = field(default_factory=list)

    def totals(self) -> dict[str, int]:
        """The must-be-zero counts summed over the phases."""
        return {
            name: sum(getattr(p, name) for p in self.phases) for name in MUST_BE_ZERO
        }

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("started")
        data["faults_injected"] = dict(sorted(self.faults_injected.items()))
        data["totals"] = self.totals()
        data["seconds"] = round(time.monotonic() - self.started, 1)
        return data

    def lines(self) -> list[str]:
        """A summary line per invariant and per fault kind."""
        data = self.as_dict()
        out = [f"chaos run ({self.profile}) in {data['seconds']}s"]
        for name in (
            "crashes_survived",
            "broker_restarts",
            "rebalances",
            "replays",
            "state_wipes",
            "link_topic_losses",
        ):
            out.append(f"  fault {name}: {data[name]}")
        for kind, count in data["faults_injected"].items():
            out.append(f"  fault injected {kind}: {count}")
        for name in ("entities", "edits", "conflicts", "bad_inputs"):
            out.append(f"  processed {name}: {data[name]}")
        out.append(f"  no-op writes that were retries: {self.retried_no_op_writes}")
        for name, count in data["totals"].items():
            verdict = "ok" if count == 0 else "FAIL"
            out.append(f"  invariant {name}: {count} ({verdict})")
        for phase in self.phases:
            out.append(
                f"  phase {phase.name}: {phase.seconds:.1f}s, writes "
                f"webcrm={phase.writes_webcrm} customcrm={phase.writes_customcrm} "
                f"creates={phase.creates} {phase.note}".rstrip()
            )
        return out

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.as_dict(), indent=2), "utf-8")
