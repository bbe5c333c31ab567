"""The stand-ins as the demo and ``tether standins`` run them (the operator commands
reach the stand-ins only through the dev kit)."""

from __future__ import annotations

from standins.base import StandIn
from standins.demo import (
    DEMO_SYSTEMS,
    DemoSystem,
    export_lines,
    source_counts,
    start_demo_standins,
)

__all__ = [
    "DEMO_SYSTEMS",
    "DemoSystem",
    "export_lines",
    "StandIn",
    "source_counts",
    "start_demo_standins",
]
