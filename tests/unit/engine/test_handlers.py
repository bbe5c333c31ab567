"""The flow handler against in-memory systems: create, match, echo, conflict, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base.protocols import Capabilities
from connectors.errors import InvalidRecordError, UnresolvedReferenceError
from dataflows import flows_by_name, load_documents
from engine.handlers import FlowPorts, handle_event
from schemas.envelope import ChangeEvent, ConflictRecord, FlowReport, Operation
from schemas.links import LinkOp
from tests.unit.engine.memory_sink import MemorySink

FLOWS = flows_by_name(load_documents())
ORGS = FLOWS["webcrm-organisations-to-customcrm-customer"]
PERSONS = FLOWS["webcrm-persons-to-customcrm-contact"]


class World:
    def __init__(self, target_caps: Capabilities | None = None) -> None:
        self.webcrm = MemorySink("webcrm")
        self.customcrm = MemorySink("customcrm", target_caps)
        self.idmap: dict[str, str] = {}
        self.conflicts: list[ConflictRecord] = []
        self.reports: list[FlowReport] = []

    def ports(self) -> FlowPorts:
        async def conflict(record):
            self.conflicts.append(record)

        async def report(record):
            self.reports.append(record)

        return FlowPorts(
            source_sink=self.webcrm,
            target_sink=self.customcrm,
            resolve=lambda flow, sid: self.idmap.get(f"{flow}/s/{sid}"),
            resolve_reverse=lambda flow, tid: self.idmap.get(f"{flow}/t/{tid}"),
            conflict=conflict,
            report=report,
            tie_window=timedelta(seconds=0.5),
        )


ORG = {
    "OrganisationId": 1,
    "OrganisationName": "Fjord Bygg AS",
    "OrganisationCity": "Oslo",
    "OrganisationVatNumber": "NO912345678MVA",
}


async def test_unlinked_source_creates_target_with_mapped_values():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    outcome = await handle_event(ORGS, event, None, world.ports())
    [(op, entity, target_id, body)] = world.customcrm.writes
    assert (op, entity) == ("create", "Customer")
    assert body["Name"] == "Fjord Bygg AS"
    assert body["City"] == "Oslo"
    assert outcome.link is not None
    assert outcome.link.target_id == target_id
    assert outcome.notice is not None
    assert outcome.notice.op is LinkOp.LINK


async def test_redelivered_create_does_not_create_twice():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    first = await handle_event(ORGS, event, None, world.ports())
    again = await handle_event(ORGS, event, None, world.ports())  # link was lost
    assert len([w for w in world.customcrm.writes if w[0] == "create"]) == 1
    assert first.link
    assert again.link
    assert first.link.target_id == again.link.target_id


async def test_existing_target_is_matched_not_duplicated():
    world = World()
    world.customcrm.put(
        "Customer", "C-9", {"Name": "Fjord Bygg AS", "VatNumber": "NO912345678MVA"}
    )
    event = world.webcrm.put("Organisations", "1", ORG)
    outcome = await handle_event(ORGS, event, None, world.ports())
    assert outcome.link
    assert outcome.link.target_id == "C-9"
    assert outcome.link.how == "matched"
    assert not [w for w in world.customcrm.writes if w[0] == "create"]


async def test_ambiguous_match_is_reported_not_guessed():
    world = World()
    for cid in ("C-1", "C-2"):
        world.customcrm.put("Customer", cid, {"VatNumber": "NO912345678MVA"})
    event = world.webcrm.put("Organisations", "1", ORG)
    outcome = await handle_event(ORGS, event, None, world.ports())
    assert outcome.link is None
    assert world.customcrm.writes == []
    [report] = world.reports
    assert report.kind == "ambiguous-match"
    assert sorted(report.candidates) == ["C-1", "C-2"]


async def test_read_back_of_own_write_is_not_an_echo():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    echo = world.customcrm.event("Customer", link.target_id)
    outcome = await handle_event(ORGS, echo, link, world.ports())
    replay = await handle_event(ORGS, event, outcome.link, world.ports())
    assert len(world.customcrm.writes) == 1
    assert world.webcrm.writes == []
    assert replay.link == outcome.link


async def test_target_edit_flows_back_to_source_once():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    edited = world.customcrm.put(
        "Customer",
        link.target_id,
        {**world.customcrm.records["Customer"][link.target_id], "City": "Bergen"},
    )
    outcome = await handle_event(ORGS, edited, link, world.ports())
    assert world.webcrm.writes == [
        ("update", "Organisations", "1", {"OrganisationCity": "Bergen"})
    ]
    # the source's read-back of that write produces nothing more
    back = world.webcrm.event("Organisations", "1")
    final = await handle_event(ORGS, back, outcome.link, world.ports())
    assert len(world.webcrm.writes) == 1
    assert len(world.customcrm.writes) == 1
    assert final.link.synced["OrganisationCity->City"] == "Bergen"


async def test_same_property_edited_on_both_sides_later_wins_and_is_recorded():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    source_edit = world.webcrm.put(
        "Organisations", "1", {**ORG, "OrganisationCity": "Trondheim"}
    )
    target = world.customcrm.records["Customer"][link.target_id]
    world.customcrm.clock += timedelta(seconds=30)  # the target edit is later
    world.customcrm.put(
        "Customer", link.target_id, {**target, "City": "Bergen"}
    )  # later
    outcome = await handle_event(ORGS, source_edit, link, world.ports())
    assert world.webcrm.records["Organisations"]["1"]["OrganisationCity"] == "Bergen"
    assert world.customcrm.records["Customer"][link.target_id]["City"] == "Bergen"
    [conflict] = world.conflicts
    assert conflict.winning_value == "Bergen"
    assert conflict.overridden_value == "Trondheim"
    assert outcome.link.synced["OrganisationCity->City"] == "Bergen"


async def test_reference_without_link_raises_for_retry():
    world = World()
    person = world.webcrm.put(
        "Persons", "5", {"PersonOrganisationId": 1, "PersonLastName": "N"}
    )
    with pytest.raises(UnresolvedReferenceError, match="PersonOrganisationId=1"):
        await handle_event(PERSONS, person, None, world.ports())


async def test_reference_maps_to_the_linked_target_id():
    world = World()
    world.idmap[f"{ORGS.name}/s/1"] = "C-77"
    person = world.webcrm.put(
        "Persons",
        "5",
        {"PersonOrganisationId": 1, "PersonLastName": "N", "PersonEmail": "n@x.no"},
    )
    await handle_event(PERSONS, person, None, world.ports())
    [(_, _, _, body)] = world.customcrm.writes
    assert body["CustomerId"] == "C-77"


async def test_a_target_reference_with_no_source_id_waits_and_is_not_agreed():
    world = World()
    world.idmap[f"{ORGS.name}/s/1"] = "C-1"
    world.idmap[f"{ORGS.name}/t/C-1"] = "1"
    person = world.webcrm.put(
        "Persons",
        "5",
        {"PersonOrganisationId": 1, "PersonLastName": "N", "PersonEmail": "n@x.no"},
    )
    link = (await handle_event(PERSONS, person, None, world.ports())).link
    contact = world.customcrm.records["Contact"][link.target_id]
    moved = world.customcrm.put(
        "Contact", link.target_id, {**contact, "CustomerId": "C-2"}
    )
    # C-2 names no Webcrm organisation yet: nothing to write, and nothing agreed,
    # or the move would look synced and never reach Webcrm.
    with pytest.raises(UnresolvedReferenceError, match="CustomerId=C-2"):
        await handle_event(PERSONS, moved, link, world.ports())
    assert world.webcrm.writes == []

    world.idmap[f"{ORGS.name}/t/C-2"] = "2"  # the organisation is linked meanwhile
    outcome = await handle_event(PERSONS, moved, link, world.ports())
    assert world.webcrm.records["Persons"]["5"]["PersonOrganisationId"] == 2
    assert outcome.link.synced["PersonOrganisationId->CustomerId"] == "C-2"


async def test_uncoercible_value_is_an_invalid_record_naming_system_type_id():
    world = World()
    product = FLOWS["webcrm-products-to-customcrm-product"]
    event = world.webcrm.put(
        "Products", "3", {"ProductCombined": "X", "ProductPrice": "lots"}
    )
    with pytest.raises(InvalidRecordError, match="webcrm Products 3"):
        await handle_event(product, event, None, world.ports())


async def test_delete_removes_link_and_reports_without_deleting_other_side():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    world.webcrm.records["Organisations"].pop("1")
    deleted = ChangeEvent(
        system="webcrm",
        entity="Organisations",
        id="1",
        op=Operation.DELETE,
        modified_at=world.webcrm.tick(),
    )
    outcome = await handle_event(ORGS, deleted, link, world.ports())
    assert outcome.link is None
    assert outcome.notice
    assert outcome.notice.op is LinkOp.UNLINK
    assert [w[0] for w in world.customcrm.writes] == ["create"]
    assert world.reports[-1].kind == "unlinked"


async def test_lookup_only_target_reports_unmatched():
    world = World(Capabilities(create=False, update=False))
    event = world.webcrm.put("Organisations", "1", ORG)
    outcome = await handle_event(ORGS, event, None, world.ports())
    assert outcome.link is None
    assert world.reports[-1].kind == "unmatched"
    assert world.customcrm.writes == []


async def test_a_stale_target_event_never_overwrites_a_newer_target_edit():
    # Found by the chaos soak: a contact's change redelivered after a crash was
    # reconciled as the event had it; the person's older value won against it
    # and overwrote the contact's newer edit, whose own event then looked seen.
    world = World()
    created = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, created, None, world.ports())).link
    customer = world.customcrm.records["Customer"][link.target_id]
    stale = world.customcrm.put(
        "Customer", link.target_id, {**customer, "City": "Bergen"}
    )
    world.webcrm.clock = world.customcrm.clock + timedelta(seconds=10)
    world.webcrm.put("Organisations", "1", {**ORG, "OrganisationCity": "Trondheim"})
    world.customcrm.clock = world.webcrm.clock + timedelta(seconds=10)
    world.customcrm.put("Customer", link.target_id, {**customer, "City": "Stavanger"})

    outcome = await handle_event(ORGS, stale, link, world.ports())

    assert world.customcrm.records["Customer"][link.target_id]["City"] == "Stavanger"
    assert world.webcrm.records["Organisations"]["1"]["OrganisationCity"] == "Stavanger"
    assert outcome.link.synced["OrganisationCity->City"] == "Stavanger"
    [conflict] = world.conflicts
    assert (conflict.winning_value, conflict.overridden_value) == (
        "Stavanger",
        "Trondheim",
    )


async def test_a_stale_source_event_never_overwrites_a_newer_source_edit():
    world = World()
    created = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, created, None, world.ports())).link
    stale = world.webcrm.put(
        "Organisations", "1", {**ORG, "OrganisationCity": "Trondheim"}
    )
    customer = world.customcrm.records["Customer"][link.target_id]
    world.customcrm.clock = world.webcrm.clock + timedelta(seconds=10)
    world.customcrm.put("Customer", link.target_id, {**customer, "City": "Bergen"})
    world.webcrm.clock = world.customcrm.clock + timedelta(seconds=10)
    world.webcrm.put("Organisations", "1", {**ORG, "OrganisationCity": "Molde"})

    outcome = await handle_event(ORGS, stale, link, world.ports())

    assert world.webcrm.records["Organisations"]["1"]["OrganisationCity"] == "Molde"
    assert world.customcrm.records["Customer"][link.target_id]["City"] == "Molde"
    assert outcome.link.synced["OrganisationCity->City"] == "Molde"
    # The newer source edit's own event, arriving next, writes nothing more.
    writes = len(world.customcrm.writes) + len(world.webcrm.writes)
    latest = world.webcrm.event("Organisations", "1")
    await handle_event(ORGS, latest, outcome.link, world.ports())
    assert len(world.customcrm.writes) + len(world.webcrm.writes) == writes
