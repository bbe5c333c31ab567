"""What operators read about a deployment's systems: ok, or failing and why."""

from __future__ import annotations

from enum import StrEnum

from pydantic import AwareDatetime, Field

from schemas.base import EventModel
from schemas.utc import utc_now


class SystemState(StrEnum):
    """Whether tether can talk to a system."""

    OK = "ok"
    FAILING = "failing"


class SystemStatus(EventModel):
    """One system as a worker last found it, on ``{app}.status`` (keyed by system).

    ``reason`` names what failed (never a credential); ``since`` is when the
    current state began. While a system fails, every flow that touches it waits
    (its events neither lost nor dead-lettered) and is retried with backoff;
    every other flow goes on.
    """

    system: str
    state: SystemState
    reason: str = ""
    since: AwareDatetime = Field(default_factory=utc_now)
    checked_at: AwareDatetime = Field(default_factory=utc_now)
    worker: str = ""
