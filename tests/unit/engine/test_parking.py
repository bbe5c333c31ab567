"""Parking: a record waiting for its reference is kept aside, sent again when linked."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from engine.delivery import letter_key
from engine.notices import NoticeSettings
from engine.parking import ParkingLot, ParkingSettings
from engine.runner import FlowOutputs, FlowRunner
from engine.stores import IdMap, LinkTable, RouteTable
from schemas.envelope import ChangeEvent, DeadLetter, Redriven
from schemas.links import LinkNotice
from tests.unit.engine.test_handlers import ORGS, PERSONS, World

WHERE = ("t", 0, 7)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


class Times:
    def __init__(self) -> None:
        self.now = T0
        self.mono = 0.0

    def wall(self) -> datetime:
        return self.now

    def clock(self) -> float:
        return self.mono

    def pass_(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds


class Rig:
    """A persons runner with a parking lot over dicts; orgs link via ``world.idmap``."""

    def __init__(self, wait: float = 60.0) -> None:
        self.world = World()
        self.times = Times()
        self.parked: dict[str, Any] = {}
        self.letters: list[DeadLetter] = []
        self.healed: list[tuple[str, Redriven]] = []
        self.wait = wait
        self.start()

    def start(self) -> None:
        """A worker (re)starting: its lot over the same table, and its runner."""
        self.lot = ParkingLot(
            self.parked,
            PERSONS,
            lambda flow, sid: self.world.idmap.get(f"{flow}/s/{sid}"),
            ParkingSettings(resend_seconds=30.0),
            now=self.times.wall,
            clock=self.times.clock,
        )

        async def announce(key: str, notice: LinkNotice) -> None:
            pass

        async def dead_letter(letter: DeadLetter) -> None:
            self.letters.append(letter)

        async def forward(source_id: str, event: ChangeEvent) -> None:
            pass

        async def healed(key: str, marker: Redriven) -> None:
            self.healed.append((key, marker))

        self.links: dict[str, Any] = {}
        self.runner = FlowRunner(
            flow=PERSONS,
            ports=self.world.ports(),
            links=LinkTable(self.links),
            routes=RouteTable({}),
            idmap=IdMap({}),
            outputs=FlowOutputs(announce, dead_letter, forward, healed),
            reference_wait_seconds=self.wait,
            notices=NoticeSettings(wait_seconds=0.0),
            parking=self.lot,
        )

    def person(self, pid: str, org: int, name: str = "N") -> ChangeEvent:
        data = {
            "PersonOrganisationId": org,
            "PersonLastName": name,
            "PersonEmail": f"p{pid}@x.no",
        }
        return self.world.webcrm.put("Persons", pid, data)

    def link_org(self, org: int, target: str) -> None:
        self.world.idmap[f"{ORGS.name}/s/{org}"] = target


async def test_a_person_without_its_organisation_is_parked_not_waited_for() -> None:
    rig = Rig()
    person = rig.person("5", org=1)
    await rig.runner.on_change("5", person, WHERE)  # returns at once: no sleeps
    assert rig.letters == []
    assert rig.world.customcrm.writes == []
    assert rig.lot.get("5") is not None
    assert rig.lot.due() == []  # the organisation is not linked yet
    other = rig.person("6", org=2)
    rig.link_org(2, "C-2")
    await rig.runner.on_change("6", other, WHERE)  # the partition goes on
    assert len(rig.world.customcrm.writes) == 1


async def test_once_the_reference_is_linked_the_parked_change_is_sent_again() -> None:
    rig = Rig()
    person = rig.person("5", org=1)
    await rig.runner.on_change("5", person, WHERE)
    rig.link_org(1, "C-1")
    [(key, again)] = rig.lot.due()
    assert (key, again) == ("5", person)
    assert rig.lot.due() == []  # sent already: not again while on its way
    await rig.runner.on_change(key, again, WHERE)  # as consumed from the topic
    [(_, _, _, body)] = rig.world.customcrm.writes
    assert body["CustomerId"] == "C-1"
    assert rig.parked == {}
    await rig.runner.on_change(key, again, WHERE)  # a resend after a crash: no-op
    assert len(rig.world.customcrm.writes) == 1


async def test_after_its_wait_a_parked_change_is_dead_lettered_once() -> None:
    rig = Rig(wait=60.0)
    person = rig.person("5", org=1)
    await rig.runner.on_change("5", person, WHERE)
    rig.times.pass_(30)
    assert rig.lot.due() == []
    await rig.runner.on_change("5", person, WHERE)  # a re-read: the wait goes on
    rig.times.pass_(31)
    [(key, again)] = rig.lot.due()  # the wait is spent: sent to be dead-lettered
    await rig.runner.on_change(key, again, WHERE)
    [letter] = rig.letters
    assert letter.error_type == "UnresolvedReferenceError"
    assert rig.parked == {}
    await rig.runner.on_change("5", person, WHERE)  # the same version re-read
    assert len(rig.letters) == 2  # dead-lettered at once (same key: compacted)
    assert rig.parked == {}


async def test_a_letter_whose_reference_is_linked_later_is_closed_as_healed() -> None:
    rig = Rig(wait=0.0)
    person = rig.person("5", org=1)
    await rig.runner.on_change("5", person, WHERE)
    [letter] = rig.letters  # no wait allowed: dead-lettered at once
    assert rig.healed == []
    rig.link_org(1, "C-1")
    await rig.runner.on_change("5", person, WHERE)  # re-read once the org linked
    assert len(rig.world.customcrm.writes) == 1
    [(key, marker)] = rig.healed
    assert key == letter_key(letter)
    assert (marker.action, marker.letter_failed_at) == ("healed", letter.failed_at)
    assert (marker.system, marker.entity, marker.record_id) == (
        "webcrm",
        "Persons",
        "5",
    )
    await rig.runner.on_change("5", person, WHERE)  # once healed, never again
    assert len(rig.healed) == 1


async def test_a_record_that_never_waited_in_vain_closes_no_letter() -> None:
    rig = Rig()
    rig.link_org(1, "C-1")
    await rig.runner.on_change("5", rig.person("5", org=1), WHERE)
    assert rig.letters == []
    assert rig.healed == []


async def test_a_newer_change_replaces_the_parked_one_and_waits_again() -> None:
    rig = Rig(wait=60.0)
    first = rig.person("5", org=1, name="Old")
    await rig.runner.on_change("5", first, WHERE)
    rig.times.pass_(50)
    newer = rig.person("5", org=1, name="New")
    assert newer.modified_at > first.modified_at
    await rig.runner.on_change("5", newer, WHERE)
    held = rig.lot.get("5")
    assert held is not None
    assert held.event == newer
    assert held.until == rig.times.now + timedelta(seconds=60)
    await rig.runner.on_change("5", first, WHERE)  # the older one, sent late
    held = rig.lot.get("5")
    assert held is not None
    assert held.event == newer  # never replaced by an older one


async def test_a_change_that_went_through_clears_the_parked_one() -> None:
    rig = Rig()
    first = rig.person("5", org=1, name="Old")
    await rig.runner.on_change("5", first, WHERE)
    newer = rig.person("5", org=2, name="Moved")
    rig.link_org(2, "C-2")
    await rig.runner.on_change("5", newer, WHERE)
    assert rig.parked == {}
    rig.link_org(1, "C-1")
    assert rig.lot.due() == []  # nothing left to send


async def test_the_parked_table_is_all_a_restart_needs() -> None:
    rig = Rig()
    await rig.runner.on_change("5", rig.person("5", org=1), WHERE)
    rig.link_org(1, "C-1")
    restarted = ParkingLot(
        rig.parked,  # the table, recovered from its changelog
        PERSONS,
        lambda flow, sid: rig.world.idmap.get(f"{flow}/s/{sid}"),
    )
    [(key, _)] = restarted.due()
    assert key == "5"


async def test_a_restart_gives_a_parked_change_its_whole_wait_again() -> None:
    rig = Rig(wait=60.0)
    person = rig.person("5", org=1)
    await rig.runner.on_change("5", person, WHERE)
    rig.times.pass_(50)
    # no worker ran for ten minutes (a deploy, an outage)
    rig.times.pass_(600)
    rig.start()
    [(key, again)] = rig.lot.due()  # its stored wait is over: sent again
    await rig.runner.on_change(key, again, WHERE)
    assert rig.letters == []  # parked again, for a whole wait after the start
    rig.times.pass_(59)
    rig.link_org(1, "C-1")  # linked by the restarted workers, in time
    [(key, again)] = rig.lot.due()
    await rig.runner.on_change(key, again, WHERE)
    assert rig.letters == []
    assert len(rig.world.customcrm.writes) == 1


async def test_after_a_restart_a_parked_change_still_waits_only_so_long() -> None:
    rig = Rig(wait=60.0)
    await rig.runner.on_change("5", rig.person("5", org=1), WHERE)
    rig.times.pass_(600)
    rig.start()
    [(key, again)] = rig.lot.due()
    await rig.runner.on_change(key, again, WHERE)
    rig.times.pass_(61)  # the whole wait after the start, and no link
    [(key, again)] = rig.lot.due()
    await rig.runner.on_change(key, again, WHERE)
    [letter] = rig.letters
    assert letter.error_type == "UnresolvedReferenceError"
    assert rig.parked == {}


async def test_a_still_parked_change_is_resent_after_a_while() -> None:
    rig = Rig()
    await rig.runner.on_change("5", rig.person("5", org=1), WHERE)
    rig.link_org(1, "C-1")
    assert len(rig.lot.due()) == 1
    rig.times.pass_(29)
    assert rig.lot.due() == []
    rig.times.pass_(2)  # lost on its way (a crash before it was handled)
    assert len(rig.lot.due()) == 1
