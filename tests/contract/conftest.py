"""Contract fixtures: each registered connector against its real stand-in server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from connectors import REGISTRY, Connector, build_connector
from standins import StandIn
from tests.contract.harness import HARNESSES, Harness


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, StandIn]]:
    """One started stand-in per system for the module (starting one costs ~0.1 s)."""
    started: dict[str, StandIn] = {}
    try:
        for system, harness in HARNESSES.items():
            started[system] = harness.standin().start()
        yield started
    finally:
        for standin in started.values():
            standin.stop()


@pytest.fixture(params=sorted(REGISTRY))
def harness(request: pytest.FixtureRequest) -> Harness:
    """The facts of one registered system; every registered system needs one."""
    system: str = request.param
    assert system in HARNESSES, f"add a contract harness for {system}"
    return HARNESSES[system]


@pytest.fixture
def standin(servers: dict[str, StandIn], harness: Harness) -> StandIn:
    """The system's stand-in, emptied."""
    server = servers[harness.system]
    server.reset()
    return server


class Open:
    """Builds opened connectors against the stand-in; closes them at teardown."""

    def __init__(self, harness: Harness, standin: StandIn) -> None:
        self.harness = harness
        self.standin = standin
        self.opened: list[Connector] = []

    async def __call__(self, **settings: Any) -> Connector:
        options = self.harness.settings(self.standin, **settings)
        connector = build_connector(self.harness.system, options)
        await connector.open()
        self.opened.append(connector)
        return connector


@pytest.fixture
async def connect(harness: Harness, standin: StandIn) -> AsyncIterator[Open]:
    """``await connect(**settings)`` -> an opened connector."""
    opener = Open(harness, standin)
    yield opener
    for connector in opener.opened:
        await connector.aclose()


@pytest.fixture
async def connector(connect: Open) -> Connector:
    """An opened connector with the default test settings."""
    return await connect()
