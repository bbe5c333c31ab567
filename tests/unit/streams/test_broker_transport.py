"""The ``idemkafka://`` transport's settings (the broker test is integration)."""

from __future__ import annotations

import faust
from faust.transport import drivers

from streams.kafka_transport import (
    IdempotentProducer,
    IdempotentTransport,
    register_transport,
)


async def test_register_transport_is_an_explicit_alias() -> None:
    assert register_transport() == register_transport() == "idemkafka"
    assert drivers.by_url("idemkafka://127.0.0.1:1") is IdempotentTransport


async def test_producer_settings_are_idempotent() -> None:
    register_transport()
    app = faust.App("unit-idem", broker="idemkafka://127.0.0.1:1")
    producer = app.producer

    assert isinstance(producer, IdempotentProducer)
    settings = {**producer._settings_default(), **producer._settings_extra()}
    assert settings["acks"] == "all"
    assert settings["enable_idempotence"] is True


async def test_plain_kafka_is_untouched() -> None:
    register_transport()
    app = faust.App("unit-plain", broker="kafka://127.0.0.1:1")
    producer = app.producer

    assert not isinstance(producer, IdempotentProducer)
    assert "enable_idempotence" not in producer._settings_extra()  # type: ignore[attr-defined]
