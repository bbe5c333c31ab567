"""Fixtures for connector unit tests: a strict fake API and recorded sleeps."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes import FakeApi


@pytest.fixture
def api() -> Iterator[FakeApi]:
    """A ``FakeApi`` that fails the test if a registered route goes unused."""
    fake = FakeApi()
    yield fake
    fake.verify()


class Sleeps:
    """Records the delays the code under test asked to sleep, without sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    """A fake ``asyncio.sleep``."""
    return Sleeps()
