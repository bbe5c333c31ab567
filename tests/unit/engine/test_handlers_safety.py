"""The flow handler's safety rules: no silent duplicates, deletes stay decided,
edits made meanwhile are not overwritten, agreed values are what was written."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from connectors.errors import InvalidRecordError, TransientError, UnreadableMatchError
from engine.handlers import handle_event
from engine.redelivery import lost_notice
from schemas.envelope import ChangeEvent, Operation
from schemas.links import LinkOp
from tests.unit.engine.memory_sink import MemorySink
from tests.unit.engine.test_handlers import ORG, ORGS, World


def gone(sink: MemorySink, entity: str, record_id: str) -> ChangeEvent:
    """``record_id`` deleted in ``sink``, and its delete event."""
    sink.records[entity].pop(record_id, None)
    return ChangeEvent(
        system=sink.system_name,
        entity=entity,
        id=record_id,
        op=Operation.DELETE,
        modified_at=sink.tick(),
    )


class Unreadable(MemorySink):
    """A target whose search also hits records it cannot read."""

    def __init__(self, system: str, unreadable: dict[str, str]) -> None:
        super().__init__(system)
        self.unreadable = unreadable

    async def find(self, entity: str, field_path: str, value: Any) -> list[ChangeEvent]:
        found = await super().find(entity, field_path, value)
        if not self.unreadable:
            return found
        first = next(iter(self.unreadable))
        raise UnreadableMatchError(
            "unreadable",
            system=self.system_name,
            entity=entity,
            record_id=first,
            found=found,
            unreadable=self.unreadable,
        )


class Tombstoning(MemorySink):
    """A target whose idempotency keys hand back records deleted since."""

    async def create(
        self, entity: str, data: dict[str, Any], *, idempotency_key: str
    ) -> ChangeEvent:
        record_id = self.keys.get(idempotency_key)
        if record_id is not None and record_id not in self.records[entity]:
            return ChangeEvent(
                system=self.system_name,
                entity=entity,
                id=record_id,
                op=Operation.DELETE,
                modified_at=self.clock,
            )
        return await super().create(entity, data, idempotency_key=idempotency_key)


# -- no silent duplicates ---------------------------------------------------------


async def test_an_empty_natural_key_is_reported_and_nothing_is_created():
    world = World()
    event = world.webcrm.put("Organisations", "1", {**ORG, "OrganisationVatNumber": ""})
    with pytest.raises(InvalidRecordError, match="webcrm Organisations 1: no natural"):
        await handle_event(ORGS, event, None, world.ports())
    assert world.customcrm.writes == []
    [report] = world.reports
    assert (report.kind, report.source_id) == ("unmatchable", "1")
    assert "OrganisationVatNumber" in report.detail


async def test_an_unreadable_candidate_is_reported_and_nothing_is_created():
    world = World()
    world.customcrm = Unreadable("customcrm", {"C-9": "Name: control character"})
    event = world.webcrm.put("Organisations", "1", ORG)
    with pytest.raises(InvalidRecordError, match="match unknown") as caught:
        await handle_event(ORGS, event, None, world.ports())
    assert caught.value.record_id == "1"  # the letter names the source record
    assert "C-9" in str(caught.value)
    assert world.customcrm.writes == []
    [report] = world.reports
    assert (report.kind, report.candidates) == ("ambiguous-match", ["C-9"])
    assert "control character" in report.detail


async def test_an_unreadable_candidate_next_to_a_readable_one_is_not_guessed():
    world = World()
    world.customcrm = Unreadable("customcrm", {"C-9": "bad"})
    world.customcrm.put("Customer", "C-1", {"VatNumber": "NO912345678MVA"})
    event = world.webcrm.put("Organisations", "1", ORG)
    with pytest.raises(InvalidRecordError):
        await handle_event(ORGS, event, None, world.ports())
    assert world.reports[0].candidates == ["C-1", "C-9"]
    assert world.customcrm.writes == []


async def test_an_unreadable_record_linked_to_another_source_does_not_block():
    world = World()
    world.customcrm = Unreadable("customcrm", {"C-9": "bad"})
    world.idmap[f"{ORGS.name}/t/C-9"] = "2"  # C-9 belongs to organisation 2
    event = world.webcrm.put("Organisations", "1", ORG)
    outcome = await handle_event(ORGS, event, None, world.ports())
    assert outcome.link is not None
    assert [w[0] for w in world.customcrm.writes] == ["create"]
    assert world.reports == []


# -- deletes stay decided ---------------------------------------------------------


async def test_a_deleted_target_leaves_a_tombstone_that_re_reads_keep():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    assert link is not None
    deleted = gone(world.customcrm, "Customer", link.target_id)
    outcome = await handle_event(ORGS, deleted, link, world.ports())
    tombstone = outcome.link
    assert tombstone is not None
    assert tombstone.tombstone
    assert tombstone.target_id == link.target_id
    assert [n.op for n in outcome.notices] == [LinkOp.UNLINK]
    assert "not created again" in world.reports[-1].detail
    # The next full re-read, and a later edit of the source, create nothing.
    for again in (event, world.webcrm.put("Organisations", "1", {**ORG, "X": 1})):
        kept = await handle_event(ORGS, again, tombstone, world.ports())
        assert kept.link == tombstone
        assert kept.notices == ()
    assert [w[0] for w in world.customcrm.writes] == ["create"]
    # No link notice is sent again for it after a crash either.
    assert lost_notice(ORGS, tombstone, lambda flow, sid: None) is None


async def test_a_source_edit_that_finds_its_target_gone_leaves_a_tombstone():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    assert link is not None
    gone(world.customcrm, "Customer", link.target_id)
    edited = world.webcrm.put("Organisations", "1", {**ORG, "OrganisationCity": "X"})
    outcome = await handle_event(ORGS, edited, link, world.ports())
    assert outcome.link is not None
    assert outcome.link.tombstone
    again = await handle_event(ORGS, edited, outcome.link, world.ports())
    assert again.link == outcome.link
    assert [w[0] for w in world.customcrm.writes] == ["create"]


async def test_the_tombstone_goes_when_the_source_is_deleted_too():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    assert link is not None
    deleted = gone(world.customcrm, "Customer", link.target_id)
    tombstone = (await handle_event(ORGS, deleted, link, world.ports())).link
    source_gone = gone(world.webcrm, "Organisations", "1")
    outcome = await handle_event(ORGS, source_gone, tombstone, world.ports())
    assert outcome.link is None
    assert outcome.notices == ()


async def test_a_deleted_source_leaves_no_tombstone():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    outcome = await handle_event(
        ORGS, gone(world.webcrm, "Organisations", "1"), link, world.ports()
    )
    assert outcome.link is None


async def test_a_delete_undone_before_it_is_handled_keeps_the_link():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    assert link is not None
    customer = dict(world.customcrm.records["Customer"][link.target_id])
    deleted = gone(world.customcrm, "Customer", link.target_id)
    world.customcrm.put("Customer", link.target_id, customer)  # restored
    outcome = await handle_event(ORGS, deleted, link, world.ports())
    assert outcome.link == link
    assert outcome.notices == ()
    assert world.reports == []


async def test_an_unlink_held_by_the_guard_ends_restored_or_decided():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    assert link is not None
    customer = dict(world.customcrm.records["Customer"][link.target_id])
    allow = [False]

    async def may_unlink(_link):
        return allow[0]

    ports = replace(world.ports(), may_unlink=may_unlink)
    deleted = gone(world.customcrm, "Customer", link.target_id)
    with pytest.raises(TransientError, match="mass-delete guard"):
        await handle_event(ORGS, deleted, link, ports)
    # The system answers again: the retried event finds the record and keeps it.
    world.customcrm.put("Customer", link.target_id, customer)
    restored = await handle_event(ORGS, deleted, link, ports)
    assert restored.link == link
    assert restored.notices == ()
    # Truly deleted, and the window slid: the delete is kept, decided.
    world.customcrm.records["Customer"].pop(link.target_id)
    allow[0] = True
    kept = await handle_event(ORGS, deleted, link, ports)
    assert kept.link is not None
    assert kept.link.tombstone


async def test_a_create_answered_with_a_deleted_record_is_not_a_create():
    world = World()
    world.customcrm = Tombstoning("customcrm")
    event = world.webcrm.put("Organisations", "1", ORG)
    first = (await handle_event(ORGS, event, None, world.ports())).link
    assert first is not None
    world.customcrm.records["Customer"].pop(first.target_id)  # deleted since
    # The link table lost the pair; the same version comes again (a replay).
    outcome = await handle_event(ORGS, event, None, world.ports())
    assert outcome.link is not None
    assert outcome.link.tombstone
    assert outcome.link.target_id == first.target_id
    assert outcome.notices == ()  # no link to a deleted record is announced
    assert world.reports[-1].kind == "target-deleted"
    assert world.customcrm.records["Customer"] == {}


# -- edits made meanwhile ---------------------------------------------------------


async def test_a_target_edit_landing_before_the_write_is_reconciled_not_overwritten():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    assert link is not None
    target_id = link.target_id
    customer = world.customcrm.records["Customer"][target_id]

    def human_edits_the_city() -> None:
        world.customcrm.clock = world.webcrm.clock
        world.customcrm.put("Customer", target_id, {**customer, "City": "Bergen"})

    moved = world.webcrm.put("Organisations", "1", {**ORG, "OrganisationCity": "Molde"})
    world.customcrm.before_write = human_edits_the_city
    with pytest.raises(TransientError, match="changed underneath") as caught:
        await handle_event(ORGS, moved, link, world.ports())
    assert caught.value.retry_after == 0.0
    assert world.customcrm.records["Customer"][target_id]["City"] == "Bergen"
    # Run again (as the runner does), the later edit wins as a conflict.
    outcome = await handle_event(ORGS, moved, link, world.ports())
    assert world.customcrm.records["Customer"][target_id]["City"] == "Bergen"
    assert world.webcrm.records["Organisations"]["1"]["OrganisationCity"] == "Bergen"
    assert outcome.link is not None
    assert outcome.link.synced["OrganisationCity->City"] == "Bergen"
    [conflict] = world.conflicts
    assert (conflict.winning_value, conflict.overridden_value) == ("Bergen", "Molde")


async def test_the_write_carries_the_state_it_was_decided_on():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    assert link is not None
    seen: list[ChangeEvent | None] = []
    update = world.customcrm.update

    async def spy(entity, record_id, changes, *, expected=None):
        seen.append(expected)
        return await update(entity, record_id, changes, expected=expected)

    world.customcrm.update = spy  # type: ignore[method-assign]
    moved = world.webcrm.put("Organisations", "1", {**ORG, "OrganisationCity": "Molde"})
    await handle_event(ORGS, moved, link, world.ports())
    [expected] = seen
    assert expected is not None
    assert expected.id == link.target_id
    assert expected.data is not None
    assert expected.data["City"] == "Oslo"


class Normalising(MemorySink):
    """A target that stores city names in capitals, whatever it is sent."""

    async def update(self, entity, record_id, changes, *, expected=None):
        if "City" in changes:
            changes = {**changes, "City": str(changes["City"]).upper()}
        return await super().update(entity, record_id, changes, expected=expected)


async def test_agreed_values_are_what_the_write_returned():
    world = World()
    world.customcrm = Normalising("customcrm")
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    assert link is not None
    moved = world.webcrm.put("Organisations", "1", {**ORG, "OrganisationCity": "Molde"})
    outcome = await handle_event(ORGS, moved, link, world.ports())
    assert outcome.link is not None
    assert outcome.link.synced["OrganisationCity->City"] == "MOLDE"
    # The target's read-back of it is no edit: nothing flows back to the source.
    echo = world.customcrm.event("Customer", link.target_id)
    writes = len(world.webcrm.writes)
    await handle_event(ORGS, echo, outcome.link, world.ports())
    assert len(world.webcrm.writes) == writes


async def test_a_target_that_was_only_hidden_is_linked_again_when_it_answers():
    world = World()
    event = world.webcrm.put("Organisations", "1", ORG)
    link = (await handle_event(ORGS, event, None, world.ports())).link
    assert link is not None
    hidden = dict(world.customcrm.records["Customer"][link.target_id])
    gone(world.customcrm, "Customer", link.target_id)  # a system answering 404
    edited = world.webcrm.put("Organisations", "1", {**ORG, "OrganisationCity": "X"})
    tombstone = (await handle_event(ORGS, edited, link, world.ports())).link
    assert tombstone is not None
    assert tombstone.tombstone
    world.customcrm.records["Customer"][link.target_id] = hidden  # it answers again
    later = world.webcrm.put("Organisations", "1", {**ORG, "OrganisationCity": "Y"})
    outcome = await handle_event(ORGS, later, tombstone, world.ports())
    assert outcome.link is not None
    assert not outcome.link.tombstone
    assert outcome.link.target_id == link.target_id
    assert outcome.notices[0].op.value == "link"
    assert world.customcrm.records["Customer"][link.target_id]["City"] == "Y"
    assert [w[0] for w in world.customcrm.writes] == ["create", "update"]
    assert any(r.kind == "restored" for r in world.reports)
