"""The flow runner's decisions around the handler, with dict stores and lists."""

from __future__ import annotations

from typing import Any

from connectors.errors import RejectedRecordError
from engine.inbound import Undecodable
from engine.notices import NoticeSettings
from engine.runner import FlowOutputs, FlowRunner
from engine.stores import IdMap, LinkTable, RouteTable
from schemas.envelope import ChangeEvent, DeadLetter
from schemas.links import Link, LinkNotice, LinkOp
from tests.unit.engine.test_handlers import ORG, ORGS, World

WHERE = ("t", 0, 7)


class Rig:
    def __init__(self) -> None:
        self.world = World()
        self.links: dict[str, Any] = {}
        self.routes: dict[str, Any] = {}
        self.idmap: dict[str, Any] = {}
        self.announced: list[tuple[str, LinkNotice]] = []
        self.letters: list[DeadLetter] = []
        self.forwarded: list[tuple[str, ChangeEvent]] = []

        async def announce(key: str, notice: LinkNotice) -> None:
            self.announced.append((key, notice))

        async def dead_letter(letter: DeadLetter) -> None:
            self.letters.append(letter)

        async def forward(source_id: str, event: ChangeEvent) -> None:
            self.forwarded.append((source_id, event))

        self.runner = FlowRunner(
            flow=ORGS,
            ports=self.world.ports(),
            links=LinkTable(self.links),
            routes=RouteTable(self.routes),
            idmap=IdMap(self.idmap),
            outputs=FlowOutputs(announce, dead_letter, forward),
            reference_wait_seconds=0.0,
            notices=NoticeSettings(wait_seconds=0.0),
        )


async def test_a_created_link_is_stored_announced_and_remembered():
    rig = Rig()
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    link = LinkTable(rig.links).get("1")
    assert link is not None
    assert [(k, n.op) for k, n in rig.announced] == [(link.target_id, LinkOp.LINK)]
    assert IdMap(rig.idmap).resolve(ORGS.name, "1") == link.target_id
    assert IdMap(rig.idmap).resolve_reverse(ORGS.name, link.target_id) == "1"


async def test_a_link_whose_notice_was_lost_is_announced_again():
    rig = Rig()
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    rig.announced.clear()
    rig.idmap.clear()  # the crash came between storing the link and its notice
    await rig.runner.on_change("1", event, WHERE)
    assert [n.op for _, n in rig.announced] == [LinkOp.LINK]
    assert len([w for w in rig.world.customcrm.writes if w[0] == "create"]) == 1


async def test_an_undecodable_message_is_a_dead_letter_naming_where_it_was():
    rig = Rig()
    await rig.runner.on_change("42", Undecodable("t", "id: missing", b"{}"), WHERE)
    [letter] = rig.letters
    assert (letter.stage, letter.record_id, letter.offset) == ("decode", "42", 7)
    assert (letter.system, letter.entity) == ("<unknown>", "<unknown>")
    assert letter.payload == "{}"
    assert not rig.links


async def test_a_record_error_is_a_dead_letter_and_the_link_is_kept():
    rig = Rig()
    bad = rig.world.webcrm.put("Organisations", "2", {**ORG, "OrganisationId": 2})

    async def refuse(entity: str, data: Any, *, idempotency_key: str) -> Any:
        msg = "customcrm Customer: 422 Name taken"
        raise RejectedRecordError(msg, system="customcrm", entity=entity)

    rig.world.customcrm.create = refuse  # type: ignore[method-assign]
    await rig.runner.on_change("2", bad, WHERE)
    assert [letter.stage for letter in rig.letters] == ["flow"]
    assert rig.letters[0].record_id == "2"
    assert "2" not in rig.links


async def test_a_change_of_an_unlinked_target_is_parked_until_its_link_arrives():
    rig = Rig()
    change = rig.world.customcrm.put("Customer", "C-9", {"Id": "C-9", "Name": "X"})
    await rig.runner.on_route("C-9", change, WHERE)
    assert not rig.forwarded
    notice = LinkNotice(flow=ORGS.name, source_id="1", target_id="C-9", op=LinkOp.LINK)
    IdMap(rig.idmap).expect(notice)  # the flow side made the link
    await rig.runner.on_route("C-9", notice, WHERE)
    assert rig.forwarded == [("1", change)]
    later = rig.world.customcrm.put("Customer", "C-9", {"Id": "C-9", "Name": "Y"})
    await rig.runner.on_route("C-9", later, WHERE)
    assert rig.forwarded[-1] == ("1", later)


async def test_an_unlink_notice_forgets_the_route():
    rig = Rig()
    link = LinkNotice(flow=ORGS.name, source_id="1", target_id="C-9", op=LinkOp.LINK)
    IdMap(rig.idmap).remember(link)  # the flow side made the link...
    await rig.runner.on_route("C-9", link, WHERE)
    unlink = link.model_copy(update={"op": LinkOp.UNLINK})
    IdMap(rig.idmap).remember(unlink)  # ...and removed it
    await rig.runner.on_route("C-9", unlink, ("t", 0, 8))  # the next notice
    assert RouteTable(rig.routes).get("C-9").source_id is None
    change = rig.world.customcrm.put("Customer", "C-9", {"Id": "C-9", "Name": "Z"})
    await rig.runner.on_route("C-9", change, WHERE)
    assert not rig.forwarded


def test_link_table_round_trips_links():
    store: dict[str, Any] = {}
    table = LinkTable(store)
    link = Link(flow="f", source_id="1", target_id="9")
    table.put("1", link)
    assert table.get("1") == link
    assert len(table) == 1
    table.delete("1")
    table.delete("1")  # deleting twice is harmless
    assert table.get("1") is None


async def test_an_event_that_changes_nothing_writes_nothing_to_the_table():
    rig = Rig()
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    writes: list[str] = []

    class Watched(dict):  # type: ignore[type-arg]
        def __setitem__(self, key: str, value: Any) -> None:
            writes.append(key)
            super().__setitem__(key, value)

    rig.runner.links = LinkTable(Watched(rig.links))
    await rig.runner.on_change("1", event, WHERE)  # a replay of the same event
    assert writes == []


async def test_an_undecodable_message_is_named_by_the_entity_topic_it_came_from():
    rig = Rig()
    garbage = Undecodable("app.customcrm.Customer", "value: invalid JSON", b"\x00")
    await rig.runner.on_route("C-1", garbage, ("app.customcrm.Customer", 2, 9))
    [letter] = rig.letters
    assert (letter.system, letter.entity, letter.record_id) == (
        "customcrm",
        "Customer",
        "C-1",
    )
    assert letter.stage == "decode"
