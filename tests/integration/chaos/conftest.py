"""Chaos fixtures: the profile (``--soak`` picks the long one), a broker of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from devkit.broker import EmbeddedBroker
from tests.integration.chaos.figures import FIGURES
from tests.integration.chaos.run import DEFAULT, SOAK, Profile
from tests.integration.chaos.selftest import World, synced_world
from tests.integration.conftest import start_owned_broker


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``chaos`` marker (``pytest -m chaos`` runs this suite)."""
    config.addinivalue_line("markers", "chaos: the delivery-guarantees chaos suite")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Show the closing figures at the end, whether the run passed or not.

    Printed from the fixture's teardown they would be captured, and shown only
    for a failure.
    """
    lines = terminalreporter.config.stash.get(FIGURES, [])
    if lines:
        terminalreporter.write_sep("=", "chaos closing figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="module")
def profile(request: pytest.FixtureRequest) -> Profile:
    """The default profile, or the soak profile with ``--soak``."""
    return SOAK if request.config.getoption("--soak") else DEFAULT


@pytest.fixture(scope="module")
def chaos_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A broker this module owns, so it can be stopped and started mid-run.

    Started from the main thread (an owned broker dies with its starting thread).
    """
    broker = start_owned_broker(tmp_path_factory.mktemp("chaos-kafka"))
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
async def world() -> AsyncIterator[World]:
    """The harness self-test's synced world (``selftest``), fresh per test."""
    async with synced_world() as synced:
        yield synced
