"""Whether each flow may write: the paused state every worker of a deployment shares."""

from __future__ import annotations

import logging
from collections.abc import Mapping, MutableMapping
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from pydantic import AwareDatetime, Field, ValidationError

from schemas.base import EventModel, NonEmptyStr
from schemas.utc import utc_now

log = logging.getLogger(__name__)

_M = TypeVar("_M", bound=EventModel)

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


# -- resync requests: a full re-read of a type at the leader's next poll ---------


class ResyncRequest(EventModel):
    """An operator's request for a full re-read of one system's type.

    Kept in the shared resync table (key ``request/{system}/{entity}``) until a
    leader's poller has served it, so it reaches whichever worker leads, and a
    restart before it is done does not lose it.
    """

    system: NonEmptyStr
    entity: NonEmptyStr
    flow: str = ""
    requested_at: AwareDatetime = Field(default_factory=utc_now)
    by: str = Field(default="operator", max_length=200)


class ResyncDone(EventModel):
    """The full re-read that served a request (key ``done/{system}/{entity}``).

    ``served`` is the request's own time, so a request is pending exactly while
    it is newer than the last one served: no clock of the requester's is
    compared with a worker's.
    """

    system: str
    entity: str
    served: AwareDatetime
    started_at: AwareDatetime
    finished_at: AwareDatetime = Field(default_factory=utc_now)
    events: int = 0


def request_key(system: str, entity: str) -> str:
    """Where the resync table keeps the request of ``system``/``entity``."""
    return f"request/{system}/{entity}"


def done_key(system: str, entity: str) -> str:
    """Where the resync table keeps the last served request of a type."""
    return f"done/{system}/{entity}"


def _parsed(model: type[_M], raw: Any) -> _M | None:
    # Anyone may write to a topic: garbage is no request.
    if not raw:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


class ResyncRequests:
    """The resync requests over any key-value store (the shared ``resync`` table
    in a worker, a dict in tests)."""

    def __init__(self, store: MutableMapping[str, Any]) -> None:
        self._store = store

    def pending(self, system: str, entity: str) -> ResyncRequest | None:
        """The request of ``system``/``entity`` not served yet, if any."""
        request = _parsed(ResyncRequest, self._store.get(request_key(system, entity)))
        if request is None or (request.system, request.entity) != (system, entity):
            return None
        done = _parsed(ResyncDone, self._store.get(done_key(system, entity)))
        if done is not None and done.served >= request.requested_at:
            return None
        return request

    def served(self, request: ResyncRequest, started_at: datetime, events: int) -> None:
        """Record that a full re-read begun at ``started_at`` served ``request``."""
        done = ResyncDone(
            system=request.system,
            entity=request.entity,
            served=request.requested_at,
            started_at=started_at,
            events=events,
        )
        self._store[done_key(request.system, request.entity)] = done.model_dump(
            mode="json"
        )


# -- operator commands on a flow's inbound channel --------------------------------


class UnlinkCommand(EventModel):
    """An operator's order to undo one wrong link, keyed by the source id.

    Sent onto the flow's own commands topic (``{app}.flow.{flow}.commands``),
    which only this model decodes: a change event there is undecodable, and a
    command anywhere else is no change event (both models forbid unknown
    fields). ``target_id`` is the link the operator saw: a link that changed
    since is left alone.
    """

    command: Literal["unlink"]
    flow: NonEmptyStr
    source_id: NonEmptyStr
    target_id: NonEmptyStr
    reason: str = Field(default="", max_length=1000)
    by: str = Field(default="operator", max_length=200)
    requested_at: AwareDatetime = Field(default_factory=utc_now)
