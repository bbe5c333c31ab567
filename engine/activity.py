"""What this worker did since it started, per flow and per polled type (snapshots)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime

from schemas.observe import FlowActivity, PollActivity, WorkerSnapshot
from schemas.utc import utc_now


@dataclass
class FlowCounts:
    """``FlowActivity``'s counters, as they grow (the model is frozen)."""

    events_in: int = 0
    events_out: int = 0
    writes: int = 0
    creates: int = 0
    matches: int = 0
    conflicts: int = 0
    dead_letters: int = 0
    last_write_at: datetime | None = None


@dataclass
class PollCounts:
    """``PollActivity``'s fields, as they change (the model is frozen)."""

    system: str
    entity: str
    last_poll_at: datetime | None = None
    cursor_at: datetime | None = None
    records_read: int = 0
    first_read_done: bool = False


class WorkerActivity:
    """This worker's counters: one ``FlowActivity`` per flow, one ``PollActivity``
    per polled ``system/type``; ``snapshot`` copies them into a ``WorkerSnapshot``.

    Plain objects, updated by ``engine.metrics``' functions as things happen;
    the worker's wiring publishes the snapshots (``streams.snapshots``).
    """

    def __init__(self, now: Callable[[], datetime] = utc_now) -> None:
        self._now = now
        self.started_at = now()
        self.flows: dict[str, FlowCounts] = {}
        self.polls: dict[tuple[str, str], PollCounts] = {}

    def flow(self, name: str) -> FlowCounts:
        """The counters of flow ``name`` (made on first use)."""
        found = self.flows.get(name)
        if found is None:
            found = self.flows[name] = FlowCounts()
        return found

    def poll(self, system: str, entity: str) -> PollCounts:
        """The activity of polled ``system``/``entity`` (made on first use)."""
        found = self.polls.get((system, entity))
        if found is None:
            found = self.polls[(system, entity)] = PollCounts(system, entity)
        return found

    def snapshot(
        self,
        worker: str,
        *,
        links: dict[str, int] | None = None,
        pending: dict[str, int] | None = None,
        stopping: bool = False,
    ) -> WorkerSnapshot:
        """A copy of everything, with the links and pending references held now."""
        flows: dict[str, FlowActivity] = {}
        for name in sorted({*self.flows, *(links or {}), *(pending or {})}):
            flows[name] = FlowActivity(
                **asdict(self.flow(name)),
                links=(links or {}).get(name, 0),
                pending_references=(pending or {}).get(name, 0),
            )
        polls = [PollActivity(**asdict(p)) for _, p in sorted(self.polls.items())]
        return WorkerSnapshot(
            worker=worker,
            started_at=self.started_at,
            at=self._now(),
            flows=flows,
            polls=polls,
            stopping=stopping,
        )
