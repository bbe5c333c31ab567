"""Whether each flow may write: the paused state every worker of a deployment shares."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, Field, ValidationError

from schemas.base import EventModel
from schemas.utc import utc_now

log = logging.getLogger(__name__)

NEVER = datetime(1970, 1, 1, tzinfo=UTC)
"""The ``since`` of a flow nobody ever paused."""

COUNTERS = ("creates", "updates", "unlinks")
"""What a flow's breaker counts (``FlowState.tripped`` names one of them)."""


class FlowState(EventModel):
    """One flow's entry in the control table, keyed by flow name.

    Attributes:
        flow: The flow's name.
        paused: Writes and unlinks of the flow wait until this is false.
        reason: Why it was paused (a breaker's figures, or an operator's words).
        by: ``breaker`` or ``operator``.
        tripped: The counter whose breaker paused it, if one did (kept by the
            resume: workers start that counter's window afresh).
        since: When it was paused or resumed.
        resumed_at: The last resume; workers start the tripped counter's
            window afresh then.
        grace: Until when each counter does not count: the burst an operator
            accepted by resuming runs to its end (kept across later pauses).
    """

    flow: str
    paused: bool
    reason: str = ""
    by: str = "operator"
    tripped: str | None = None
    since: AwareDatetime = Field(default_factory=utc_now)
    resumed_at: AwareDatetime | None = None
    grace: dict[str, AwareDatetime] = Field(default_factory=dict)

    def in_grace(self, counter: str, now: datetime) -> bool:
        """Whether ``counter`` is exempt at ``now``."""
        until = self.grace.get(counter)
        return until is not None and now < until

    def graces(self, now: datetime) -> dict[str, datetime]:
        """The graces still running at ``now``."""
        return {counter: until for counter, until in self.grace.items() if until > now}

    def resumed(self, grace_seconds: float, now: datetime | None = None) -> FlowState:
        """This state resumed; the tripped counter (if any) gets ``grace_seconds``."""
        now = now or utc_now()
        grace = self.graces(now)
        if self.tripped and grace_seconds > 0:
            grace[self.tripped] = now + timedelta(seconds=grace_seconds)
        return FlowState(
            flow=self.flow,
            paused=False,
            reason=f"resumed after: {self.reason}" if self.reason else "resumed",
            by="operator",
            tripped=self.tripped,
            since=now,
            resumed_at=now,
            grace=grace,
        )


def running(flow: str) -> FlowState:
    """The state of a flow nobody ever paused."""
    return FlowState(flow=flow, paused=False, since=NEVER)


class ControlTable:
    """The flows' states over any key-value store (a shared faust table in a
    worker, whose changelog every worker follows; a dict in tests)."""

    def __init__(self, store: MutableMapping[str, Any]) -> None:
        self._store = store
        self._refused: set[str] = set()

    def get(self, flow: str) -> FlowState:
        """The state of ``flow`` (running when nothing, or nothing valid, is
        recorded: anyone may write to a topic, and garbage must not stop a flow)."""
        raw = self._store.get(flow)
        state = parse_state(raw)
        if state is None:
            if raw and flow not in self._refused:
                self._refused.add(flow)
                log.warning("%s: the control table's entry is not a flow state", flow)
            return running(flow)
        return state

    def put(self, state: FlowState) -> None:
        """Record ``state`` for every worker to follow."""
        self._store[state.flow] = state.model_dump(mode="json")


def parse_state(raw: Any) -> FlowState | None:
    """A raw table value as a flow state; ``None`` when it is none."""
    if not raw:
        return None
    try:
        return FlowState.model_validate(raw)
    except ValidationError:
        return None


def paused_flows(states: Mapping[str, Any]) -> list[FlowState]:
    """The paused flows among raw states (a table's contents, read by a tool)."""
    found = [parse_state(raw) for raw in states.values()]
    return sorted((s for s in found if s and s.paused), key=lambda s: s.flow)
