"""Membercare beyond the shared contract, against the Membercare stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pydantic import SecretStr

from connectors import Connector, build_connector
from connectors.base.protocols import SourcePage
from connectors.errors import RejectedRecordError
from connectors.membercare import MembercareSettings
from schemas.envelope import Cursor, Operation
from standins import MembercareStandIn, membercare_sample
from tests.contract.counting import CountingTransport


@pytest.fixture(scope="module")
def server() -> Iterator[MembercareStandIn]:
    with MembercareStandIn() as standin:
        yield standin


@pytest.fixture
def membercare(server: MembercareStandIn) -> MembercareStandIn:
    server.reset()
    for resource, records in membercare_sample(
        companies=5, persons=4, organizations=3, invoices=4
    ).items():
        server.seed(resource, records)
    return server


@pytest.fixture
def transport() -> CountingTransport:
    return CountingTransport()


@pytest.fixture
async def connector(
    membercare: MembercareStandIn, transport: CountingTransport
) -> AsyncIterator[Connector]:
    settings = MembercareSettings(
        base_url=f"{membercare.url}/api",
        api_key=SecretStr(membercare.api_key),
        person_to_impersonate=membercare.api_user,
        page_size=3,
        timeout=5.0,
    )
    async with build_connector("membercare", settings, transport=transport) as opened:
        yield opened


async def read(
    connector: Connector, entity: str, cursor: Cursor | None = None
) -> list[SourcePage]:
    return [page async for page in connector.source.read(entity, cursor)]


def events(pages: list[Any]) -> list[Any]:
    return [event for page in pages for event in page.events]


def test_connector_env_is_all_the_connector_needs(
    membercare: MembercareStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in membercare.connector_env().items():
        monkeypatch.setenv(name, value)
    connector = build_connector("membercare")
    assert connector.settings.base_url == f"{membercare.url}/api"


@pytest.mark.parametrize(
    ("entity", "resource"),
    [("Companies", "Companies"), ("Persons", "Persons"),
     ("Organizations", "Organizations"), ("Invoices", "Invoices"),
     ("Products", "Products"), ("Countries", "Countries")],
)  # fmt: skip
async def test_every_type_reads_in_full_then_only_changes(
    membercare: MembercareStandIn, connector: Connector, entity: str, resource: str
) -> None:
    pages = await read(connector, entity)
    ids = sorted(e.id for e in events(pages))
    stored = sorted(
        str(membercare.id_of(resource, r)) for r in membercare.records(resource)
    )
    assert ids == stored
    assert all(page.cursor.since is not None for page in pages)
    cursor = pages[-1].cursor
    assert await read(connector, entity, cursor) == []
    first = membercare.records(resource)[0]
    key = membercare.id_of(resource, first)
    field, value = {
        "Persons": ("lastname", "Endret"),
        "Companies": ("companyName", "Endret"),
        "Invoices": ("financeStatus", 3),
    }.get(entity, ("name", "Endret"))
    membercare.edit(resource, key, {field: value})
    [changed] = events(await read(connector, entity, cursor))
    assert (changed.id, changed.data[field]) == (str(key), value)


async def test_local_times_become_utc(
    membercare: MembercareStandIn, connector: Connector
) -> None:
    membercare.reset()
    membercare.seed(
        "Companies", [{"companyName": "Sommer AS", "lastChange": "2024-07-01T12:00:00"}]
    )
    [event] = events(await read(connector, "Companies"))
    assert event.modified_at == datetime(2024, 7, 1, 10, tzinfo=UTC)
    before = datetime.now(UTC)
    updated = await connector.sink.update(
        "Companies", event.id, {"companyName": "Høst"}
    )
    after = datetime.now(UTC)
    # The stand-in writes local time without an offset; read as Oslo time it is
    # the time of the write (give or take a second: the stand-in's clock is
    # truncated and strictly increasing), not an hour off.
    second = timedelta(seconds=1)
    assert before - second <= updated.modified_at <= after + second


async def test_vanished_records_are_deleted_but_never_all_at_once(
    membercare: MembercareStandIn, connector: Connector
) -> None:
    cursor = (await read(connector, "Organizations"))[-1].cursor
    membercare.store.remove("Organizations", "0301")
    gone = events(await read(connector, "Organizations", cursor))
    assert [(e.id, e.op) for e in gone] == [("0301", Operation.DELETE)]
    cursor = (await read(connector, "Invoices"))[-1].cursor
    for record in membercare.records("Invoices"):
        membercare.store.remove("Invoices", record["id"])
    assert await read(connector, "Invoices", cursor) == []


REFUSED = [
    ("Products", "create"), ("Products", "update"), ("Countries", "create"),
    ("Countries", "update"), ("Invoices", "create"), ("Companies", "delete"),
    ("Persons", "delete"), ("Organizations", "delete"), ("Invoices", "delete"),
]  # fmt: skip


@pytest.mark.parametrize(("entity", "operation"), REFUSED)
async def test_refused_writes_are_never_attempted(
    membercare: MembercareStandIn,
    connector: Connector,
    transport: CountingTransport,
    entity: str,
    operation: str,
) -> None:
    sink = connector.sink
    assert not getattr(sink.capabilities(entity), operation)
    calls: dict[str, Callable[[], Awaitable[object]]] = {
        "create": lambda: sink.create(entity, {"name": "x"}, idempotency_key="k"),
        "update": lambda: sink.update(entity, "1", {"name": "x"}),
        "delete": lambda: sink.delete(entity, "1"),
    }
    with pytest.raises(RejectedRecordError, match=f"cannot {operation}"):
        await calls[operation]()
    assert transport.sent == []
    assert membercare.write_count() == 0


async def test_countries_are_matched_not_created(connector: Connector) -> None:
    sink = connector.sink
    assert sink.capabilities("Countries").lookup_only
    for field, value in [("name", "Norge"), ("name", "Norway"), ("iso2Letter", "NO")]:
        assert [e.id for e in await sink.find("Countries", field, value)] == ["NO"]
    assert await sink.find("Countries", "name", "Atlantis") == []


async def test_contacts_become_persons_and_edits_go_through_person_patch(
    membercare: MembercareStandIn, connector: Connector
) -> None:
    sink = connector.sink
    data = {"externalId": "p-200", "firstname": "Kari", "lastname": "Nordmann"}
    created = await sink.create("Persons", data, idempotency_key="k")
    assert [e.id for e in await sink.find("Persons", "externalId", "p-200")] == [
        created.id
    ]
    updated = await sink.update("Persons", created.id, {"firstname": "Karianne"})
    assert updated.data is not None
    assert updated.data["name"] == "Karianne Nordmann"
    assert membercare.get("Persons", created.id)["firstname"] == "Karianne"
    assert [w.method for w in membercare.writes("Persons")] == ["POST", "PATCH"]


async def test_company_edits_from_a_webshop_customer(
    membercare: MembercareStandIn, connector: Connector
) -> None:
    sink = connector.sink
    changes = {
        "companyName": "Fjord Bygg og Anlegg AS",
        "addresses": {"0": {"street": "Lillegata", "postalCode": {"zipCode": "5003",
                                                                  "city": "Bergen"},
                            "country": {"iso2Letter": "SE"}}},
    }  # fmt: skip
    updated = await sink.update("Companies", "1001", changes)
    assert updated.data is not None
    address = updated.data["addresses"][0]
    assert (address["street"], address["postalCode"]["zipCode"]) == (
        "Lillegata",
        "5003",
    )
    assert address["country"]["name"] == "Sverige"
    assert (
        updated.data["einvoiceEmail"]
        == membercare_sample()["Companies"][0]["einvoiceEmail"]
    )
    writes_before = membercare.write_count()
    with pytest.raises(RejectedRecordError, match="businessNumbers"):
        await sink.update("Companies", "1001", {"businessNumbers": {"vat": "NO1MVA"}})
    assert membercare.write_count() == writes_before


async def test_invoices_take_only_a_finance_status(
    membercare: MembercareStandIn, connector: Connector
) -> None:
    updated = await connector.sink.update("Invoices", "90001", {"financeStatus": 3})
    assert updated.data is not None
    assert updated.data["financeStatus"] == 3
    with pytest.raises(RejectedRecordError, match="invoiceItems"):
        await connector.sink.update("Invoices", "90001", {"invoiceItems": []})
    assert membercare.write_count("Invoices") == 1


async def test_expired_tokens_are_renewed(
    membercare: MembercareStandIn, connector: Connector
) -> None:
    assert await connector.sink.get("Companies", "1001") is not None
    membercare.expire_tokens()
    assert await connector.sink.get("Companies", "1001") is not None


LONG = "Lang tekst " * 8
"""88 characters: more than the 60 the limit tests allow, less than the default."""


async def read_limited(
    standin: MembercareStandIn, entity: str, **limits: Any
) -> tuple[list[str], dict[str, str]]:
    """Event ids and bad record reasons of a full read with ``limits`` set."""
    settings = MembercareSettings(
        base_url=f"{standin.url}/api",
        api_key=SecretStr(standin.api_key),
        person_to_impersonate=standin.api_user,
        page_size=3,
        timeout=5.0,
        **limits,
    )
    async with build_connector("membercare", settings) as opened:
        pages = await read(opened, entity)
    bad = {b.record_id: b.reason for p in pages for b in p.bad_records}
    return sorted(events_ids(pages)), bad


def events_ids(pages: list[SourcePage]) -> list[str]:
    return [event.id for page in pages for event in page.events]


@pytest.mark.parametrize(
    ("entity", "good", "long"),
    [
        ("Companies", {"companyName": "Kort AS"}, {"companyName": LONG}),
        (
            "Organizations",
            {"identificationNumber": "0101", "name": "Kort lag"},
            {"identificationNumber": "0102", "name": LONG},
        ),
    ],
)
async def test_text_longer_than_the_settings_allow_is_a_bad_record(
    server: MembercareStandIn,
    entity: str,
    good: dict[str, Any],
    long: dict[str, Any],
) -> None:
    server.reset()
    kept, refused = (
        str(server.id_of(entity, r)) for r in server.seed(entity, [good, long])
    )
    events, bad = await read_limited(server, entity, max_text_chars=60)
    assert events == [kept]
    assert list(bad) == [refused]
    assert "more than the limit of 60" in bad[refused]
    # The default limit lets both through: the refusal is the setting's doing.
    assert await read_limited(server, entity) == (sorted([kept, refused]), {})


async def test_a_change_further_ahead_than_the_settings_allow_is_a_bad_record(
    server: MembercareStandIn,
) -> None:
    server.reset()
    oslo = ZoneInfo("Europe/Oslo")
    ahead = datetime.now(oslo) + timedelta(hours=2)
    local = ahead.replace(tzinfo=None).isoformat(timespec="milliseconds")
    seeded = server.seed(
        "Companies",
        [{"companyName": "Nå AS"}, {"companyName": "Snart AS", "lastChange": local}],
    )
    now, soon = (str(server.id_of("Companies", r)) for r in seeded)
    events, bad = await read_limited(server, "Companies", max_future_seconds=600)
    assert events == [now]
    assert list(bad) == [soon]
    assert "lastChange" in bad[soon]
    assert "in the future" in bad[soon]
    assert await read_limited(server, "Companies") == (sorted([now, soon]), {})
