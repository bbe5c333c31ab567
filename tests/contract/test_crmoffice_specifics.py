"""Crmoffice beyond the shared contract: its assumptions switched off, OAuth modes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr

from connectors import Connector, build_connector
from connectors.base.protocols import SourcePage
from connectors.crmoffice import CrmofficeSettings
from connectors.errors import RejectedRecordError
from schemas.envelope import Cursor, Operation
from standins import CrmofficeStandIn, crmoffice_sample
from tests.contract.counting import CountingTransport


@pytest.fixture(scope="module")
def server() -> Iterator[CrmofficeStandIn]:
    with CrmofficeStandIn() as standin:
        yield standin


@pytest.fixture
def crmoffice(server: CrmofficeStandIn) -> CrmofficeStandIn:
    server.reset()
    server.oauth.rotate_refresh_tokens = False
    for resource, records in crmoffice_sample(
        companies=5, contacts=4, activities=3
    ).items():
        server.seed(resource, records)
    return server


def settings(standin: CrmofficeStandIn, **values: Any) -> CrmofficeSettings:
    options: dict[str, Any] = {
        "base_url": standin.url,
        "client_id": standin.oauth.client_id,
        "client_secret": SecretStr(standin.oauth.client_secret),
        "page_size": 2,
        "timeout": 5.0,
    }
    return CrmofficeSettings(**(options | values))


async def read(
    connector: Connector, entity: str, cursor: Cursor | None = None
) -> list[SourcePage]:
    return [page async for page in connector.source.read(entity, cursor)]


def ids(pages: list[Any]) -> list[str]:
    return sorted(event.id for page in pages for event in page.events)


def test_connector_env_is_all_the_connector_needs(
    crmoffice: CrmofficeStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in crmoffice.connector_env().items():
        monkeypatch.setenv(name, value)
    assert build_connector("crmoffice").settings.base_url == crmoffice.url


@pytest.mark.parametrize("entity", ["Companies", "Contacts", "Activities"])
async def test_every_type_reads_with_free_text_countries(
    crmoffice: CrmofficeStandIn, entity: str
) -> None:
    async with build_connector("crmoffice", settings(crmoffice)) as connector:
        pages = await read(connector, entity)
    assert ids(pages) == sorted(r["id"] for r in crmoffice.records(entity))
    if entity == "Activities":
        countries = {
            (e.data or {})["address"]["country"] for p in pages for e in p.events
        }
        assert countries - {None, ""}


@pytest.mark.parametrize(
    "switches",
    [
        {"updated_since": False},
        {"paging": False},
        {"updated_since": False, "paging": False},
    ],
)
async def test_without_the_assumptions_reads_still_see_each_change_once(
    crmoffice: CrmofficeStandIn, switches: dict[str, bool]
) -> None:
    crmoffice.supports_updated_since = switches.get("updated_since", True)
    crmoffice.supports_paging = switches.get("paging", True)
    options = settings(crmoffice, **switches)
    async with build_connector("crmoffice", options) as connector:
        pages = await read(connector, "Companies")
        assert ids(pages) == sorted(r["id"] for r in crmoffice.records("Companies"))
        cursor = pages[-1].cursor
        assert await read(connector, "Companies", cursor) == []
        crmoffice.edit("Companies", "c-101", {"name": "Endret AS"})
        changed = await read(connector, "Companies", cursor)
        assert [(e.id, (e.data or {})["name"]) for p in changed for e in p.events] == [
            ("c-101", "Endret AS")
        ]
        if not switches.get("updated_since", True):
            crmoffice.store.remove("Companies", "c-102")
            gone = await read(connector, "Companies", changed[-1].cursor)
            assert [(e.id, e.op) for p in gone for e in p.events] == [
                ("c-102", Operation.DELETE)
            ]


async def test_a_server_that_ignores_paging_is_read_once(
    crmoffice: CrmofficeStandIn,
) -> None:
    crmoffice.supports_paging = False
    async with build_connector("crmoffice", settings(crmoffice)) as connector:
        assert len(ids(await read(connector, "Contacts"))) == 4


async def test_without_writes_every_type_is_lookup_only_and_never_written(
    crmoffice: CrmofficeStandIn,
) -> None:
    crmoffice.supports_writes = False
    transport = CountingTransport()
    options = settings(crmoffice, writes=False)
    async with build_connector("crmoffice", options, transport=transport) as connector:
        for entity in connector.source.entities():
            assert connector.sink.capabilities(entity).lookup_only
            with pytest.raises(RejectedRecordError, match="cannot create"):
                await connector.sink.create(entity, {"name": "x"}, idempotency_key="k")
            with pytest.raises(RejectedRecordError, match="cannot update"):
                await connector.sink.update(entity, "c-100", {"name": "x"})
        found = await connector.sink.find("Companies", "id", "c-100")
        assert [e.id for e in found] == ["c-100"]
    assert transport.writes() == [("POST", "/connect/token")]
    assert crmoffice.write_count() == 0


@pytest.mark.parametrize("rotate", [False, True])
async def test_refresh_tokens_survive_expiry_and_rotation(
    crmoffice: CrmofficeStandIn, rotate: bool
) -> None:
    crmoffice.oauth.rotate_refresh_tokens = rotate
    consent = SecretStr(crmoffice.oauth.consent())
    options = settings(crmoffice, refresh_token=consent)
    async with build_connector("crmoffice", options) as connector:
        assert await connector.sink.get("Companies", "c-100") is not None
        crmoffice.expire_tokens()
        assert await connector.sink.get("Companies", "c-100") is not None


async def test_contact_edits_from_membercare_persons(
    crmoffice: CrmofficeStandIn,
) -> None:
    async with build_connector("crmoffice", settings(crmoffice)) as connector:
        updated = await connector.sink.update(
            "Contacts", "p-200", {"givenName": "Kari"}
        )
    stored = crmoffice.get("Contacts", "p-200")
    assert stored["givenName"] == "Kari"
    assert (
        stored["company"]
        == crmoffice_sample(companies=5, contacts=4)["Contacts"][0]["company"]
    )
    assert updated.data is not None
    assert updated.data["givenName"] == "Kari"


LONG = "Lang tekst " * 8
"""88 characters: more than the 60 the limit tests allow, less than the default."""


async def read_limited(
    crmoffice: CrmofficeStandIn, **values: Any
) -> tuple[list[str], dict[str, str]]:
    """Event ids and bad record reasons of a full read of companies."""
    async with build_connector("crmoffice", settings(crmoffice, **values)) as opened:
        pages = await read(opened, "Companies")
    bad = {b.record_id: b.reason for p in pages for b in p.bad_records}
    return ids(pages), bad


@pytest.mark.parametrize("updated_since", [True, False])
async def test_records_beyond_the_settings_limits_are_bad_records(
    crmoffice: CrmofficeStandIn, updated_since: bool
) -> None:
    crmoffice.reset()
    crmoffice.supports_updated_since = updated_since
    ahead = datetime.now(UTC) + timedelta(hours=2)
    stamp = ahead.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    seeded = crmoffice.seed(
        "Companies",
        [{"name": "Kort AS"}, {"name": LONG}, {"name": "Snart AS", "updatedAt": stamp}],
    )
    short, long, soon = (r["id"] for r in seeded)
    limits = {"max_text_chars": 60, "max_future_seconds": 600}
    events, bad = await read_limited(crmoffice, updated_since=updated_since, **limits)
    assert "more than the limit of 60" in bad.pop(long)
    if updated_since:
        assert events == [short]
        assert "updatedAt" in bad[soon]
        assert "in the future" in bad.pop(soon)
    else:
        # Without the assumption the stand-in sends no times: seen now, it flows.
        assert events == sorted([short, soon])
    assert bad == {}
    # The default limits let all of them through: the refusals are the settings'.
    everything = await read_limited(crmoffice, updated_since=updated_since)
    assert everything == (sorted([short, long, soon]), {})
