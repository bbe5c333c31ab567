"""Writes against an edit made meanwhile, and finds over a record tether cannot read.

Every sink, against its stand-in: an edit of another field that lands while
the first write attempt fails survives the retry (read-merge-PUT sinks used to
send the stale object again); a field the write sets, edited since the flow
read the record, is not overwritten; a natural-key search that hits a record
failing validation refuses to answer instead of reading it as "no match".
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from connectors import build_connector
from connectors.errors import TransientError, UnreadableMatchError
from standins import StandIn
from tests.contract.harness import Harness

HUMAN = "Edited By A Human"


def is_write(request: httpx.Request) -> bool:
    """A write to the API (a login is no write)."""
    path = request.url.path.lower()
    logins = ("auth", "token", "connect")
    return request.method != "GET" and not any(word in path for word in logins)


class EditOnFirstWrite(httpx.AsyncBaseTransport):
    """A real transport that runs ``before`` once, just before the first write."""

    def __init__(self, before: Callable[[httpx.Request], None]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.before: Callable[[httpx.Request], None] | None = before
        self.writes: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if is_write(request) and self.before is not None:
            before, self.before = self.before, None
            before(request)
        if is_write(request):
            self.writes.append(request)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


def seeded(harness: Harness, standin: StandIn) -> str:
    [record] = standin.seed(harness.resource, [harness.record(1)])
    return str(standin.id_of(harness.resource, record))


async def test_an_edit_made_while_a_write_fails_survives_its_retry(
    harness: Harness, standin: StandIn
) -> None:
    record_id = seeded(harness, standin)

    def human_edits_then_the_write_fails(request: httpx.Request) -> None:
        standin.edit(harness.resource, record_id, {harness.kept: HUMAN})
        standin.fail_next(1, 503, method=request.method)

    transport = EditOnFirstWrite(human_edits_then_the_write_fails)
    settings = harness.settings(standin)
    async with build_connector(harness.system, settings, transport=transport) as c:
        expected = await c.sink.get(harness.entity, record_id)
        updated = await c.sink.update(
            harness.entity, record_id, harness.change, expected=expected
        )
    assert standin.injector.injected[503] == 1
    stored = standin.get(harness.resource, record_id)
    for name, value in harness.change.items():
        assert stored[name] == value
    assert stored[harness.kept] == HUMAN  # not overwritten by a stale body
    assert updated.data is not None
    assert updated.data[harness.kept] == HUMAN


async def test_a_field_edited_since_the_flow_read_it_is_not_overwritten(
    harness: Harness, standin: StandIn
) -> None:
    record_id = seeded(harness, standin)
    [(field, _)] = harness.change.items()
    settings = harness.settings(standin)
    transport = EditOnFirstWrite(lambda request: None)
    async with build_connector(harness.system, settings, transport=transport) as c:
        expected = await c.sink.get(harness.entity, record_id)
        standin.edit(harness.resource, record_id, {field: HUMAN})
        with pytest.raises(TransientError, match="changed underneath") as caught:
            await c.sink.update(
                harness.entity, record_id, harness.change, expected=expected
            )
    assert caught.value.retry_after == 0.0  # decide again at once
    assert standin.get(harness.resource, record_id)[field] == HUMAN
    assert transport.writes == []  # nothing was sent


@pytest.mark.parametrize(
    "harness", ["webcrm", "crmoffice", "tidsbanken", "membercare"], indirect=True
)
async def test_a_merging_write_without_expected_compares_retries_with_its_read(
    harness: Harness, standin: StandIn
) -> None:
    # These sinks merge into a read of their own (read-merge-PUT): between
    # attempts, the first read is what the record must still look like.
    record_id = seeded(harness, standin)
    [(field, _)] = harness.change.items()

    def human_edits_the_same_field_then_the_write_fails(
        request: httpx.Request,
    ) -> None:
        standin.edit(harness.resource, record_id, {field: HUMAN})
        standin.fail_next(1, 503, method=request.method)

    transport = EditOnFirstWrite(human_edits_the_same_field_then_the_write_fails)
    settings = harness.settings(standin)
    async with build_connector(harness.system, settings, transport=transport) as c:
        with pytest.raises(TransientError, match="changed underneath"):
            await c.sink.update(harness.entity, record_id, harness.change)
    assert standin.get(harness.resource, record_id)[field] == HUMAN


async def test_a_match_that_fails_validation_is_not_read_as_no_match(
    harness: Harness, standin: StandIn
) -> None:
    record_id = seeded(harness, standin)
    key = harness.record(1)[harness.key_field]
    standin.edit(harness.resource, record_id, {harness.kept: "Bell\x07 AS"})
    settings = harness.settings(standin)
    async with build_connector(harness.system, settings) as c:
        with pytest.raises(UnreadableMatchError) as caught:
            await c.sink.find(harness.entity, harness.key_field, key)
    assert caught.value.system == harness.system
    assert caught.value.record_id == record_id
    assert caught.value.found == []
