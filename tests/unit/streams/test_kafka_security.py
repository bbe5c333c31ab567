"""Kafka security settings: complete or refused with the variable to set."""

from __future__ import annotations

import pytest

from connectors.base.settings import load_settings
from connectors.errors import ConfigurationError
from streams.kafka_security import KafkaSecurity


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    import os

    for key in list(os.environ):
        if key.startswith("TETHER_KAFKA_"):
            monkeypatch.delenv(key)


def test_plaintext_needs_nothing_and_adds_nothing():
    assert load_settings(KafkaSecurity).client_options() == {
        "security_protocol": "PLAINTEXT"
    }


def test_sasl_without_a_password_names_both_variables(monkeypatch):
    monkeypatch.setenv("TETHER_KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("TETHER_KAFKA_SASL_USERNAME", "tether")
    with pytest.raises(ConfigurationError, match="TETHER_KAFKA_SASL_PASSWORD"):
        load_settings(KafkaSecurity)


def test_a_missing_ca_file_is_named(monkeypatch, tmp_path):
    monkeypatch.setenv("TETHER_KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("TETHER_KAFKA_SSL_CAFILE", str(tmp_path / "nope.pem"))
    with pytest.raises(ConfigurationError, match="TETHER_KAFKA_SSL_CAFILE: no file"):
        load_settings(KafkaSecurity)


def test_a_certificate_needs_its_key(monkeypatch, tmp_path):
    cert = tmp_path / "c.pem"
    cert.write_text("x")
    monkeypatch.setenv("TETHER_KAFKA_SSL_CERTFILE", str(cert))
    with pytest.raises(ConfigurationError, match="TETHER_KAFKA_SSL_KEYFILE"):
        load_settings(KafkaSecurity)


def test_the_password_never_shows(monkeypatch):
    monkeypatch.setenv("TETHER_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT")
    monkeypatch.setenv("TETHER_KAFKA_SASL_USERNAME", "tether")
    monkeypatch.setenv("TETHER_KAFKA_SASL_PASSWORD", "pw-8a7f")
    security = load_settings(KafkaSecurity)
    assert "pw-8a7f" not in repr(security)
    options = security.client_options()
    assert options["sasl_plain_password"] == "pw-8a7f"
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert "ssl_context" not in options


def _refused_by_alert(monkeypatch, reason: str) -> None:
    """``create_conn`` failing as aiokafka does when the broker sends a TLS alert
    after the handshake: a closed connection caused by an ``SSLError``."""
    import ssl

    from aiokafka import conn
    from aiokafka.errors import KafkaConnectionError

    async def refused(*_args, **_kwargs):
        alert = ssl.SSLError(1, f"[SSL: {reason}] alert")
        alert.reason = reason
        try:
            raise alert
        except ssl.SSLError as exc:
            msg = "Connection at 127.0.0.1:9093 closed"
            raise KafkaConnectionError(msg) from exc

    monkeypatch.setattr(conn, "create_conn", refused)


def test_a_missing_client_certificate_is_named(monkeypatch, tmp_path):
    import asyncio

    from streams.kafka_security import why_unreachable

    _refused_by_alert(monkeypatch, "SSLV3_ALERT_BAD_CERTIFICATE")
    monkeypatch.setenv("TETHER_KAFKA_SECURITY_PROTOCOL", "SSL")
    line = asyncio.run(why_unreachable("127.0.0.1:9093"))
    assert "wants a client certificate" in line
    assert "TETHER_KAFKA_SSL_CERTFILE" in line
    assert "SSLV3_ALERT_BAD_CERTIFICATE" in line


def test_a_client_certificate_the_broker_does_not_trust_is_named(monkeypatch, tmp_path):
    import asyncio

    from streams.kafka_security import why_unreachable

    cert, key = tmp_path / "c.pem", tmp_path / "k.pem"
    cert.write_text("x")
    key.write_text("x")
    _refused_by_alert(monkeypatch, "SSLV3_ALERT_CERTIFICATE_UNKNOWN")
    monkeypatch.setattr(KafkaSecurity, "ssl_context", lambda _self: None)
    monkeypatch.setenv("TETHER_KAFKA_SECURITY_PROTOCOL", "SSL")
    monkeypatch.setenv("TETHER_KAFKA_SSL_CERTFILE", str(cert))
    monkeypatch.setenv("TETHER_KAFKA_SSL_KEYFILE", str(key))
    line = asyncio.run(why_unreachable("127.0.0.1:9093"))
    assert "refused tether's client certificate" in line
    assert "SSLV3_ALERT_CERTIFICATE_UNKNOWN" in line
