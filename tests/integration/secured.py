"""A test broker with secured listeners, and the settings its clients log in with.

Every test of tether over TLS or SASL starts one: a SASL_SSL listener (PLAIN, and
SCRAM when asked), optionally a mutual-TLS listener, certificates made for the
test, and users with their passwords.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from connectors.errors import SyncError
from devkit.broker import BrokerMode, EmbeddedBroker
from tests.integration.certs import CLIENT_KEY_PASSWORD, TestCerts, make_certs
from tests.integration.conftest import broker_settings, free_port


@dataclass(frozen=True)
class SecuredBroker:
    """A running secured broker: its listeners, certificates and users."""

    broker: EmbeddedBroker
    sasl_ssl: str
    """The SASL_SSL listener's address."""
    ssl: str | None
    """The mutual-TLS listener's address, when it was opened."""
    certs: TestCerts
    passwords: Mapping[str, str]

    def sasl_env(
        self, user: str = "tether", mechanism: str = "PLAIN"
    ) -> dict[str, str]:
        """tether's settings to log in as ``user`` (the bootstrap is not among them)."""
        return {
            "TETHER_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
            "TETHER_KAFKA_SSL_CAFILE": str(self.certs.ca),
            "TETHER_KAFKA_SASL_MECHANISM": mechanism,
            "TETHER_KAFKA_SASL_USERNAME": user,
            "TETHER_KAFKA_SASL_PASSWORD": self.passwords[user],
        }

    def mtls_env(self) -> dict[str, str]:
        """tether's settings for the mutual-TLS listener, with the client's
        certificate and its encrypted key."""
        return {
            "TETHER_KAFKA_SECURITY_PROTOCOL": "SSL",
            "TETHER_KAFKA_SSL_CAFILE": str(self.certs.ca),
            "TETHER_KAFKA_SSL_CERTFILE": str(self.certs.client_cert),
            "TETHER_KAFKA_SSL_KEYFILE": str(self.certs.client_key),
            "TETHER_KAFKA_SSL_KEY_PASSWORD": CLIENT_KEY_PASSWORD,
        }


@contextmanager
def secured_broker(
    home: Path,
    passwords: Mapping[str, str],
    *,
    mtls: bool = False,
    **options: Any,
) -> Iterator[SecuredBroker]:
    """Start a broker with a SASL_SSL listener for ``passwords``' users (and a
    mutual-TLS one with ``mtls``); ``options`` are more ``BrokerSettings``."""
    certs = make_certs(home / "certs")
    settings = broker_settings(home / "kafka")
    ports = _free_ports(2 if mtls else 1, {settings.port, settings.controller_port})
    update: dict[str, Any] = {
        "sasl_ssl_port": ports[0],
        "sasl_ssl_keystore": certs.keystore,
        "sasl_users": {user: SecretStr(p) for user, p in passwords.items()},
        **options,
    }
    if mtls:
        update |= {
            "ssl_port": ports[1],
            "ssl_keystore": certs.keystore,
            "ssl_truststore": certs.ca,
        }
    broker = EmbeddedBroker(settings.model_copy(update=update), mode=BrokerMode.OWNED)
    try:
        broker.start()
    except SyncError as exc:
        pytest.fail(f"could not start the secured test broker: {exc}", pytrace=False)
    ssl = f"127.0.0.1:{ports[1]}" if mtls else None
    try:
        yield SecuredBroker(broker, f"127.0.0.1:{ports[0]}", ssl, certs, passwords)
    finally:
        broker.stop()


def _free_ports(count: int, taken: set[int]) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in taken:
            ports.append(port)
            taken.add(port)
    return ports


def collect_closed_connections() -> None:
    """Collect now what an in-process command left to the garbage collector.

    aiokafka closes a refused connection's TLS transport, and asyncio may still be
    shutting TLS down when the command's event loop ends, so the socket under it
    is left to the garbage collector, which warns (ResourceWarning) whenever it
    runs: once in CI during the next test, which failed. A library's cleanup, not
    what these tests check, so it is collected, its warning dropped, around each
    command.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
