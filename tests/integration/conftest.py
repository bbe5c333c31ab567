"""Integration fixtures: a real Kafka broker, found via env or started from jars.

``TETHER_KAFKA_BOOTSTRAP=host:port`` uses a running broker (``tether broker start``
or ``docker compose up kafka``); otherwise the session starts its own broker from
the Maven jars in a temporary folder on free ports, sharing the jar cache
(``TETHER_BROKER_LIBS``, default ``.kafka/libs`` in the repository). Nothing here
ever skips: no Java, no Maven or no broker fails the run with what to do.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from connectors.errors import SyncError
from devkit.broker import BrokerMode, BrokerSettings, EmbeddedBroker, is_ready

REPO = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
ENV_BOOTSTRAP = "TETHER_KAFKA_BOOTSTRAP"
HOW_TO_START = (
    "start one with `tether broker start` (bootstrap 127.0.0.1:19092) or "
    "`docker compose up kafka` (localhost:9092), or unset TETHER_KAFKA_BOOTSTRAP "
    "to let the tests start their own"
)


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Mark every test under tests/integration as ``integration``."""
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.integration)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def broker_settings(home: Path) -> BrokerSettings:
    """Settings for an isolated test broker: own home and ports, shared jars."""
    libs = os.environ.get("TETHER_BROKER_LIBS") or REPO / ".kafka" / "libs"
    port = free_port()
    controller_port = free_port()
    while controller_port == port:
        controller_port = free_port()
    return BrokerSettings(
        home=home, libs=Path(libs), port=port, controller_port=controller_port
    )


def start_owned_broker(home: Path) -> EmbeddedBroker:
    """Start a broker this test process owns; fail the test run if it cannot."""
    broker = EmbeddedBroker(broker_settings(home), mode=BrokerMode.OWNED)
    try:
        broker.start()
    except SyncError as exc:
        pytest.fail(f"could not start the test Kafka broker: {exc}", pytrace=False)
    return broker


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``host:port`` of a Kafka broker that answers, for the whole session."""
    given = os.environ.get(ENV_BOOTSTRAP, "").strip()
    if given:
        try:
            answering = is_ready(given, request_timeout=10.0)
        except ValueError as exc:
            pytest.fail(f"{ENV_BOOTSTRAP}={given!r}: {exc}", pytrace=False)
        if not answering:
            pytest.fail(
                f"no Kafka answers at {ENV_BOOTSTRAP}={given}: {HOW_TO_START}",
                pytrace=False,
            )
        yield given
        return
    broker = start_owned_broker(tmp_path_factory.mktemp("kafka"))
    try:
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture
def isolated_broker_settings(tmp_path: Path) -> BrokerSettings:
    """Settings for a broker of this test's own (not started): tmp home, free ports."""
    return broker_settings(tmp_path / "kafka")


@pytest.fixture
def restartable_broker(
    isolated_broker_settings: BrokerSettings,
) -> Iterator[EmbeddedBroker]:
    """A started broker of this test's own, to stop, restart or break at will."""
    broker = EmbeddedBroker(isolated_broker_settings, mode=BrokerMode.OWNED)
    try:
        broker.start()
    except SyncError as exc:
        pytest.fail(f"could not start the test Kafka broker: {exc}", pytrace=False)
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def unique_name() -> Callable[[str], str]:
    """Make names no other test (or earlier run) uses: ``unique_name("orders")``."""

    def make(prefix: str) -> str:
        return f"tether-it-{prefix}-{uuid.uuid4().hex[:12]}"

    return make
