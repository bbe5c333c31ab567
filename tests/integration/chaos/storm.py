"""A storm of user edits on both sides, drawn from a seeded RNG.

The storm is shaped so that "the last edit by modification time wins" is exactly
what DESIGN.md's rules decide, whatever the engine's timing:

- Between two convergence points (a phase), each entity is edited on one side
  only (its owner for that phase). A property then never has pending edits on
  both sides by accident, and a user never edits a record while tether writes
  the other side's change to it (Webcrm's PUT replaces the whole record, so that
  race is the API's, not tether's).
- Conflicts are made on purpose, while no worker runs: one side edits a
  property, more than the tie window later the other side edits the same one,
  and that entity is left alone until the phase converges. The later edit must
  win, through the conflict rule (rule 5).

Because of that, tether has no business writing to an entity's owner side in
a phase: ``ownership`` tells the write checks where that would be an echo.
"""

from __future__ import annotations

import random
import time
from typing import Any

from standins import CustomcrmStandIn, WebcrmStandIn
from tests.integration.chaos.invariants import Pairs
from tests.integration.chaos.model import (
    KINDS,
    ORG,
    PROPS,
    Edit,
    Expected,
    Kind,
    Prop,
    system_time,
)
from tests.integration.chaos.writes import Ownership

SIDES = ("webcrm", "customcrm")
# More than the worker's one-second tie window, on the systems' own clocks.
CONFLICT_GAP = 1.3


class Storm:
    """Makes edits in both stand-ins and records them in ``expected``."""

    def __init__(
        self,
        rng: random.Random,
        webcrm: WebcrmStandIn,
        customcrm: CustomcrmStandIn,
        expected: Expected,
    ) -> None:
        self.rng = rng
        self.webcrm = webcrm
        self.customcrm = customcrm
        self.expected = expected
        self.count = 0
        self.owner: dict[tuple[Kind, int], str] = {}
        self.frozen: set[tuple[Kind, int]] = set()
        self.pairs: Pairs | None = None

    def new_phase(self) -> None:
        """Call at a convergence point: new owners, nothing frozen."""
        self.pairs = Pairs(self.webcrm, self.customcrm, self.expected.bad_inputs)
        self.owner = {
            (kind, webcrm_id): self.rng.choice(SIDES)
            for kind in KINDS
            for webcrm_id in sorted(self.pairs.webcrm[kind])
        }
        self.frozen = set()

    def ownership(self) -> Ownership:
        """Each record of this phase's unfrozen entities -> its owner's side."""
        sides: dict[tuple[str, str, Any], str] = {}
        for (kind, webcrm_id), side in self.owner.items():
            if (kind, webcrm_id) in self.frozen or self.pairs is None:
                continue
            sides[("webcrm", kind.webcrm, webcrm_id)] = side
            target = self.pairs.customcrm_id(kind, webcrm_id)
            if target is not None:
                sides[("customcrm", kind.customcrm, target)] = side
        return Ownership(sides)

    def _entities(self) -> list[tuple[Kind, int]]:
        return [e for e in self.owner if e not in self.frozen]

    def _value(self, prop: Prop) -> Any:
        self.count += 1
        n = self.count
        if prop.style == "price":
            return float(100 + n) + 0.5
        if prop.style == "phone":
            return f"+47 {40_000_000 + n}"
        if prop.style == "org":
            assert self.pairs is not None
            return self.rng.choice(sorted(self.pairs.webcrm[ORG]))
        return f"{prop.customcrm} {n}"

    def _apply(
        self, side: str, kind: Kind, webcrm_id: int, prop: Prop, value: Any
    ) -> Edit:
        assert self.pairs is not None
        if side == "webcrm":
            record = self.webcrm.edit(kind.webcrm, webcrm_id, {prop.webcrm: value})
            at = system_time(record, kind.webcrm_time)
        else:
            target = self.pairs.customcrm_id(kind, webcrm_id)
            written = value
            if prop.style == "org":
                written = self.pairs.customcrm_id(ORG, value)
            assert target is not None, f"{kind.webcrm} {webcrm_id} is not paired"
            record = self.customcrm.edit(
                kind.customcrm, target, {prop.customcrm: written}
            )
            at = system_time(record, "UpdatedAt")
        return Edit(side, kind, webcrm_id, prop, value, at)

    def edit(self) -> Edit:
        """One edit of a random property of a random entity, on its owner's side."""
        kind, webcrm_id = self.rng.choice(self._entities())
        prop = self.rng.choice([p for p in PROPS if p.kind is kind])
        side = self.owner[(kind, webcrm_id)]
        return self.user_edit(side, kind, webcrm_id, prop, self._value(prop))

    def user_edit(
        self, side: str, kind: Kind, webcrm_id: int, prop: Prop, value: Any
    ) -> Edit:
        """A user's edit of ``prop`` on ``side``, recorded as expected to win."""
        edit = self._apply(side, kind, webcrm_id, prop, value)
        self.expected.record(edit)
        return edit

    def owned(self, side: str, kind: Kind) -> list[int]:
        """The Webcrm ids of this phase's unfrozen ``kind`` entities ``side`` owns."""
        return sorted(
            webcrm_id
            for (k, webcrm_id), owner in self.owner.items()
            if k is kind and owner == side and (k, webcrm_id) not in self.frozen
        )

    def burst(self, count: int, pause: tuple[float, float] = (0.01, 0.05)) -> None:
        """``count`` edits, a short random pause after each."""
        for _ in range(count):
            self.edit()
            time.sleep(self.rng.uniform(*pause))

    def conflicts(self, count: int) -> list[Edit]:
        """``count`` same-property edits on both sides, the second one later.

        Only while no worker runs: both edits are then pending together, and
        the entity is frozen until the phase converges.
        """
        chosen = self.rng.sample(self._entities(), count)
        plans = []
        for kind, webcrm_id in chosen:
            props = [p for p in PROPS if p.kind is kind and p.style == "text"]
            first = self.rng.choice(SIDES)
            plans.append((kind, webcrm_id, self.rng.choice(props), first))
            self.frozen.add((kind, webcrm_id))
        edits = []
        for kind, webcrm_id, prop, first in plans:
            edits.append(self._apply(first, kind, webcrm_id, prop, self._value(prop)))
        time.sleep(CONFLICT_GAP)
        for kind, webcrm_id, prop, first in plans:
            second = SIDES[1 - SIDES.index(first)]
            edits.append(self._apply(second, kind, webcrm_id, prop, self._value(prop)))
        for edit in edits:
            self.expected.record(
                Edit(edit.side, edit.kind, edit.webcrm_id, edit.prop, edit.value,
                     edit.at, conflict=True)
            )  # fmt: skip
        return edits
