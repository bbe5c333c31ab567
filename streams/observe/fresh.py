"""The workers' snapshots a status counts, and their sums per flow and polled type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from schemas.observe import FlowActivity, PollActivity, WorkerSnapshot


def chosen(
    snapshots: Iterable[WorkerSnapshot], now: datetime, stale_after: timedelta
) -> list[WorkerSnapshot]:
    """The snapshots to count, by worker name.

    A worker publishes every few seconds: one silent for ``stale_after`` has
    stopped or lost its partitions to the others, whose snapshots count them
    now. When no worker is fresh (none runs), the last ones that ran count,
    each within ``stale_after`` of the newest. A worker's farewell (``stopping``)
    counts only when no running worker is left among them.
    """
    every = list(snapshots)
    if not every:
        return []
    newest = max(s.at for s in every)
    edge = (now if newest >= now - stale_after else newest) - stale_after
    picked = [s for s in every if s.at >= edge]
    running = [s for s in picked if not s.stopping]
    return sorted(running or picked, key=lambda s: s.worker)


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def activity(snapshots: Iterable[WorkerSnapshot], flow: str) -> FlowActivity | None:
    """What the workers did for ``flow``, summed (``None`` when none reports it)."""
    parts = [s.flows[flow] for s in snapshots if flow in s.flows]
    if not parts:
        return None
    last_write: datetime | None = None
    for part in parts:
        last_write = _later(last_write, part.last_write_at)
    return FlowActivity(
        events_in=sum(p.events_in for p in parts),
        events_out=sum(p.events_out for p in parts),
        writes=sum(p.writes for p in parts),
        creates=sum(p.creates for p in parts),
        matches=sum(p.matches for p in parts),
        conflicts=sum(p.conflicts for p in parts),
        dead_letters=sum(p.dead_letters for p in parts),
        last_write_at=last_write,
        links=sum(p.links for p in parts),
        pending_references=sum(p.pending_references for p in parts),
    )


def polls(snapshots: Iterable[WorkerSnapshot]) -> dict[tuple[str, str], PollActivity]:
    """Each polled ``(system, type)``, merged over the workers that polled it
    (the leader polls; after a change of leader, both may report it)."""
    merged: dict[tuple[str, str], PollActivity] = {}
    for snapshot in snapshots:
        for poll in snapshot.polls:
            key = (poll.system, poll.entity)
            seen = merged.get(key)
            if seen is None:
                merged[key] = poll
                continue
            merged[key] = PollActivity(
                system=poll.system,
                entity=poll.entity,
                last_poll_at=_later(seen.last_poll_at, poll.last_poll_at),
                cursor_at=_later(seen.cursor_at, poll.cursor_at),
                records_read=seen.records_read + poll.records_read,
                first_read_done=seen.first_read_done or poll.first_read_done,
            )
    return merged


@dataclass(frozen=True)
class PolledView:
    """A flow's polled types as the snapshots show them."""

    last_poll_at: datetime | None
    """The oldest of its types' last polls: when all of them were last read
    (``None`` until each was)."""
    first_read_done: bool
    """Whether each type was read through once."""
    known: bool
    """Whether any snapshot reports any of its types."""


def polled_view(
    merged: Mapping[tuple[str, str], PollActivity], types: Sequence[tuple[str, str]]
) -> PolledView:
    """The view over ``types`` (a flow's source type, and its target type
    unless the flow only looks targets up)."""
    found = [merged[t] for t in types if t in merged]
    if not found:
        return PolledView(None, first_read_done=False, known=False)
    times = [p.last_poll_at for p in found]
    complete = len(found) == len(types)
    last = min(t for t in times if t is not None) if all(times) and complete else None
    done = complete and all(p.first_read_done for p in found)
    return PolledView(last, first_read_done=done, known=True)


def rate(
    latest: Mapping[str, WorkerSnapshot],
    before: Mapping[str, WorkerSnapshot],
    counted: Iterable[WorkerSnapshot],
    flow: str,
) -> float:
    """Events a second that the ``counted`` workers handle for ``flow``: between
    each one's last two snapshots, or since it started when it has one only."""
    total = 0.0
    for snapshot in counted:
        now = latest.get(snapshot.worker, snapshot).flows.get(flow)
        if now is None:
            continue
        previous = before.get(snapshot.worker)
        then = previous.flows.get(flow) if previous else None
        if (
            previous is not None
            and then is not None
            and previous.started_at == snapshot.started_at
            and snapshot.at > previous.at
        ):
            seconds = (snapshot.at - previous.at).total_seconds()
            total += max(0, now.events_out - then.events_out) / seconds
            continue
        seconds = (snapshot.at - snapshot.started_at).total_seconds()
        if seconds > 0:
            total += now.events_out / seconds
    return total
