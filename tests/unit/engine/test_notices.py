"""Link notices are believed only when the id map agrees (DESIGN.md rule 16)."""

from __future__ import annotations

import asyncio
from typing import Any

from engine.notices import NoticeSettings, disbelief, route_notice
from engine.stores import IdMap, Route, RouteTable
from schemas.envelope import ChangeEvent, Operation
from schemas.links import LinkNotice, LinkOp
from tests.unit.engine.test_handlers import ORG, ORGS
from tests.unit.engine.test_runner import WHERE, Rig

FLOW = ORGS.name
LATER = (WHERE[0], WHERE[1], WHERE[2] + 1)  # the next message on the links topic


def _notice(source: str, target: str, op: LinkOp = LinkOp.LINK) -> LinkNotice:
    return LinkNotice(flow=FLOW, source_id=source, target_id=target, op=op)


def test_the_id_map_holds_pending_and_remembered_pairs_and_forgets_unlinked_ones():
    store: dict[str, Any] = {}
    idmap = IdMap(store)
    link = _notice("1", "C-9")
    assert not idmap.holds(FLOW, "1", "C-9")
    idmap.expect(link)
    assert idmap.holds(FLOW, "1", "C-9")
    assert idmap.resolve(FLOW, "1") is None  # pending proves no notice went out
    idmap.remember(link)
    assert idmap.holds(FLOW, "1", "C-9")
    assert idmap.resolve(FLOW, "1") == "C-9"
    assert not idmap.holds(FLOW, "2", "C-9")
    assert f"{FLOW}/p/C-9" not in store
    idmap.remember(_notice("1", "C-9", LinkOp.UNLINK))
    assert not idmap.holds(FLOW, "1", "C-9")
    assert store == {}


def test_an_unlink_leaves_a_pair_another_source_holds_by_now():
    store: dict[str, Any] = {}
    idmap = IdMap(store)
    idmap.remember(_notice("2", "C-9"))
    idmap.remember(_notice("1", "C-9", LinkOp.UNLINK))  # a late unlink of 1
    assert idmap.holds(FLOW, "2", "C-9")


async def test_a_link_notice_the_id_map_does_not_hold_is_not_believed():
    why = await disbelief("C-9", _notice("1", "C-9"), FLOW, IdMap({}), 0.0)
    assert why is not None
    assert "does not hold" in why


async def test_a_notice_of_another_flow_or_keyed_by_another_id_is_not_believed():
    idmap = IdMap({})
    idmap.remember(_notice("1", "C-9"))
    other = _notice("1", "C-9").model_copy(update={"flow": "elsewhere"})
    assert "names flow" in (await disbelief("C-9", other, FLOW, idmap, 0.0) or "")
    keyed = await disbelief("C-8", _notice("1", "C-9"), FLOW, idmap, 0.0)
    assert "message key 'C-8'" in (keyed or "")


async def test_a_genuine_notice_waits_for_its_pair_to_reach_the_id_map():
    idmap = IdMap({})
    notice = _notice("1", "C-9")

    async def replicated_later() -> None:
        await asyncio.sleep(0.2)
        idmap.expect(notice)

    late = asyncio.create_task(replicated_later())
    assert await disbelief("C-9", notice, FLOW, idmap, 5.0) is None
    await late


async def test_the_wait_is_bounded():
    clock = [0.0]

    async def sleep(seconds: float) -> None:
        clock[0] += seconds

    notice = _notice("1", "C-9", LinkOp.UNLINK)
    idmap = IdMap({})
    idmap.remember(_notice("1", "C-9"))
    why = await disbelief(
        "C-9", notice, FLOW, idmap, 3.0, sleep=sleep, clock=lambda: clock[0]
    )
    assert why is not None
    assert "still holds" in why
    assert 3.0 <= clock[0] < 3.2


async def test_a_forged_link_notice_is_a_dead_letter_and_the_route_stays():
    rig = Rig()
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    [(target, genuine)] = rig.announced
    await rig.runner.on_route(target, genuine, WHERE)
    forged = _notice("666", target)
    await rig.runner.on_route(target, forged, LATER)
    [letter] = rig.letters
    assert (letter.system, letter.entity, letter.record_id, letter.stage) == (
        "customcrm",
        "Customer",
        target,
        "check",
    )
    assert "666" in letter.reason
    assert letter.payload["source_id"] == "666"
    change = rig.world.customcrm.put("Customer", target, {"Id": target, "Name": "Y"})
    await rig.runner.on_route(target, change, WHERE)
    assert rig.forwarded == [("1", change)]  # still the real source's


async def test_a_forged_unlink_of_a_live_pair_is_a_dead_letter_and_the_route_stays():
    rig = Rig()
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    [(target, genuine)] = rig.announced
    await rig.runner.on_route(target, genuine, WHERE)
    forged = genuine.model_copy(update={"op": LinkOp.UNLINK})
    await rig.runner.on_route(target, forged, LATER)
    assert [letter.stage for letter in rig.letters] == ["check"]
    change = rig.world.customcrm.put("Customer", target, {"Id": target, "Name": "Z"})
    await rig.runner.on_route(target, change, WHERE)
    assert rig.forwarded == [("1", change)]


async def test_the_flow_side_sends_a_link_notice_pending_and_an_unlink_forgotten():
    rig = Rig()
    idmap = IdMap(rig.idmap)
    seen: list[tuple[LinkOp, bool, str | None]] = []

    async def announce(key: str, notice: LinkNotice) -> None:
        held = idmap.holds(FLOW, notice.source_id, notice.target_id)
        seen.append((notice.op, held, idmap.resolve(FLOW, notice.source_id)))

    rig.runner.outputs = type(rig.runner.outputs)(
        announce, rig.runner.outputs.dead_letter, rig.runner.outputs.forward
    )
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    rig.world.webcrm.records["Organisations"].pop("1")  # deleted in Webcrm
    gone = ChangeEvent(
        system="webcrm",
        entity="Organisations",
        id="1",
        op=Operation.DELETE,
        modified_at=rig.world.webcrm.tick(),
    )
    await rig.runner.on_change("1", gone, WHERE)
    # The router could believe each at once; the link was not yet remembered.
    assert seen == [(LinkOp.LINK, True, None), (LinkOp.UNLINK, False, None)]


def test_the_wait_is_a_setting(monkeypatch):
    monkeypatch.setenv("TETHER_NOTICE_WAIT_SECONDS", "2.5")
    assert NoticeSettings().wait_seconds == 2.5


async def _routed(
    notice: LinkNotice, offset: int, routes: RouteTable, idmap: IdMap
) -> str | None:
    where = ("links", 0, offset)
    routed = await route_notice(
        notice.target_id,
        notice,
        where,
        flow=FLOW,
        routes=routes,
        idmap=idmap,
        wait_seconds=60.0,  # a genuine or replayed notice never waits this out
    )
    return routed.refused


async def test_replayed_notices_the_links_moved_on_from_are_passed_over_at_once():
    routes, idmap = RouteTable({}), IdMap({})
    history = [
        _notice("1", "C-9"),
        _notice("1", "C-9", LinkOp.UNLINK),
        _notice("2", "C-9"),
    ]
    for offset, notice in enumerate(history):
        idmap.expect(notice)
        idmap.remember(notice)
        assert await _routed(notice, offset, routes, idmap) is None
    assert routes.get("C-9") == Route("2", None, 2)
    # A restart or an offset reset delivers them again: nothing waits or is
    # lettered, and the target stays with its source.
    for offset, notice in enumerate(history):
        assert await _routed(notice, offset, routes, idmap) is None
    assert (routes.get("C-9").source_id, routes.get("C-9").offset) == ("2", 2)


async def test_a_replayed_notice_the_id_map_agrees_with_is_applied_again():
    routes, idmap = RouteTable({}), IdMap({})
    notice = _notice("1", "C-9")
    idmap.remember(notice)
    routes.unlink("C-9", 5)  # a route record from a recreated links topic
    assert await _routed(notice, 3, routes, idmap) is None
    assert (routes.get("C-9").source_id, routes.get("C-9").offset) == ("1", 5)


def test_a_parked_change_keeps_the_offset_of_the_last_notice():
    store: dict[str, Any] = {}
    routes = RouteTable(store)
    routes.unlink("C-9", 4)
    rig = Rig()
    change = rig.world.customcrm.put("Customer", "C-9", {"Id": "C-9", "Name": "X"})
    routes.park(change)
    route = routes.get("C-9")
    assert (route.source_id, route.parked, route.offset) == (None, change, 4)
