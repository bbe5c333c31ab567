"""Whether a worker is ready: its tables recovered, partitions assigned, systems up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import faust

from engine.health import SystemHealth


@dataclass(frozen=True)
class Readiness:
    """What ``GET /ready`` answers (200 when ``ready``, 503 naming what is not)."""

    tables_recovered: bool
    partitions: int
    rebalancing: bool
    failing: dict[str, str] = field(default_factory=dict)
    """Systems whose last probe failed (still within their backoff), and why."""

    @property
    def ready(self) -> bool:
        """Everything is in place for the worker to sync."""
        return not self.not_ready()

    def not_ready(self) -> list[str]:
        """What keeps the worker from being ready, in words."""
        waiting = []
        if not self.tables_recovered:
            waiting.append("tables are being recovered from their changelogs")
        if self.rebalancing:
            waiting.append("the consumer group is rebalancing")
        elif not self.partitions:
            waiting.append("no partitions are assigned to this worker yet")
        waiting += [
            f"{system} is failing: {reason}"
            for system, reason in sorted(self.failing.items())
        ]
        return waiting

    def as_json(self) -> dict[str, Any]:
        """The body of ``GET /ready``."""
        return {
            "ready": self.ready,
            "not_ready": self.not_ready(),
            "tables_recovered": self.tables_recovered,
            "partitions_assigned": self.partitions,
            "rebalancing": self.rebalancing,
            "failing_systems": dict(sorted(self.failing.items())),
        }


def readiness(
    app: faust.App, health: SystemHealth, systems: Iterable[str]
) -> Readiness:
    """How ready the running worker of ``app`` is."""
    recovery: Any = app.tables.recovery  # type: ignore[attr-defined]
    try:
        assigned = len(app.consumer.assignment())
    except Exception:  # noqa: BLE001 - before the consumer started: none assigned
        assigned = 0
    failing = {
        system: health.status(system).reason
        for system in systems
        if health.is_failing(system)
    }
    return Readiness(
        tables_recovered=recovery.completed.is_set(),
        partitions=assigned,
        rebalancing=bool(app.rebalancing),
        failing=failing,
    )
