"""The stand-ins the demo runs, each with realistic sample data: one entry per system.

An explicit registry: a system joins the demo by adding its stand-in factory and
seeding function here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from standins.base import StandIn
from standins.customcrm import CustomcrmStandIn
from standins.sample_data import customcrm_overlap, webcrm_sample
from standins.webcrm import WebcrmStandIn


@dataclass(frozen=True)
class DemoSystem:
    """How the demo starts and fills one system's stand-in."""

    make: Callable[[], StandIn]
    seed: Callable[[dict[str, StandIn]], None]


def _seed_webcrm(standins: dict[str, StandIn]) -> None:
    data = webcrm_sample()
    for entity, records in data.items():
        standins["webcrm"].seed(entity, records)
    # A fifth of the organisations, their persons and products already exist in
    # Customcrm: the demo shows them matched and linked instead of duplicated.
    for resource, records in customcrm_overlap(data).items():
        standins["customcrm"].seed(resource, records)


def _seed_nothing(standins: dict[str, StandIn]) -> None:
    """Systems whose data arrives through other systems' seeds."""


DEMO_SYSTEMS: dict[str, DemoSystem] = {
    "webcrm": DemoSystem(WebcrmStandIn, _seed_webcrm),
    "customcrm": DemoSystem(CustomcrmStandIn, _seed_nothing),
}


def start_demo_standins() -> dict[str, StandIn]:
    """Start every demo stand-in on a free port and seed it."""
    standins: dict[str, StandIn] = {}
    try:
        for system, demo in DEMO_SYSTEMS.items():
            standins[system] = demo.make().start()
        for demo in DEMO_SYSTEMS.values():
            demo.seed(standins)
    except BaseException:
        for standin in standins.values():
            standin.stop()
        raise
    return standins


def source_counts(standin: StandIn) -> dict[str, int]:
    """Live records per resource of a stand-in (soft-deleted ones left out)."""
    out: dict[str, int] = {}
    for resource in type(standin).all_resources():
        records: list[dict[str, Any]] = standin.records(resource)
        out[resource] = len([r for r in records if not r.get("Deleted")])
    return out
