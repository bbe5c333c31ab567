"""The connector contract, run for every system in ``connectors.REGISTRY``.

Each connector talks to its real stand-in server: paging ends, every event
validates, the cursor only moves forward, incremental reads see edits once,
sinks create/get/find/update/delete, lost responses never duplicate, and
statuses map to the intended error classes.
"""

from __future__ import annotations

import pytest

from connectors import Connector
from connectors.base.protocols import SourcePage
from connectors.errors import (
    AuthenticationError,
    RateLimitedError,
    RejectedRecordError,
    SyncError,
    TransientError,
)
from schemas.envelope import ChangeEvent, Cursor, Operation
from standins import StandIn
from tests.contract.conftest import Open
from tests.contract.harness import DELETABLE_RECORD, Harness


async def read_all(
    connector: Connector, entity: str, cursor: Cursor | None = None
) -> list[SourcePage]:
    return [page async for page in connector.source.read(entity, cursor)]


def event_ids(pages: list[SourcePage]) -> list[str]:
    return [event.id for page in pages for event in page.events]


def stored_ids(standin: StandIn, harness: Harness) -> list[str]:
    return [
        str(standin.id_of(harness.resource, r))
        for r in standin.records(harness.resource)
    ]


async def test_full_read_pages_to_the_end_once_per_record(
    harness: Harness, standin: StandIn, connector: Connector
) -> None:
    standin.seed(harness.resource, [harness.record(i) for i in range(1, 6)])
    pages = await read_all(connector, harness.entity)
    ids = event_ids(pages)
    assert sorted(ids) == sorted(stored_ids(standin, harness))
    assert len(ids) == len(set(ids)) == 5
    for page in pages:
        for event in page.events:
            assert ChangeEvent.model_validate_json(event.model_dump_json()) == event
            assert (event.system, event.entity) == (harness.system, harness.entity)
            assert event.data is not None
    sinces = [page.cursor.since for page in pages]
    assert all(s is not None for s in sinces)
    assert sinces == sorted(sinces)  # type: ignore[type-var]
    newest = max(e.modified_at for p in pages for e in p.events)
    assert pages[-1].cursor.since == newest


async def test_records_sharing_one_instant_are_each_read_once(
    harness: Harness, standin: StandIn, connector: Connector
) -> None:
    same = {harness.time_field: harness.instant}
    standin.seed(harness.resource, [harness.record(i) | same for i in range(1, 6)])
    pages = await read_all(connector, harness.entity)
    assert sorted(event_ids(pages)) == sorted(stored_ids(standin, harness))
    assert len(pages[-1].cursor.boundary_ids) == 5


async def test_incremental_read_sees_an_edit_once(
    harness: Harness, standin: StandIn, connector: Connector
) -> None:
    standin.seed(harness.resource, [harness.record(i) for i in range(1, 4)])
    cursor = (await read_all(connector, harness.entity))[-1].cursor
    assert await read_all(connector, harness.entity, cursor) == []
    edited = stored_ids(standin, harness)[0]
    standin.edit(harness.resource, edited, harness.change)
    pages = await read_all(connector, harness.entity, cursor)
    assert event_ids(pages) == [edited]
    [event] = pages[0].events
    assert cursor.since is not None
    assert event.modified_at > cursor.since
    assert event.data is not None
    for name, value in harness.change.items():
        assert event.data[name] == value
    assert await read_all(connector, harness.entity, pages[-1].cursor) == []


async def test_a_malformed_row_is_a_bad_record_and_the_rest_flows(
    harness: Harness, standin: StandIn, connector: Connector
) -> None:
    standin.seed(harness.resource, [harness.record(i) for i in range(1, 3)])
    standin.inject_raw(harness.resource, harness.bad_row)
    pages = await read_all(connector, harness.entity)
    bad = [b for page in pages for b in page.bad_records]
    assert [b.record_id for b in bad] == [
        str(standin.id_of(harness.resource, harness.bad_row))
    ]
    assert bad[0].system == harness.system
    assert len(event_ids(pages)) == 2


async def test_create_get_find_update(
    harness: Harness, standin: StandIn, connector: Connector
) -> None:
    sink = connector.sink
    assert sink.capabilities(harness.entity).create
    created = await sink.create(harness.entity, harness.new, idempotency_key="c-1")
    assert standin.write_count(harness.resource) == 1
    assert created.data is not None
    for name, value in harness.new.items():
        assert created.data[name] == value

    got = await sink.get(harness.entity, created.id)
    assert got is not None
    assert got.data == created.data
    assert await sink.get(harness.entity, "987654") is None

    key = harness.new[harness.key_field]
    found = await sink.find(harness.entity, harness.key_field, key)
    assert [event.id for event in found] == [created.id]
    assert await sink.find(harness.entity, harness.key_field, "no such key") == []

    updated = await sink.update(harness.entity, created.id, harness.change)
    assert updated.id == created.id
    assert updated.data is not None
    for name, value in harness.change.items():
        assert updated.data[name] == value
    assert updated.data[harness.kept] == harness.new[harness.kept]
    assert updated.modified_at > created.modified_at
    stored = standin.get(harness.resource, created.id)
    assert stored[harness.kept] == harness.new[harness.kept]


async def test_a_create_repeated_with_the_same_key(
    harness: Harness, standin: StandIn, connector: Connector
) -> None:
    sink = connector.sink
    first = await sink.create(harness.entity, harness.new, idempotency_key="same")
    second = await sink.create(harness.entity, harness.new, idempotency_key="same")
    if harness.replays_creates:
        assert second.id == first.id
        assert standin.write_count(harness.resource) == 1
    else:
        # No idempotency key in this API: the engine must find before creating.
        assert second.id != first.id
        assert standin.write_count(harness.resource) == 2


async def test_a_lost_create_response_never_creates_twice(
    harness: Harness, standin: StandIn, connector: Connector
) -> None:
    sink = connector.sink
    await sink.get(harness.entity, "987654")  # log in first: a login is a POST too
    standin.lose_next(1)
    if harness.replays_creates:
        created = await sink.create(harness.entity, harness.new, idempotency_key="k")
        assert [str(i) for i in stored_ids(standin, harness)] == [created.id]
    else:
        with pytest.raises(TransientError, match="outcome unknown"):
            await sink.create(harness.entity, harness.new, idempotency_key="k")
        key = harness.new[harness.key_field]
        found = await sink.find(harness.entity, harness.key_field, key)
        assert [event.id for event in found] == stored_ids(standin, harness)
    assert standin.write_count(harness.resource) == 1


async def test_delete_where_the_api_allows_it(
    harness: Harness, standin: StandIn, connector: Connector
) -> None:
    sink = connector.sink
    if harness.deletable is None or harness.deletable_resource is None:
        # The API deletes nothing: no type may claim it, and no call is made.
        for entity in connector.source.entities():
            assert not sink.capabilities(entity).delete
            with pytest.raises(RejectedRecordError, match="cannot delete"):
                await sink.delete(entity, "1")
        assert standin.write_count() == 0
        return
    [record] = standin.seed(
        harness.deletable_resource, [DELETABLE_RECORD[harness.system]]
    )
    record_id = str(standin.id_of(harness.deletable_resource, record))
    assert sink.capabilities(harness.deletable).delete
    await sink.delete(harness.deletable, record_id)
    after = await sink.get(harness.deletable, record_id)
    assert after is None or after.op is Operation.DELETE
    await sink.delete(harness.deletable, record_id)  # already gone: no error
    for entity in connector.source.entities():
        if not sink.capabilities(entity).delete:
            with pytest.raises(RejectedRecordError, match="cannot delete"):
                await sink.delete(entity, "1")


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, RejectedRecordError),
        (403, AuthenticationError),
        (404, RejectedRecordError),
        (409, RejectedRecordError),
        (422, RejectedRecordError),
        (429, RateLimitedError),
        (500, TransientError),
        (503, TransientError),
    ],
)
async def test_statuses_map_to_their_error_class(
    standin: StandIn,
    harness: Harness,
    connect: Open,
    status: int,
    error: type[SyncError],
) -> None:
    connector = await connect(max_attempts=1)
    # Log in first: a refused token request is an authentication failure
    # whatever its status, and Membercare fetches its token with a GET.
    assert await connector.sink.get(harness.entity, "987654") is None
    standin.fail_next(1, status, method="GET")
    with pytest.raises(SyncError) as caught:
        await read_all(connector, harness.entity)
    assert type(caught.value) is error
    assert str(status) in str(caught.value)


async def test_a_throttled_read_waits_and_succeeds(
    harness: Harness, standin: StandIn, connector: Connector
) -> None:
    standin.seed(harness.resource, [harness.record(1)])
    standin.fail_next(1, 429, method="GET")
    assert len(event_ids(await read_all(connector, harness.entity))) == 1


async def test_refused_credentials_never_show_in_the_error(
    harness: Harness, standin: StandIn, connect: Open
) -> None:
    secret = "wrong-secret-1234567890"
    connector = await connect(**{harness.credential: secret})
    with pytest.raises(AuthenticationError) as caught:
        await read_all(connector, harness.entity)
    assert secret not in str(caught.value)
