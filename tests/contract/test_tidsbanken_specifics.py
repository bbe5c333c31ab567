"""Tidsbanken beyond the shared contract, against the Tidsbanken stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from connectors import Connector, build_connector
from connectors.base.protocols import SourcePage
from connectors.errors import RejectedRecordError
from connectors.tidsbanken import TidsbankenSettings
from schemas.envelope import Cursor
from standins import TidsbankenStandIn, tidsbanken_sample
from tests.contract.counting import CountingTransport


@pytest.fixture(scope="module")
def server() -> Iterator[TidsbankenStandIn]:
    with TidsbankenStandIn() as standin:
        yield standin


@pytest.fixture
def tidsbanken(server: TidsbankenStandIn) -> TidsbankenStandIn:
    server.reset()
    server.label_lag = {"Kunde": timedelta(hours=1)}
    server.wrap_single = True
    for entity, records in tidsbanken_sample(kunder=5, avdelinger=3).items():
        server.seed(entity, records)
    return server


def settings(standin: TidsbankenStandIn, **values: Any) -> TidsbankenSettings:
    options: dict[str, Any] = {
        "base_url": standin.url,
        "tb_key": SecretStr(standin.tb_key),
        "subscription_key": SecretStr(standin.subscription_key),
        "page_size": 2,
        "timeout": 5.0,
    }
    return TidsbankenSettings(**(options | values))


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
async def connector(
    tidsbanken: TidsbankenStandIn, transport: CountingTransport
) -> AsyncIterator[Connector]:
    async with build_connector(
        "tidsbanken", settings(tidsbanken), transport=transport
    ) as opened:
        yield opened


async def read(
    connector: Connector, entity: str, cursor: Cursor | None = None
) -> list[SourcePage]:
    return [page async for page in connector.source.read(entity, cursor)]


def near_now(moment: datetime) -> bool:
    return abs(moment - datetime.now(UTC)) < timedelta(seconds=5)


def test_connector_env_is_all_the_connector_needs(
    tidsbanken: TidsbankenStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in tidsbanken.connector_env().items():
        monkeypatch.setenv(name, value)
    connector = build_connector("tidsbanken")
    assert isinstance(connector.settings, TidsbankenSettings)
    assert connector.settings.clock_skew_seconds == {"Avdeling": 0.0, "Kunde": 3600.0}


@pytest.mark.parametrize("entity", ["Kunde", "Avdeling"])
async def test_both_types_read_in_full_then_only_changes(
    tidsbanken: TidsbankenStandIn, connector: Connector, entity: str
) -> None:
    pages = await read(connector, entity)
    ids = sorted(e.id for p in pages for e in p.events)
    assert ids == sorted(r["Id"] for r in tidsbanken.records(entity))
    cursor = pages[-1].cursor
    assert await read(connector, entity, cursor) == []
    key = tidsbanken.records(entity)[0]["Id"]
    tidsbanken.edit(entity, key, {"Navn": "Endret"})
    [page] = await read(connector, entity, cursor)
    [event] = page.events
    assert event.data is not None
    assert (event.id, event.data["Navn"]) == (key, "Endret")
    # Kunde's label lags an hour; corrected, the edit happened just now.
    assert near_now(event.modified_at)


async def test_the_skew_setting_follows_the_server(
    tidsbanken: TidsbankenStandIn,
) -> None:
    tidsbanken.label_lag = {"Kunde": timedelta(hours=2)}
    options = settings(tidsbanken, clock_skew_seconds={"Kunde": 7200})
    async with build_connector("tidsbanken", options) as connector:
        created = await connector.sink.create(
            "Kunde", {"Navn": "Ny"}, idempotency_key="skew"
        )
    assert near_now(created.modified_at)


@pytest.mark.parametrize("wrapped", [True, False])
async def test_single_kunde_in_either_form(
    tidsbanken: TidsbankenStandIn, connector: Connector, wrapped: bool
) -> None:
    tidsbanken.wrap_single = wrapped
    found = await connector.sink.get("Kunde", "10001")
    assert found is not None
    assert found.data is not None
    assert found.data["Id"] == "10001"


async def test_avdeling_create_is_idempotent_and_updates_patch(
    tidsbanken: TidsbankenStandIn, connector: Connector
) -> None:
    sink = connector.sink
    data = {"Navn": "Kundeservice", "Poststed": "Oslo", "Avdelingsleder": None}
    tidsbanken.lose_next(1)
    created = await sink.create("Avdeling", data, idempotency_key="flow:10:t")
    again = await sink.create("Avdeling", data, idempotency_key="flow:10:t")
    assert created.id == again.id
    assert created.id.startswith("tether-")
    assert tidsbanken.write_count("Avdeling") == 1
    updated = await sink.update("Avdeling", created.id, {"Poststed": "Bergen"})
    assert updated.data is not None
    assert (updated.data["Navn"], updated.data["Poststed"]) == (
        "Kundeservice",
        "Bergen",
    )
    assert [w.method for w in tidsbanken.writes("Avdeling")] == ["POST", "PATCH"]


async def test_kunde_updates_keep_what_they_do_not_change(
    tidsbanken: TidsbankenStandIn, connector: Connector
) -> None:
    before = tidsbanken.get("Kunde", "10002")
    written = datetime.now(UTC)
    updated = await connector.sink.update("Kunde", "10002", {"Telefon": "22334455"})
    after = tidsbanken.get("Kunde", "10002")
    assert after["Telefon"] == "22334455"
    assert after["Gateadresse"] == before["Gateadresse"]
    # The label's hour of lag is taken off: the time is the write's, not older.
    assert updated.modified_at >= written - timedelta(seconds=1)
    assert [w.method for w in tidsbanken.writes("Kunde")] == ["PUT"]


@pytest.mark.parametrize("entity", ["Kunde", "Avdeling"])
async def test_deletes_are_never_attempted(
    tidsbanken: TidsbankenStandIn,
    connector: Connector,
    transport: CountingTransport,
    entity: str,
) -> None:
    with pytest.raises(RejectedRecordError, match="cannot delete"):
        await connector.sink.delete(entity, "10001")
    assert transport.sent == []
