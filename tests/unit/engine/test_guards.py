"""A flow's ports with its breaker: sinks wrapped per flow, held unlinks, handlers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from connectors.errors import TransientError
from dataflows import flows_by_name, load_documents
from engine.breakers import KIND, BreakerSettings
from engine.control import ControlTable, FlowState
from engine.guards import GuardedSink, guard_flow
from engine.handlers import FlowPorts, handle_event
from schemas.envelope import ChangeEvent, FlowReport
from schemas.links import Link, LinkOp
from tests.unit.engine.memory_sink import MemorySink

ORGS = flows_by_name(load_documents())["webcrm-organisations-to-customcrm-customer"]


class HeldError(Exception):
    """The breaker went to sleep: the write is held."""


class World:
    """Webcrm organisations -> Customcrm customers in memory, behind a breaker."""

    def __init__(self, **settings: Any) -> None:
        self.webcrm = MemorySink("webcrm")
        self.customcrm = MemorySink("customcrm")
        self.idmap: dict[str, str] = {}
        self.links: dict[str, Link] = {}
        self.reports: list[FlowReport] = []
        self.store: dict[str, Any] = {}
        self.control = ControlTable(self.store)
        ports, self.breaker = guard_flow(
            ORGS.name,
            self.bare_ports(),
            BreakerSettings(**settings),
            self.control,
            lambda: len(self.links),
        )
        self.breaker._sleep = self.sleep  # type: ignore[method-assign]
        self.ports = ports

    def bare_ports(self) -> FlowPorts:
        async def report(record: FlowReport) -> None:
            self.reports.append(record)

        async def conflict(record: object) -> None:
            """A matched pair's differences are conflicts: not what is tested."""

        return FlowPorts(
            source_sink=self.webcrm,
            target_sink=self.customcrm,
            resolve=lambda flow, sid: self.idmap.get(f"{flow}/s/{sid}"),
            resolve_reverse=lambda flow, tid: self.idmap.get(f"{flow}/t/{tid}"),
            conflict=conflict,
            report=report,
            tie_window=timedelta(seconds=0.5),
        )

    async def sleep(self, seconds: float) -> None:
        raise HeldError

    def org(self, n: int, city: str = "Oslo") -> ChangeEvent:
        return self.webcrm.put(
            "Organisations",
            str(n),
            {"OrganisationId": n, "OrganisationName": f"Org {n} AS",
             "OrganisationCity": city, "OrganisationVatNumber": f"NO9{n:08d}MVA"},
        )  # fmt: skip

    async def sync(self, event: ChangeEvent) -> None:
        """Handle one source change as the runner would: store link, id map."""
        outcome = await handle_event(ORGS, event, self.links.get(event.id), self.ports)
        for notice in outcome.notices:
            keys = (
                f"{ORGS.name}/s/{notice.source_id}",
                f"{ORGS.name}/t/{notice.target_id}",
            )
            if notice.op is LinkOp.LINK:
                self.idmap[keys[0]], self.idmap[keys[1]] = (
                    notice.target_id,
                    notice.source_id,
                )
            else:
                for key in keys:
                    self.idmap.pop(key, None)
        if outcome.link is None:
            self.links.pop(event.id, None)
        else:
            self.links[event.id] = outcome.link

    async def sync_all(self, ids: range) -> None:
        """Each organisation's current state, as a full re-read publishes it."""
        for n in ids:
            await self.sync(self.webcrm.event("Organisations", str(n)))


def creates(sink: MemorySink) -> int:
    return sum(1 for w in sink.writes if w[0] == "create")


async def test_each_flow_wraps_the_shared_sinks_in_its_own_breaker() -> None:
    world = World()
    assert isinstance(world.ports.target_sink, GuardedSink)
    assert isinstance(world.ports.source_sink, GuardedSink)
    assert world.ports.target_sink.inner is world.customcrm
    assert world.ports.may_unlink == world.breaker.may_unlink
    other = World()
    assert other.breaker is not world.breaker


async def test_a_first_sync_of_many_records_passes() -> None:
    world = World()
    for n in range(1, 301):
        await world.sync(world.org(n))
    assert creates(world.customcrm) == 300
    assert world.reports == []


async def test_a_wiped_target_trips_the_create_breaker_before_a_tenth_is_back() -> None:
    world = World(unlink_share=1.0, unlink_min=1000)  # the unlinks let through
    for n in range(1, 101):
        await world.sync(world.org(n))
    world.customcrm.records["Customer"].clear()  # wiped
    for n in range(1, 101):  # every record edited: its target is gone
        await world.sync(world.org(n, city="Bergen"))
    # Each unlink left a tombstone (rule 17): a re-read re-creates nothing ...
    assert all(link.tombstone for link in world.links.values())
    before = creates(world.customcrm)
    await world.sync_all(range(1, 101))
    assert creates(world.customcrm) == before
    # ... unless the link tables are lost too (state and changelogs): then the
    # re-creates are a storm, and the breaker stops it.
    world.links.clear()
    with pytest.raises(HeldError):
        await world.sync_all(range(1, 101))  # the next full re-read
    recreated = creates(world.customcrm) - before
    assert 0 < recreated < 10
    assert world.control.get(ORGS.name).paused
    [report] = [r for r in world.reports if r.kind == KIND]
    assert report.detail.startswith("re-creates: ")


async def test_updates_of_linked_records_count_and_matches_do_not() -> None:
    world = World(update_min=3, update_share=0.0)
    for n in range(1, 6):  # matched: the target exists with other values
        world.customcrm.put(
            "Customer", f"C-{n}",
            {"Name": "Old", "VatNumber": f"NO9{n:08d}MVA", "City": "Old"},
        )  # fmt: skip
    for n in range(1, 6):
        await world.sync(world.org(n))
    assert len(world.customcrm.writes) == 5  # settling the matches: not counted
    for n in range(1, 6):
        world.org(n, city="Tromsø")
    with pytest.raises(HeldError):
        await world.sync_all(range(1, 6))
    assert len(world.customcrm.writes) == 5 + 3
    assert world.control.get(ORGS.name).tripped == "updates"


async def test_a_paused_flow_writes_nothing_and_reads_on() -> None:
    world = World()
    await world.sync(world.org(1))
    world.control.put(FlowState(flow=ORGS.name, paused=True, reason="by hand"))
    await world.sync(world.webcrm.event("Organisations", "1"))  # nothing to write
    with pytest.raises(HeldError):
        await world.sync(world.org(1, city="Bergen"))
    with pytest.raises(HeldError):
        await world.sync(world.org(2))
    assert creates(world.customcrm) == 1
    assert len(world.customcrm.writes) == 1


async def test_after_a_resume_the_held_change_is_handled_from_scratch() -> None:
    world = World()
    world.control.put(FlowState(flow=ORGS.name, paused=True, reason="by hand"))
    resumes = []

    async def resume_soon(seconds: float) -> None:
        resumes.append(seconds)
        world.control.put(world.control.get(ORGS.name).resumed(0))

    world.breaker._sleep = resume_soon  # type: ignore[method-assign]
    with pytest.raises(TransientError, match="handling it again"):
        await world.sync(world.org(1))
    assert creates(world.customcrm) == 0
    await world.sync(world.webcrm.event("Organisations", "1"))  # the retry
    assert creates(world.customcrm) == 1
    assert len(resumes) == 1


# -- what linking does with a held unlink ---------------------------------------------


class Vanished:
    """A target whose every record is gone, and the ports of a guarded flow."""

    def __init__(self, allow: bool) -> None:
        self.webcrm = MemorySink("webcrm")
        self.customcrm = MemorySink("customcrm")  # holds nothing: all "vanished"
        self.reports: list[FlowReport] = []
        self.asked: list[str] = []
        self.allow = allow

    def ports(self) -> FlowPorts:
        async def report(record: FlowReport) -> None:
            self.reports.append(record)

        async def conflict(record: object) -> None:
            raise AssertionError(record)

        async def may_unlink(link: Link) -> bool:
            self.asked.append(link.source_id)
            return self.allow

        return FlowPorts(
            source_sink=self.webcrm,
            target_sink=self.customcrm,
            resolve=lambda flow, sid: None,
            resolve_reverse=lambda flow, tid: None,
            conflict=conflict,
            report=report,
            tie_window=timedelta(seconds=0.5),
            may_unlink=may_unlink,
        )


def edited_org(world: Vanished) -> tuple[ChangeEvent, Link]:
    event = world.webcrm.put(
        "Organisations",
        "7",
        {"OrganisationId": 7, "OrganisationName": "Fjord Bygg AS",
         "OrganisationVatNumber": "NO912345678MVA"},
    )  # fmt: skip
    old = Link(
        flow=ORGS.name,
        source_id="7",
        target_id="C-7",
        synced={"OrganisationName->Name": "Old Name AS"},
    )
    return event, old


async def test_a_held_unlink_raises_transient_and_changes_nothing() -> None:
    world = Vanished(allow=False)
    event, old = edited_org(world)
    with pytest.raises(TransientError, match="mass-delete guard"):
        await handle_event(ORGS, event, old, world.ports())
    assert world.asked == ["7"]
    assert world.reports == []
    assert world.customcrm.writes == []


async def test_an_allowed_unlink_removes_the_link_and_reports_it() -> None:
    world = Vanished(allow=True)
    event, old = edited_org(world)
    outcome = await handle_event(ORGS, event, old, world.ports())
    # What stays is a tombstone of the deleted target (rule 17), not a link.
    assert outcome.link is not None
    assert outcome.link.tombstone
    assert outcome.notice is not None
    assert outcome.notice.op is LinkOp.UNLINK
    assert [r.kind for r in world.reports] == ["unlinked"]
