"""The harness self-test's world: the real engine on the in-memory bus.

Observed Webcrm and Customcrm stand-ins, seeded as a chaos run seeds them,
synced by the engine's runners and pollers on ``tests.contract.memory_bus``,
whose topics stand for the broker's; the chaos run's own ``Checker`` on top.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from connectors import Connector, build_connector
from engine.badinput import letter_key
from tests.contract.harness import HARNESSES
from tests.contract.memory_bus import MemoryBus
from tests.integration.chaos.checks import Checker
from tests.integration.chaos.invariants import FLOWS, Messages, Verdict
from tests.integration.chaos.model import KINDS, Expected, Kind
from tests.integration.chaos.observe import ObservedCustomcrm, ObservedWebcrm
from tests.integration.chaos.seeding import seed_world
from tests.integration.chaos.storm import Storm

SIZES = (5, 10, 6)
SEED = 20241105


class RecordedTopics:
    """The topics the engine wrote on the in-memory bus, as the broker holds
    them (keys as sent, values as JSON)."""

    def __init__(self, bus: MemoryBus) -> None:
        self.bus = bus

    def links(self, flow: str) -> Messages:
        notices = self.bus.log.get(self.bus.names.links(flow), [])
        return [(key, notice.model_dump(mode="json")) for key, notice in notices]

    def link_rows(self, flow: str) -> dict[str, Any]:
        store = self.bus.link_stores[flow]
        return {key: store[key] for key in store}

    def dead_letters(self) -> Messages:
        return [
            (
                letter_key(letter.system, letter.entity, letter.record_id),
                letter.model_dump(mode="json"),
            )
            for letter in self.bus.dead_letters
        ]


@dataclass
class World:
    """A synced deployment on the in-memory bus, and the harness around it."""

    webcrm: ObservedWebcrm
    customcrm: ObservedCustomcrm
    connectors: dict[str, Connector]
    bus: MemoryBus
    expected: Expected
    storm: Storm
    checker: Checker
    started: float  # when the storm phase began

    async def settle(self) -> None:
        """Run the engine to quiescence, past the reference wait."""
        await self.bus.settle()
        await asyncio.sleep(0.6)  # the bus's reference wait is 0.5 s
        await self.bus.settle()

    def verdict(self) -> Verdict:
        return self.checker.everything(self.started)

    def counts(self) -> dict[str, int]:
        """The non-zero must-be-zero counts of the storm phase so far."""
        return {k: v for k, v in self.verdict().counts.items() if v}

    def owned(self, side: str, kind: Kind) -> int:
        """An entity of ``kind`` that ``side`` owns in the storm phase."""
        found = self.storm.owned(side, kind)
        assert found, f"no {kind.webcrm} owned by {side} in this phase"
        return found[0]

    def customcrm_id(self, kind: Kind, webcrm_id: int) -> str:
        assert self.storm.pairs is not None
        found = self.storm.pairs.customcrm_id(kind, webcrm_id)
        assert found is not None
        return found

    def customcrm_http(self) -> httpx.Client:
        """A client of Customcrm's API, as tether's connector would call it."""
        return httpx.Client(
            base_url=self.customcrm.url,
            headers={"Authorization": f"Bearer {self.customcrm.api_key}"},
        )


@asynccontextmanager
async def synced_world() -> AsyncIterator[World]:
    """Observed stand-ins seeded and synced by the engine on the in-memory bus,
    through an initial sync (which must be clean) and a storm phase."""
    webcrm = ObservedWebcrm(auth_code=f"selftest-{uuid.uuid4().hex}")
    customcrm = ObservedCustomcrm(api_key=f"selftest-{uuid.uuid4().hex}")
    webcrm.start()
    customcrm.start()
    connectors: dict[str, Connector] = {}
    try:
        expected = Expected()
        storm = Storm(random.Random(SEED), webcrm, customcrm, expected)
        storm.new_phase()  # the initial sync: nothing is owned yet
        seed_world(webcrm, customcrm, expected, sizes=SIZES, seed=SEED)
        for system, standin in (("webcrm", webcrm), ("customcrm", customcrm)):
            settings = HARNESSES[system].settings(standin, page_size=50)
            connectors[system] = build_connector(system, settings)
            await connectors[system].open()
        bus = MemoryBus([FLOWS[kind.flow] for kind in KINDS], connectors)
        checker = Checker(webcrm, customcrm, RecordedTopics(bus), expected, storm)
        world = World(webcrm, customcrm, connectors, bus, expected, storm, checker, 0.0)
        await world.settle()
        initial = checker.everything(0.0)
        assert initial.problems == [], "the initial sync is not clean"
        world.started = time.time()
        storm.new_phase()
        storm.burst(12, pause=(0.0, 0.0))
        await bus.settle()
        yield world
    finally:
        for connector in connectors.values():
            await connector.aclose()
        webcrm.stop()
        customcrm.stop()
