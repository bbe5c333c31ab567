"""The mass-delete guard: thresholds, the sliding window, one report, held unlinks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.errors import TransientError
from dataflows import flows_by_name, load_documents
from engine.guards import KIND, MassDeleteSettings, UnlinkGuard, guard_unlinks
from engine.handlers import FlowPorts, handle_event
from schemas.envelope import ChangeEvent, FlowReport
from schemas.links import Link, LinkOp
from tests.unit.engine.memory_sink import MemorySink

ORGS = flows_by_name(load_documents())["webcrm-organisations-to-customcrm-customer"]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def link(n: int) -> Link:
    return Link(flow=ORGS.name, source_id=str(n), target_id=f"C-{n}")


def make_guard(
    links: int, **settings: float
) -> tuple[UnlinkGuard, list[FlowReport], Clock, dict[str, int]]:
    reports: list[FlowReport] = []
    clock = Clock()
    count = {"links": links}

    async def report(record: FlowReport) -> None:
        reports.append(record)

    guard = UnlinkGuard(
        ORGS.name,
        MassDeleteSettings(**settings),  # type: ignore[arg-type]
        link_count=lambda: count["links"],
        report=report,
        clock=clock,
    )
    return guard, reports, clock, count


async def unlink_many(
    guard: UnlinkGuard, count: dict[str, int], ids: range
) -> list[bool]:
    """Ask for each unlink; an allowed one leaves the flow's link count."""
    answers = []
    for n in ids:
        allowed = await guard.may_unlink(link(n))
        if allowed:
            count["links"] -= 1
        answers.append(allowed)
    return answers


async def test_a_few_unlinks_are_always_allowed():
    guard, reports, _, count = make_guard(links=5, min_unlinks=10, fraction=0.2)
    assert await unlink_many(guard, count, range(5)) == [True] * 5
    assert reports == []


async def test_a_burst_past_both_thresholds_is_held_and_reported_once():
    guard, reports, _, count = make_guard(links=100, min_unlinks=10, fraction=0.2)
    answers = await unlink_many(guard, count, range(40))
    # 20 % of the 100 links the flow held before the burst: the 21st is held.
    assert answers.count(True) == 20
    assert answers[20:] == [False] * 20
    [report] = reports
    assert report.kind == KIND
    assert report.flow == ORGS.name
    assert "20 links removed" in report.detail
    assert guard.refused == 20


async def test_the_count_threshold_applies_to_small_flows():
    guard, reports, _, count = make_guard(links=30, min_unlinks=10, fraction=0.2)
    answers = await unlink_many(guard, count, range(30))
    assert answers.count(True) == 10
    assert len(reports) == 1


async def test_the_same_link_asked_again_counts_once():
    guard, reports, _, count = make_guard(links=100, min_unlinks=2, fraction=0.0)
    first = await unlink_many(guard, count, range(2))
    again = [await guard.may_unlink(link(n)) for n in range(2)]
    assert first == [True, True]
    assert again == [True, True]  # retried after a transient failure
    assert await guard.may_unlink(link(99)) is False
    assert len(reports) == 1


async def test_the_window_slides_and_a_new_burst_is_reported_again():
    guard, reports, clock, count = make_guard(
        links=50, min_unlinks=3, fraction=0.0, window_seconds=60
    )
    assert await unlink_many(guard, count, range(5)) == [True] * 3 + [False] * 2
    clock.now += 61
    assert await unlink_many(guard, count, range(10, 15)) == [True] * 3 + [False] * 2
    assert len(reports) == 2


async def test_guard_unlinks_wires_may_unlink_into_the_ports():
    sink = MemorySink("customcrm")
    reports: list[FlowReport] = []

    async def report(record: FlowReport) -> None:
        reports.append(record)

    async def conflict(record: object) -> None:
        raise AssertionError(record)

    ports = FlowPorts(
        source_sink=MemorySink("webcrm"),
        target_sink=sink,
        resolve=lambda flow, sid: None,
        resolve_reverse=lambda flow, tid: None,
        conflict=conflict,
        report=report,
    )
    assert ports.may_unlink is None
    guarded = guard_unlinks(
        ORGS.name, ports, MassDeleteSettings(min_unlinks=0, fraction=0.0), lambda: 1
    )
    assert guarded.may_unlink is not None
    assert await guarded.may_unlink(link(1)) is False
    assert [r.kind for r in reports] == [KIND]


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


async def test_a_held_unlink_raises_transient_and_changes_nothing():
    world = Vanished(allow=False)
    event, old = edited_org(world)
    with pytest.raises(TransientError, match="mass-delete guard"):
        await handle_event(ORGS, event, old, world.ports())
    assert world.asked == ["7"]
    assert world.reports == []
    assert world.customcrm.writes == []


async def test_an_allowed_unlink_removes_the_link_and_reports_it():
    world = Vanished(allow=True)
    event, old = edited_org(world)
    outcome = await handle_event(ORGS, event, old, world.ports())
    # What stays is a tombstone of the deleted target (rule 17), not a link.
    assert outcome.link is not None
    assert outcome.link.tombstone
    assert outcome.notice is not None
    assert outcome.notice.op is LinkOp.UNLINK
    assert [r.kind for r in world.reports] == ["unlinked"]


def test_settings_defaults_and_bounds():
    settings = MassDeleteSettings()
    assert settings.min_unlinks == 10
    assert settings.fraction == pytest.approx(0.2)
    assert settings.window_seconds == pytest.approx(600.0)
    with pytest.raises(ValueError, match="less than or equal to 1"):
        MassDeleteSettings(fraction=1.5)
