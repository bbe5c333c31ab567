"""``HttpSink``: refusing operations, record coordinates, paths, finds, creates."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import AwareDatetime

from connectors.base.client import HttpClient
from connectors.base.entity import EntitySpec
from connectors.base.protocols import Capabilities
from connectors.base.settings import ConnectorSettings
from connectors.base.sink import HttpSink, item_path, record_context
from connectors.errors import (
    ConfigurationError,
    RecordError,
    RejectedRecordError,
    TransientError,
    UnreadableMatchError,
)
from schemas.base import WireModel
from schemas.envelope import ChangeEvent, Operation
from tests.fakes import FakeApi, json_response

WHEN = "2024-03-01T10:00:00Z"
READ_ONLY = Capabilities(create=False, update=False, delete=False)


class Thing(WireModel):
    id: int
    n: str | None = None
    at: AwareDatetime
    gone: bool = False


ALL = Capabilities(create=True, update=True, delete=True)
THINGS = EntitySpec("Things", "things", Thing, "id", "at", ALL, deleted_field="gone")
FIXED = EntitySpec("Fixed", "fixed", Thing, "id", "at", READ_ONLY, integer_ids=True)


class DemoSink(HttpSink):
    system = "demo"
    specs = (THINGS, FIXED)

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        raise NotImplementedError

    async def update(
        self, entity: str, record_id: str, changes: dict[str, Any]
    ) -> ChangeEvent:
        raise NotImplementedError


def sink(api: FakeApi | None = None) -> DemoSink:
    transport = api.transport if api else None
    client = HttpClient(
        system="demo", base_url="https://demo.test", transport=transport
    )
    return DemoSink(client, ConnectorSettings(base_url="https://demo.test"))


@pytest.fixture
async def opened(api: FakeApi) -> AsyncIterator[DemoSink]:
    target = sink(api)
    async with target.client:
        yield target


def row(record_id: int, **fields: Any) -> dict[str, Any]:
    return {"id": record_id, "at": WHEN, **fields}


def test_a_client_of_another_system_is_a_configuration_error() -> None:
    other = HttpClient(system="other", base_url="https://x.test")
    settings = ConnectorSettings(base_url="https://x.test")
    with pytest.raises(ConfigurationError, match="demo needs a demo client"):
        DemoSink(other, settings)


def test_require_allows_what_the_api_offers() -> None:
    sink().require(THINGS, "create")


@pytest.mark.parametrize(("record_id", "which"), [("", "(new)"), ("7", "7")])
def test_require_refuses_the_rest(record_id: str, which: str) -> None:
    with pytest.raises(RejectedRecordError) as caught:
        sink().require(FIXED, "update", record_id)
    assert str(caught.value) == f"demo Fixed {which}: the API cannot update it"
    error = caught.value
    assert (error.system, error.entity, error.record_id) == ("demo", "Fixed", record_id)


def test_record_context_fills_in_missing_coordinates() -> None:
    with pytest.raises(RecordError) as caught, record_context("demo", "Things", "7"):
        raise RejectedRecordError("no")
    error = caught.value
    assert (error.system, error.entity, error.record_id) == ("demo", "Things", "7")


def test_record_context_keeps_coordinates_already_set() -> None:
    inner = RejectedRecordError("no", system="x", entity="Other", record_id="1")
    with pytest.raises(RecordError) as caught, record_context("demo", "Things", "7"):
        raise inner
    error = caught.value
    assert (error.system, error.entity, error.record_id) == ("x", "Other", "1")


def test_record_context_leaves_other_errors_alone() -> None:
    with pytest.raises(ValueError, match="boom"), record_context("demo", "Things"):
        raise ValueError("boom")


def test_item_path_escapes_the_id() -> None:
    assert item_path("v1/things", "a/b c") == "v1/things/a%2Fb%20c"
    assert HttpSink.item(THINGS, "a/b", "/delete") == "things/a%2Fb/delete"


async def pages(*listing: list[Any]) -> AsyncIterator[tuple[list[Any], Any]]:
    for rows in listing:
        yield rows, rows


async def test_matching_keeps_live_hits_and_skips_deleted_ones() -> None:
    listing = pages(
        [row(1, n="a"), row(2, n="b")],
        [row(4, n="a", gone=True), {"id": 6, "n": "a", "at": "soon", "gone": True}],
        [row(5, n="A")],
    )
    found = await sink().matching(THINGS, listing, "n", "a")
    assert [e.id for e in found] == ["1", "5"]


async def test_a_match_that_fails_validation_is_no_answer() -> None:
    # Read as "no match", a record tether cannot read would be created again.
    listing = pages(
        [row(1, n="a"), {"id": 3, "n": "A", "at": "soon"}],
        [row(2, n="b", at="later"), row(5, n="A")],
    )
    with pytest.raises(UnreadableMatchError) as caught:
        await sink().matching(THINGS, listing, "n", "a")
    error = caught.value
    assert (error.system, error.entity, error.record_id) == ("demo", "Things", "3")
    assert [e.id for e in error.found] == ["1", "5"]
    assert list(error.unreadable) == ["3"]
    assert "demo Things 3: at:" in error.unreadable["3"]
    assert "n = 'a' fail validation" in str(error)


async def test_matching_takes_its_own_test() -> None:
    listing = pages([row(1, n="a"), row(2, n="b")])
    found = await sink().matching(THINGS, listing, "n", "x", lambda r: r["id"] == 2)
    assert [e.id for e in found] == ["2"]


async def test_get_reads_the_record_or_none(api: FakeApi, opened: DemoSink) -> None:
    api.add("GET", "/things/1", json_response(row(1)))
    api.add("GET", "/things/2", json_response({}, 404))
    api.add("GET", "/things/3", json_response(row(3, gone=True)))
    got = await opened.get("Things", "1")
    assert got is not None
    assert got.modified_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    assert await opened.get("Things", "2") is None
    deleted = await opened.get("Things", "3")
    assert deleted is not None
    assert deleted.op is Operation.DELETE
    assert await opened.get("Fixed", "not-a-number") is None  # asks nothing


async def test_current_refuses_what_does_not_exist(
    api: FakeApi, opened: DemoSink
) -> None:
    api.add("GET", "/things/9", json_response({}, 404))
    with pytest.raises(RejectedRecordError, match="does not exist") as caught:
        await opened.current(THINGS, "9")
    assert (caught.value.entity, caught.value.record_id) == ("Things", "9")


async def test_delete_where_allowed_and_gone_counts_as_deleted(
    api: FakeApi, opened: DemoSink
) -> None:
    route = api.add("DELETE", "/things/1", json_response({}, 404))
    await opened.delete("Things", "1")
    assert route.calls == 1
    with pytest.raises(RejectedRecordError, match="cannot delete"):
        await opened.delete("Fixed", "1")


async def test_create_once_returns_a_live_record_holding_the_id(
    api: FakeApi, opened: DemoSink
) -> None:
    lookup = api.add(
        "GET",
        "/things/7",
        json_response({}, 404),
        json_response(row(7)),
        json_response(row(7)),
    )
    posts: list[str] = []

    async def lost() -> ChangeEvent:
        posts.append("lost")
        msg = "demo POST /things: outcome unknown"
        raise TransientError(msg)

    settled = await opened.create_once("Things", "7", lost)
    assert (settled.id, posts, lookup.calls) == ("7", ["lost"], 2)
    replayed = await opened.create_once("Things", "7", lost)
    assert (replayed.id, posts, lookup.calls) == ("7", ["lost"], 3)


async def test_create_once_raises_when_nothing_holds_the_id(
    api: FakeApi, opened: DemoSink
) -> None:
    api.add("GET", "/things/7", json_response(row(7, gone=True)))

    async def refused() -> ChangeEvent:
        msg = "demo POST /things -> 409: rejected"
        raise RejectedRecordError(msg)

    with pytest.raises(RejectedRecordError, match="409"):
        await opened.create_once("Things", "7", refused, look_first=False)
