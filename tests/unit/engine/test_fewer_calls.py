"""Calls per record: matching from the index; the source re-read only when needed."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from engine.handlers import FlowPorts, handle_event
from engine.matchindex import MatchIndex, MatchIndexSettings
from schemas.envelope import ChangeEvent
from schemas.links import Link
from tests.unit.engine.memory_sink import MemorySink
from tests.unit.engine.test_handlers import ORG, ORGS, World
from tests.unit.engine.test_matchindex import Clock, MemorySource


class Counting(MemorySink):
    """A ``MemorySink`` that counts its reads."""

    def __init__(self, system: str) -> None:
        super().__init__(system)
        self.gets: list[str] = []
        self.finds = 0

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        self.gets.append(record_id)
        return await super().get(entity, record_id)

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        self.finds += 1
        return await super().find(entity, field_path, value)


def world() -> tuple[World, FlowPorts, MemorySource, Clock]:
    w = World()
    w.webcrm, w.customcrm = Counting("webcrm"), Counting("customcrm")
    source, clock = MemorySource(w.customcrm), Clock()
    matches = MatchIndex(lambda _s: source, MatchIndexSettings(), clock)
    return w, replace(w.ports(), matches=matches), source, clock


def org(n: int, **changes: Any) -> dict[str, Any]:
    return {**ORG, "OrganisationId": n, "OrganisationVatNumber": f"NO{n}MVA", **changes}


async def test_creates_into_an_empty_target_search_nothing():
    w, ports, source, _ = world()
    for n in range(1, 6):
        event = w.webcrm.put("Organisations", str(n), org(n))
        assert (await handle_event(ORGS, event, None, ports)).link is not None
    assert [op for op, *_ in w.customcrm.writes] == ["create"] * 5
    assert w.customcrm.finds == 0
    assert w.customcrm.gets == []
    assert w.webcrm.gets == []
    assert len(source.reads) == 1  # one listing served all five decisions


async def test_records_already_present_link_without_any_call():
    w, ports, source, _ = world()
    w.customcrm.put(
        "Customer", "C-1", {"Name": ORG["OrganisationName"], "City": "Oslo",
                            "VatNumber": "NO1MVA"},
    )  # fmt: skip
    event = w.webcrm.put("Organisations", "1", org(1))
    outcome = await handle_event(ORGS, event, None, ports)
    assert outcome.link is not None
    assert outcome.link.target_id == "C-1"
    assert (w.customcrm.writes, w.customcrm.gets, w.customcrm.finds) == ([], [], 0)
    assert w.webcrm.gets == []  # the event is not re-read: nothing is written to it


async def test_a_listed_match_is_read_again_before_it_is_written():
    w, ports, source, _ = world()
    w.customcrm.put("Customer", "C-1", {"VatNumber": "NO1MVA", "City": "Bergen"})
    event = w.webcrm.put("Organisations", "1", org(1))
    await ports.matches.lookup("customcrm", "Customer", "VatNumber", "alnum", "x")
    # A person fills in the name after the listing; the match index lags.
    w.customcrm.put("Customer", "C-1", {"VatNumber": "NO1MVA", "City": "Bergen",
                                        "Name": "Named Meanwhile"})  # fmt: skip
    outcome = await handle_event(ORGS, event, None, ports)
    assert outcome.link is not None
    assert w.customcrm.gets == ["C-1"]
    # Decided on the current record: the later edit wins, nothing is overwritten.
    assert w.customcrm.records["Customer"]["C-1"]["Name"] == "Named Meanwhile"
    assert w.webcrm.records["Organisations"]["1"]["OrganisationName"] == (
        "Named Meanwhile"
    )


async def test_a_target_made_by_a_person_since_the_listing_is_not_duplicated():
    w, ports, source, clock = world()
    first = w.webcrm.put("Organisations", "1", org(1))
    await handle_event(ORGS, first, None, ports)  # lists the (empty) target
    w.customcrm.put("Customer", "P-1", {"VatNumber": "NO2MVA", "Name": "By hand"})
    clock.now += 5  # the next decision after the max age reads what changed
    second = w.webcrm.put("Organisations", "2", org(2))
    outcome = await handle_event(ORGS, second, None, ports)
    assert outcome.link is not None
    assert outcome.link.target_id == "P-1"
    assert [op for op, *_ in w.customcrm.writes].count("create") == 1


async def test_without_an_index_the_target_is_searched_as_before():
    w = World()
    w.webcrm, w.customcrm = Counting("webcrm"), Counting("customcrm")
    event = w.webcrm.put("Organisations", "1", org(1))
    await handle_event(ORGS, event, None, w.ports())
    assert w.customcrm.finds == 1


async def test_a_newest_change_writing_only_the_target_reads_no_source():
    w, ports, _, _ = world()
    event = w.webcrm.put("Organisations", "1", org(1))
    link = (await handle_event(ORGS, event, None, ports)).link
    edited = w.webcrm.put("Organisations", "1", org(1, OrganisationCity="Bergen"))
    outcome = await handle_event(ORGS, edited, link, ports)
    assert outcome.link is not None
    assert w.customcrm.records["Customer"][link.target_id]["City"] == "Bergen"
    assert w.webcrm.gets == []


async def test_a_stale_event_is_read_again_before_its_own_side_is_written():
    w, ports, _, _ = world()
    stale = w.webcrm.put("Organisations", "1", org(1))
    link: Link | None = (await handle_event(ORGS, stale, None, ports)).link
    assert link is not None
    # The target is edited, then the source; the event in hand (a redelivery)
    # is newer than the link but older than both edits.
    w.customcrm.put("Customer", link.target_id, {**w.customcrm.records["Customer"][
        link.target_id], "City": "Bergen"})  # fmt: skip
    w.webcrm.clock += timedelta(seconds=5)
    w.webcrm.put("Organisations", "1", org(1, OrganisationCity="Trondheim"))
    older = stale.model_copy(
        update={
            "data": org(1, OrganisationCity="Stavanger"),
            "modified_at": stale.modified_at + timedelta(milliseconds=100),
        }
    )
    await handle_event(ORGS, older, link, ports)
    assert w.webcrm.gets == ["1"]  # the target's value would win: the source is read
    assert w.webcrm.records["Organisations"]["1"]["OrganisationCity"] == "Trondheim"
    assert w.customcrm.records["Customer"][link.target_id]["City"] == "Trondheim"
