"""``tether resync``'s requests: the polling leader reads a type whole once per
request, from the shared table, however many workers and restarts come between."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.control import ResyncRequest, ResyncRequests, done_key, request_key
from engine.cursors import CursorTable
from engine.polling import SourcePoller
from schemas.utc import utc_now
from tests.unit.engine.test_ingest import PagedSource
from tests.unit.engine.test_polling_delivery import Outputs


def poller(source: PagedSource, table: dict[str, Any], cursors: dict[str, Any]):
    return SourcePoller(
        source,
        ["Organisations"],
        Outputs(set()).ports(),
        CursorTable(cursors),
        requests=ResyncRequests(table),
    )


def request(table: dict[str, Any], **more: Any) -> ResyncRequest:
    asked = ResyncRequest(system="webcrm", entity="Organisations", **more)
    table[request_key("webcrm", "Organisations")] = asked.model_dump(mode="json")
    return asked


async def test_a_request_is_served_by_one_full_read_at_the_next_poll():
    table, cursors, source = dict[str, Any](), dict[str, Any](), PagedSource([[1, 2]])
    leader = poller(source, table, cursors)
    await leader.poll()  # the first read, from no cursor
    await leader.poll()
    assert source.asked[-1] is not None  # incremental

    asked = request(table, flow="f", by="kari")
    await leader.poll()
    assert source.asked[-1] is None  # whole
    done = table[done_key("webcrm", "Organisations")]
    assert done["served"] == asked.model_dump(mode="json")["requested_at"]
    assert done["events"] == 2
    await leader.poll()
    assert source.asked[-1] is not None  # served: incremental again


async def test_a_served_request_survives_a_restart_and_a_new_one_is_served_again():
    table, cursors, source = dict[str, Any](), dict[str, Any](), PagedSource([[1]])
    request(table)
    await poller(source, table, cursors).poll()
    restarted = poller(source, table, cursors)  # another leader, same shared table
    await restarted.poll()
    assert [c is None for c in source.asked] == [True, False]
    request(table, requested_at=utc_now() + timedelta(seconds=1))
    await restarted.poll()
    assert source.asked[-1] is None


async def test_an_unserved_request_waits_for_whoever_leads_next():
    table = dict[str, Any]()
    request(table)
    requests = ResyncRequests(table)
    assert (
        requests.pending("webcrm", "Organisations") is not None
    )  # the old leader died
    source = PagedSource([[1]])
    await poller(source, table, {}).poll()
    assert source.asked == [None]
    assert requests.pending("webcrm", "Organisations") is None


def test_garbage_or_a_misfiled_request_is_no_request():
    table: dict[str, Any] = {request_key("webcrm", "Organisations"): {"x": 1}}
    requests = ResyncRequests(table)
    assert requests.pending("webcrm", "Organisations") is None
    other = ResyncRequest(system="webcrm", entity="Persons")
    table[request_key("webcrm", "Organisations")] = other.model_dump(mode="json")
    assert requests.pending("webcrm", "Organisations") is None
