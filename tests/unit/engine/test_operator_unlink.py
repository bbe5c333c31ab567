"""``tether unlink`` in the flow: the link goes, nothing is deleted, and the pair
is never matched again; a command is no change event and vice versa."""

from __future__ import annotations

import orjson
import pytest

from engine.control import UnlinkCommand
from engine.stores import IdMap, LinkTable
from schemas.envelope import ChangeEvent
from schemas.links import LinkOp
from streams.codecs import ModelSchema
from tests.unit.engine.test_handlers import ORG, ORGS
from tests.unit.engine.test_runner import WHERE, Rig


def command(target_id: str, *, source_id: str = "1", **more: str) -> UnlinkCommand:
    fields = {"flow": ORGS.name, "reason": "wrong VAT match", "by": "kari", **more}
    return UnlinkCommand(
        command="unlink", source_id=source_id, target_id=target_id, **fields
    )


async def matched(rig: Rig) -> str:
    """Organisation 1 matched to an existing customer by its VAT number."""
    rig.world.customcrm.put(
        "Customer", "C-9", {"Name": "Fjord Bygg AS", "VatNumber": "NO912345678MVA"}
    )
    await rig.runner.on_change(
        "1", rig.world.webcrm.put("Organisations", "1", ORG), WHERE
    )
    link = LinkTable(rig.links).get("1")
    assert link is not None
    assert (link.target_id, link.how) == ("C-9", "matched")
    rig.announced.clear()
    return link.target_id


async def test_an_unlink_removes_the_link_reports_it_and_deletes_nothing():
    rig = Rig()
    target = await matched(rig)
    writes = list(rig.world.customcrm.writes)

    await rig.runner.on_change("1", command(target), WHERE)

    assert LinkTable(rig.links).get("1") is None
    idmap = IdMap(rig.idmap)
    assert idmap.resolve(ORGS.name, "1") is None
    assert idmap.resolve_reverse(ORGS.name, target) is None
    assert idmap.refused(ORGS.name, "1") == (target,)
    assert [(k, n.op) for k, n in rig.announced] == [(target, LinkOp.UNLINK)]
    [report] = [r for r in rig.world.reports if r.kind == "unlinked"]
    assert report.source_id == "1"
    assert "by kari (wrong VAT match)" in report.detail
    assert "nothing deleted" in report.detail
    assert rig.world.customcrm.writes == writes  # no delete, no write
    assert not rig.letters


async def test_the_next_change_does_not_match_the_same_target_again():
    rig = Rig()
    target = await matched(rig)
    await rig.runner.on_change("1", command(target), WHERE)

    edited = rig.world.webcrm.put(
        "Organisations", "1", {**ORG, "OrganisationCity": "Bergen"}
    )
    await rig.runner.on_change("1", edited, WHERE)

    link = LinkTable(rig.links).get("1")
    assert link is not None
    assert link.target_id != target  # the flow's rule otherwise: a new customer
    assert link.how == "created"
    # Another source may still match the target it was unlinked from.
    assert rig.world.customcrm.event("Customer", target).op.value == "upsert"


async def test_a_command_for_another_target_or_key_is_refused_and_changes_nothing():
    rig = Rig()
    target = await matched(rig)
    await rig.runner.on_change("1", command("C-other"), WHERE)
    await rig.runner.on_change("2", command(target), WHERE)  # keyed by another id
    await rig.runner.on_change("1", command(target, flow="another-flow"), WHERE)
    assert LinkTable(rig.links).get("1") is not None
    assert IdMap(rig.idmap).refused(ORGS.name, "1") == ()
    kinds = [r.kind for r in rig.world.reports if r.kind.startswith("unlink")]
    assert kinds == ["unlink-refused"] * 3
    assert not rig.announced


async def test_a_redelivered_command_does_nothing_more():
    rig = Rig()
    target = await matched(rig)
    await rig.runner.on_change("1", command(target), WHERE)
    reports = len(rig.world.reports)
    await rig.runner.on_change("1", command(target), WHERE)
    assert len(rig.world.reports) == reports
    assert [n.op for _, n in rig.announced] == [LinkOp.UNLINK]


def decoded(topic: str, value: bytes) -> object:
    class Message:
        pass

    message = Message()
    message.topic = topic  # type: ignore[attr-defined]
    message.value = value  # type: ignore[attr-defined]
    schema = ModelSchema({"src": ChangeEvent, "cmd": UnlinkCommand})
    return schema.loads_value(None, message)


def test_a_forged_change_event_is_no_command_and_a_command_no_change():
    event = ChangeEvent(
        system="webcrm",
        entity="Organisations",
        id="1",
        modified_at="2024-01-01T00:00:00Z",
    )
    as_command = decoded("cmd", orjson.dumps(event.model_dump(mode="json")))
    assert not isinstance(as_command, UnlinkCommand)
    unlink = orjson.dumps(command("C-9").model_dump(mode="json"))
    assert not isinstance(decoded("src", unlink), ChangeEvent)
    assert isinstance(decoded("cmd", unlink), UnlinkCommand)
    # Not even a change event that carries the command's fields.
    mixed = {**event.model_dump(mode="json"), "command": "unlink"}
    assert not isinstance(decoded("src", orjson.dumps(mixed)), ChangeEvent)


def test_a_command_must_say_what_it_is():
    raw = command("C-9").model_dump(mode="json")
    with pytest.raises(ValueError, match="command"):
        UnlinkCommand.model_validate({**raw, "command": "delete"})
