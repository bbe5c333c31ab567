"""Every check of a run in one place, and the phase figures they add up to.

The chaos run uses it against a deployment's broker; the harness self-test
(``test_harness``) uses the same object against a recorded topic state, so
what the self-test proves of the checks holds for the run.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from tests.integration.chaos.figures import MUST_BE_ZERO, PhaseFigures
from tests.integration.chaos.invariants import (
    Topics,
    Verdict,
    check_systems,
    check_topics,
)
from tests.integration.chaos.model import Expected
from tests.integration.chaos.observe import ObservedCustomcrm, ObservedWebcrm
from tests.integration.chaos.storm import Storm
from tests.integration.chaos.writes import check_writes


class Checker:
    """The invariants over a run's stand-ins, its topics and its storm."""

    def __init__(
        self,
        webcrm: ObservedWebcrm,
        customcrm: ObservedCustomcrm,
        topics: Topics,
        expected: Expected,
        storm: Storm,
    ) -> None:
        self.webcrm = webcrm
        self.customcrm = customcrm
        self.topics = topics
        self.expected = expected
        self.storm = storm

    def systems(self) -> Verdict:
        """Counterparts, equal properties, winning edits, nothing gone."""
        return check_systems(self.webcrm, self.customcrm, self.expected)

    def links_and_letters(self) -> Verdict:
        """One link per source to its counterpart; exactly the bad inputs'
        dead letters."""
        return check_topics(self.topics, self.webcrm, self.customcrm, self.expected)

    def writes(self, since: float) -> Verdict:
        """Echoes and deletes among the writes since ``since`` (call it after
        ``systems``, which learns the counterparts it must watch)."""
        logs = {s.system: s.calls for s in (self.webcrm, self.customcrm)}
        return check_writes(logs, self.storm.ownership(), self.expected, since)

    def everything(self, since: float) -> Verdict:
        """All of the checks at once, in the order they depend on."""
        systems = self.systems()
        return systems | self.links_and_letters() | self.writes(since)

    def figures(
        self, name: str, started: float, verdict: Verdict, note: str = ""
    ) -> PhaseFigures:
        """A phase's figures: ``verdict``'s counts and the writes since ``started``."""
        counts = {invariant: verdict.counts[invariant] for invariant in MUST_BE_ZERO}
        return PhaseFigures(
            name=name,
            seconds=time.time() - started,
            writes_webcrm=len(self.webcrm.calls.applied("PUT", started)),
            writes_customcrm=len(self.customcrm.calls.applied("PUT", started)),
            creates=len(self.customcrm.calls.applied("POST", started)),
            note=note,
            **counts,
        )


def assert_guarantees(
    phase: PhaseFigures, problems: list[str], context: Callable[[], str] = str
) -> None:
    """Every must-be-zero count of ``phase`` is zero; else show what broke."""
    counts = {name: getattr(phase, name) for name in MUST_BE_ZERO}
    shown = "\n".join(problems[:40])
    assert counts == dict.fromkeys(MUST_BE_ZERO, 0), (
        f"{phase.name}: {counts}\n{shown}\n{context()}"
    )
