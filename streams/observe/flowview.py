"""A deployment's status put together from what was read (no I/O: tests feed it)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from engine.control import NEVER, FlowState
from schemas.dataflow import Flow, TargetMode
from schemas.envelope import DeadLetter
from schemas.observe import (
    DeploymentStatus,
    FirstSync,
    FlowRunState,
    FlowStatus,
    SystemSeen,
    WorkerSeen,
    WorkerSnapshot,
)
from schemas.status import SystemState, SystemStatus
from streams.observe.fresh import activity, polled_view, polls, rate


@dataclass(frozen=True)
class Observed:
    """Everything one status is made of, as read from the deployment's topics.

    Attributes:
        systems: The latest status of each system (``{app}.status``).
        control: Each flow's entry in the control table (paused or not).
        counted: The worker snapshots that count (``fresh.chosen``).
        latest, before: Each worker's last two snapshots (for rates).
        lag: Per flow, the consumer group's lag over the flow's input topics.
        conflicts: Per flow, the conflicts on ``{app}.conflicts``.
        dead_letters: The outstanding dead letters.
        table_links: Per flow, the links in its link table's changelog (read
            for the flows no snapshot reports).
    """

    app_id: str
    at: datetime
    systems: Mapping[str, SystemStatus] = field(default_factory=dict)
    control: Mapping[str, FlowState] = field(default_factory=dict)
    counted: Sequence[WorkerSnapshot] = ()
    latest: Mapping[str, WorkerSnapshot] = field(default_factory=dict)
    before: Mapping[str, WorkerSnapshot] = field(default_factory=dict)
    lag: Mapping[str, int] = field(default_factory=dict)
    conflicts: Mapping[str, int] = field(default_factory=dict)
    dead_letters: Sequence[DeadLetter] = ()
    table_links: Mapping[str, int] = field(default_factory=dict)


def polled_types(flow: Flow) -> list[tuple[str, str]]:
    """The ``(system, type)`` pairs polled for ``flow`` (``engine.polling``: a
    value-keyed flow's targets are looked up, not polled)."""
    types = [(flow.source.system, flow.source.type)]
    if flow.target_mode is not TargetMode.VALUE_KEYED:
        types.append((flow.target.system, flow.target.type))
    return types


def letters_of(letters: Iterable[DeadLetter], flow: Flow) -> int:
    """The dead letters of ``flow``: its own, and those of a record of its types
    that failed before any flow had it (read or decoded: no flow named)."""
    types = {(flow.source.system, flow.source.type)}
    types.add((flow.target.system, flow.target.type))
    return sum(
        1
        for letter in letters
        if letter.flow == flow.name
        or (letter.flow is None and (letter.system, letter.entity) in types)
    )


def _state(
    flow: Flow, systems: Mapping[str, SystemStatus], control: FlowState | None
) -> tuple[FlowRunState, str, datetime | None]:
    """Failing wins over paused: a failing system needs fixing whether or not the
    flow is paused, and resuming would not make it work. The pause is named in
    the reason then."""
    failing = [
        systems[name]
        for name in dict.fromkeys((flow.source.system, flow.target.system))
        if name in systems and systems[name].state is SystemState.FAILING
    ]
    paused = control is not None and control.paused
    if failing:
        reason = "; ".join(f"{s.system} failing: {s.reason}" for s in failing)
        if control is not None and control.paused:
            reason += f"; paused too: {control.reason or 'by ' + control.by}"
        return FlowRunState.FAILING, reason, min(s.since for s in failing)
    if control is not None and paused:
        return FlowRunState.PAUSED, control.reason or f"by {control.by}", control.since
    since = control.since if control is not None and control.since != NEVER else None
    return FlowRunState.RUNNING, "", since


def flow_status(observed: Observed, flow: Flow) -> FlowStatus:
    """One flow's status."""
    state, reason, since = _state(
        flow, observed.systems, observed.control.get(flow.name)
    )
    done = activity(observed.counted, flow.name)
    polled = polled_view(polls(observed.counted), polled_types(flow))
    lag = observed.lag.get(flow.name, 0)
    handled = done.events_out if done else 0
    per_second = rate(observed.latest, observed.before, observed.counted, flow.name)
    # Without snapshots (no worker publishes them yet), a flow with nothing to
    # read is taken as synced: the lag is all that is known.
    finished = lag == 0 and (polled.first_read_done or not polled.known)
    # Nothing lags but a type is still being read: how long is not known.
    known = lag > 0 and per_second > 0
    eta = 0.0 if finished else (lag / per_second if known else None)
    return FlowStatus(
        flow=flow.name,
        source=f"{flow.source.system}/{flow.source.type}",
        target=f"{flow.target.system}/{flow.target.type}",
        state=state,
        reason=reason,
        since=since,
        last_poll_at=polled.last_poll_at,
        last_write_at=done.last_write_at if done else None,
        lag=lag,
        links=done.links if done else observed.table_links.get(flow.name, 0),
        pending_references=done.pending_references if done else 0,
        conflicts=observed.conflicts.get(flow.name, 0),
        dead_letters=letters_of(observed.dead_letters, flow),
        events_in=done.events_in if done else 0,
        events_out=handled,
        writes=done.writes if done else 0,
        first_sync=FirstSync(
            done=finished,
            handled=handled,
            remaining=lag,
            rate_per_second=round(per_second, 3),
            eta_seconds=eta,
        ),
    )


def systems_seen(
    statuses: Mapping[str, SystemStatus], flows: Iterable[Flow]
) -> list[SystemSeen]:
    """Every system of ``flows`` or reported on ``{app}.status``, with the flows
    touching it; one no worker reported is ok (workers report changes)."""
    touching: dict[str, list[str]] = {}
    for flow in flows:
        for system in dict.fromkeys((flow.source.system, flow.target.system)):
            touching.setdefault(system, []).append(flow.name)
    seen: list[SystemSeen] = []
    for system in sorted({*touching, *statuses}):
        status = statuses.get(system)
        seen.append(
            SystemSeen(
                system=system,
                state=status.state.value if status else SystemState.OK.value,
                reason=status.reason if status else "",
                since=status.since if status else None,
                checked_at=status.checked_at if status else None,
                worker=status.worker if status else "",
                flows=touching.get(system, []),
            )
        )
    return seen


def deployment_view(observed: Observed, flows: Iterable[Flow]) -> DeploymentStatus:
    """The whole deployment: every flow, system and counted worker."""
    active = list(flows)
    shown = [flow_status(observed, flow) for flow in active]
    return DeploymentStatus(
        app_id=observed.app_id,
        at=observed.at,
        ok=all(f.state is not FlowRunState.FAILING for f in shown),
        systems=systems_seen(observed.systems, active),
        flows=shown,
        workers=[
            WorkerSeen(worker=s.worker, at=s.at, stopping=s.stopping)
            for s in observed.counted
        ],
    )
