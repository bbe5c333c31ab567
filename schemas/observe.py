"""What operators read about a running deployment: its writes, workers and flows.

Three records, each on its own topic:

- ``WriteRecord`` on ``{app}.writes`` (time-retained, keyed ``system/type/id``):
  every write tether made, with the values before and after and why.
  ``tether explain`` reads it.
- ``WorkerSnapshot`` on ``{app}.workers`` (compacted, keyed by worker): what
  one worker did since it started, republished every few seconds.
- ``FlowStatus`` (no topic of its own): one flow as ``tether status``,
  ``GET /status`` and the status page show it, assembled from the snapshots,
  the control table, the systems' statuses and the consumer group's offsets.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AwareDatetime, Field, NonNegativeInt

from schemas.base import EventModel
from schemas.utc import utc_now


class WriteOp(StrEnum):
    """What tether did to a record (``match`` links one, writing nothing)."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    MATCH = "match"
    UNLINK = "unlink"


class WriteRecord(EventModel):
    """One write tether made to a system, and why.

    Attributes:
        flow: The flow that wrote.
        system, entity, record_id: The record written (its id after a create).
        op: What was done.
        why: In words, e.g. ``source change``, ``target change``, ``new source
            record``, ``natural key email``, ``deleted in source``.
        from_system, from_entity, from_id: The change that caused the write.
        changed_at: That change's modification time in its own system.
        before: The written properties as they were (empty for a create).
        after: The written properties as tether wrote them.
        conflicts: Properties both sides changed, each with the side that won.
        written_at: When the system acknowledged the write.
        worker: Which worker wrote it.
    """

    flow: str
    system: str
    entity: str
    record_id: str
    op: WriteOp
    why: str = ""
    from_system: str = ""
    from_entity: str = ""
    from_id: str = ""
    changed_at: AwareDatetime | None = None
    before: dict[str, Any] = Field(default_factory=dict)
    after: dict[str, Any] = Field(default_factory=dict)
    conflicts: dict[str, str] = Field(default_factory=dict)
    written_at: AwareDatetime = Field(default_factory=utc_now)
    worker: str = ""


class PollActivity(EventModel):
    """One polled ``system/type`` as the worker that polls it saw it."""

    system: str
    entity: str
    last_poll_at: AwareDatetime | None = None
    """The last poll that read its pages to the end without an error."""
    cursor_at: AwareDatetime | None = None
    """The newest modification time published (the cursor)."""
    records_read: NonNegativeInt = 0
    first_read_done: bool = False


class FlowActivity(EventModel):
    """What one worker did for one flow since it started (counters only grow)."""

    events_in: NonNegativeInt = 0
    events_out: NonNegativeInt = 0
    writes: NonNegativeInt = 0
    creates: NonNegativeInt = 0
    matches: NonNegativeInt = 0
    conflicts: NonNegativeInt = 0
    dead_letters: NonNegativeInt = 0
    last_write_at: AwareDatetime | None = None
    links: NonNegativeInt = 0
    """Links in this worker's partitions of the flow's link table."""
    pending_references: NonNegativeInt = 0
    """Changes parked in this worker until a record they refer to is linked."""


class WorkerSnapshot(EventModel):
    """One worker's view, on ``{app}.workers`` keyed by ``worker``."""

    worker: str
    started_at: AwareDatetime
    at: AwareDatetime = Field(default_factory=utc_now)
    flows: dict[str, FlowActivity] = Field(default_factory=dict)
    polls: list[PollActivity] = Field(default_factory=list)
    stopping: bool = False


class FlowRunState(StrEnum):
    """A flow as the operator sees it."""

    RUNNING = "running"
    PAUSED = "paused"
    FAILING = "failing"


class FirstSync(EventModel):
    """A flow's first sync: events handled, their rate, and the time left."""

    done: bool = False
    handled: int = 0
    remaining: int = 0
    rate_per_second: float = 0.0
    eta_seconds: float | None = None


class FlowStatus(EventModel):
    """One flow of the deployment, as every status view shows it."""

    flow: str
    source: str
    """``system/Type`` the flow reads."""
    target: str
    """``system/Type`` the flow writes."""
    state: FlowRunState
    reason: str = ""
    since: AwareDatetime | None = None
    last_poll_at: AwareDatetime | None = None
    last_write_at: AwareDatetime | None = None
    lag: int = 0
    links: int = 0
    pending_references: int = 0
    conflicts: int = 0
    dead_letters: int = 0
    events_in: int = 0
    events_out: int = 0
    writes: int = 0
    first_sync: FirstSync = Field(default_factory=FirstSync)


class WorkerSeen(EventModel):
    """A worker whose snapshot a status view used."""

    worker: str
    at: AwareDatetime
    stopping: bool = False


class SystemSeen(EventModel):
    """A system as every status view shows it."""

    system: str
    state: str
    reason: str = ""
    since: AwareDatetime | None = None
    flows: list[str] = Field(default_factory=list)
    checked_at: AwareDatetime | None = None
    """When a worker last probed it (``None``: no worker reported it)."""
    worker: str = ""
    """The worker that found it in its state."""


class DeploymentStatus(EventModel):
    """The whole deployment: ``tether status --json`` and ``GET /status``."""

    app_id: str
    at: AwareDatetime = Field(default_factory=utc_now)
    ok: bool = True
    """No flow is failing."""
    systems: list[SystemSeen] = Field(default_factory=list)
    flows: list[FlowStatus] = Field(default_factory=list)
    workers: list[WorkerSeen] = Field(default_factory=list)
