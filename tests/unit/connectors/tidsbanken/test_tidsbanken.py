"""Tidsbanken connector: gateway headers, skewed times, $skip paging, client ids."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import orjson
import pytest
from pydantic import SecretStr

from connectors.base.client import HttpClient
from connectors.base.protocols import SourcePage
from connectors.errors import FatalError, MalformedResponseError, RejectedRecordError
from connectors.tidsbanken import (
    TidsbankenSettings,
    TidsbankenSink,
    TidsbankenSource,
    build_client,
    derived_id,
    odata_time,
)
from schemas.envelope import Cursor
from tests.fakes import FakeApi, json_response
from tests.unit.connectors.conftest import Sleeps

TB_KEY, APIM_KEY = "tb-key-secret", "apim-key-secret"
LABEL = datetime(2024, 3, 1, 10, tzinfo=UTC)


def settings(**values: Any) -> TidsbankenSettings:
    options: dict[str, Any] = {
        "base_url": "https://tb.test",
        "tb_key": SecretStr(TB_KEY),
        "subscription_key": SecretStr(APIM_KEY),
        "page_size": 2,
        "max_attempts": 1,
    }
    return TidsbankenSettings(**(options | values))


def odata(rows: list[Any]) -> dict[str, Any]:
    return {"@odata.context": "https://tb.test/prosjekt/$metadata#Kunde", "value": rows}


def kunde(number: str, seconds: float = 0, **fields: Any) -> dict[str, Any]:
    label = LABEL + timedelta(seconds=seconds)
    return {
        "Id": number,
        "Navn": f"Kunde {number}",
        "SistEndretDato": odata_time(label),
        **fields,
    }


def body(request: httpx.Request) -> Any:
    return orjson.loads(request.content)


@pytest.fixture
async def client(api: FakeApi, sleeps: Sleeps) -> AsyncIterator[HttpClient]:
    async with build_client(settings(), transport=api.transport, sleep=sleeps) as c:
        yield c


async def read_all(
    client: HttpClient, entity: str, cursor: Cursor | None = None
) -> list[SourcePage]:
    source = TidsbankenSource(client, settings())
    return [page async for page in source.read(entity, cursor)]


async def test_every_request_carries_the_gateway_headers(
    api: FakeApi, client: HttpClient
) -> None:
    route = api.add("GET", "/prosjekt/Kunde", json_response(odata([])))
    assert await read_all(client, "Kunde") == []
    headers = route.requests[0].headers
    assert (headers["tb-key"], headers["ocp-apim-subscription-key"]) == (
        TB_KEY,
        APIM_KEY,
    )
    assert headers["x-api-version"] == "3.0"
    assert TB_KEY not in repr(client.auth)
    assert TB_KEY not in repr(settings())


async def test_kunde_labels_are_an_hour_behind_and_corrected(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [kunde("1", 0), kunde("2", 1), kunde("3", 2)]
    route = api.add(
        "GET",
        "/prosjekt/Kunde",
        json_response(odata(rows[:2])),
        json_response(odata(rows[1:])),
        json_response(odata(rows[2:])),
    )
    pages = await read_all(client, "Kunde")
    events = [e for p in pages for e in p.events]
    assert [e.id for e in events] == ["1", "2", "3"]
    assert events[0].modified_at == LABEL + timedelta(hours=1)
    assert events[0].data is not None
    assert events[0].data["SistEndretDato"] == "2024-03-01T10:00:00Z"  # as sent
    last = pages[-1].cursor
    assert last.since == LABEL + timedelta(hours=1, seconds=2)
    first = dict(route.requests[0].url.params)
    assert first == {"$orderby": "SistEndretDato asc,Id asc", "$top": "2", "$skip": "0"}
    # The cursor moved on page one: ask again from it, in label time, 1 ms early.
    again = route.requests[1].url.params
    assert again["$filter"] == "SistEndretDato gt 2024-03-01T10:00:00.999Z"
    assert again["$skip"] == "0"


async def test_avdeling_has_no_skew_and_a_short_page_ends_the_read(
    api: FakeApi, client: HttpClient
) -> None:
    row = {"Id": "10", "Navn": "Salg", "SistEndretDato": odata_time(LABEL)}
    api.add("GET", "/ansatt/avdeling", json_response(odata([row])))
    [page] = await read_all(client, "Avdeling")
    assert page.events[0].modified_at == LABEL


async def test_rows_older_than_the_cursor_are_not_published_again(
    api: FakeApi, client: HttpClient
) -> None:
    older = kunde("1", -0.0005)
    api.add(
        "GET",
        "/prosjekt/Kunde",
        json_response(odata([older, kunde("2", 0)])),
        json_response(odata([])),
    )
    cursor = Cursor(since=LABEL + timedelta(hours=1), boundary_ids=("2",))
    assert await read_all(client, "Kunde", cursor) == []


async def test_a_server_ignoring_skip_is_fatal(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/prosjekt/Kunde", json_response(odata([kunde("1"), kunde("2")])))
    cursor = Cursor(since=LABEL + timedelta(hours=1), boundary_ids=("1", "2"))
    with pytest.raises(FatalError, match="repeats"):
        await read_all(client, "Kunde", cursor)


async def test_bad_rows_and_bad_bodies(api: FakeApi, client: HttpClient) -> None:
    api.add(
        "GET",
        "/prosjekt/Kunde",
        json_response(odata([{"Id": "9", "SistEndretDato": "soon"}, kunde("1")])),
        json_response(odata([])),
        json_response({"value": "nope"}),
    )
    [page] = await read_all(client, "Kunde")
    assert [b.record_id for b in page.bad_records] == ["9"]
    assert [e.id for e in page.events] == ["1"]
    with pytest.raises(MalformedResponseError, match="value"):
        await read_all(client, "Kunde")


@pytest.mark.parametrize("wrapped", [True, False])
async def test_get_kunde_accepts_both_forms(
    api: FakeApi, client: HttpClient, wrapped: bool
) -> None:
    row = kunde("O'B")
    reply = odata([row]) if wrapped else {"@odata.context": "x", **row}
    route = api.add("GET", "/prosjekt/Kunde('O''B')", json_response(reply))
    event = await TidsbankenSink(client, settings()).get("Kunde", "O'B")
    assert event is not None
    assert event.id == "O'B"
    assert event.modified_at == LABEL + timedelta(hours=1)
    assert route.calls == 1


async def test_get_missing_and_avdeling_by_filter(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/prosjekt/Kunde('404')", json_response({"error": {}}, 404))
    route = api.add("GET", "/ansatt/avdeling", json_response(odata([])))
    sink = TidsbankenSink(client, settings())
    assert await sink.get("Kunde", "404") is None
    assert await sink.get("Avdeling", "10") is None
    assert route.requests[0].url.params["$filter"] == "Id eq '10'"


async def test_create_derives_the_id_and_drops_nulls(
    api: FakeApi, client: HttpClient
) -> None:
    new_id = derived_id("tether-", "flow:1:t")
    path = f"/prosjekt/Kunde('{new_id}')"
    api.add("GET", path, json_response({"error": {}}, 404))
    post = api.add("POST", "/prosjekt/Kunde", json_response(kunde(new_id), 201))
    data = {"Navn": "Ny", "Epost": None, "SistEndretDato": "x"}
    event = await TidsbankenSink(client, settings()).create(
        "Kunde", data, idempotency_key="flow:1:t"
    )
    assert event.id == new_id == derived_id("tether-", "flow:1:t")
    assert new_id.startswith("tether-")
    assert body(post.requests[0]) == {"Navn": "Ny", "Id": new_id}


async def test_a_create_replayed_or_lost_settles_on_the_id(
    api: FakeApi, client: HttpClient
) -> None:
    lookup = api.add(
        "GET",
        "/prosjekt/Kunde('7')",
        json_response({"error": {}}, 404),
        json_response(odata([kunde("7")])),
    )
    post = api.add("POST", "/prosjekt/Kunde", json_response({}, 502))
    sink = TidsbankenSink(client, settings())
    first = await sink.create("Kunde", {"Id": "7", "Navn": "A"}, idempotency_key="k")
    assert first.id == "7"
    replay = await sink.create("Kunde", {"Id": "7", "Navn": "A"}, idempotency_key="k")
    assert replay.id == "7"
    assert (post.calls, lookup.calls) == (1, 3)


async def test_a_refused_create_of_a_missing_id_is_raised(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/ansatt/avdeling", json_response(odata([])))
    api.add("POST", "/ansatt/Avdeling", json_response({"error": {}}, 400))
    with pytest.raises(RejectedRecordError) as caught:
        await TidsbankenSink(client, settings()).create(
            "Avdeling", {"Id": "10", "Navn": "Salg"}, idempotency_key="k"
        )
    assert (caught.value.entity, caught.value.record_id) == ("Avdeling", "10")


async def test_kunde_updates_put_an_array_of_the_merged_object(
    api: FakeApi, client: HttpClient
) -> None:
    current = kunde("7", Poststed="Oslo") | {"@odata.etag": "x"}
    api.add(
        "GET",
        "/prosjekt/Kunde('7')",
        json_response(odata([current])),
        json_response(odata([current | {"Navn": "B"}])),
    )
    put = api.add("PUT", "/prosjekt/Kunde", json_response(odata([])))
    event = await TidsbankenSink(client, settings()).update(
        "Kunde", "7", {"Navn": "B", "Id": "8"}
    )
    assert body(put.requests[0]) == [{"Id": "7", "Navn": "B", "Poststed": "Oslo"}]
    assert event.data is not None
    assert event.data["Navn"] == "B"


async def test_avdeling_updates_patch_the_changes(
    api: FakeApi, client: HttpClient
) -> None:
    row = {"Id": "10", "Navn": "Nord", "SistEndretDato": odata_time(LABEL)}
    patch = api.add("PATCH", "/ansatt/Avdeling/10", json_response(row))
    api.add("GET", "/ansatt/avdeling", json_response(odata([row])))
    event = await TidsbankenSink(client, settings()).update(
        "Avdeling", "10", {"Navn": "Nord", "SistEndretDato": "x"}
    )
    assert body(patch.requests[0]) == {"Navn": "Nord"}
    assert event.id == "10"


async def test_find_filters_a_listing_case_insensitively(
    api: FakeApi, client: HttpClient
) -> None:
    rows = [kunde("1") | {"Organisasjonsnummer": "912345678"}, kunde("2")]

    def listing(request: httpx.Request) -> httpx.Response:
        first = request.url.params["$skip"] == "0"
        return json_response(odata(rows if first else []))

    api.add("GET", "/prosjekt/Kunde", listing)
    api.add("GET", "/prosjekt/Kunde('2')", json_response(odata([rows[1]])))
    sink = TidsbankenSink(client, settings())
    found = await sink.find("Kunde", "Organisasjonsnummer", "912345678")
    assert [e.id for e in found] == ["1"]
    assert [e.id for e in await sink.find("Kunde", "Navn", "KUNDE 2")] == ["2"]
    assert [e.id for e in await sink.find("Kunde", "Id", "2")] == ["2"]
    assert await sink.find("Kunde", "Navn", None) == []


async def test_nothing_is_deleted_and_updates_need_the_entity(
    api: FakeApi, client: HttpClient
) -> None:
    api.add("GET", "/prosjekt/Kunde('7')", json_response({}, 404))
    sink = TidsbankenSink(client, settings())
    assert not sink.capabilities("Kunde").delete
    with pytest.raises(RejectedRecordError, match="cannot delete"):
        await sink.delete("Kunde", "7")
    with pytest.raises(RejectedRecordError, match="does not exist"):
        await sink.update("Kunde", "7", {"Navn": "x"})


def test_clock_skew_settings_come_from_json() -> None:
    assert settings().clock_skew_seconds == {"Kunde": 3600.0, "Avdeling": 0.0}
    custom = TidsbankenSettings.load(
        tb_key="t", subscription_key="s", clock_skew_seconds={"Kunde": 0}
    )
    assert custom.clock_skew_seconds == {"Kunde": 0.0}
