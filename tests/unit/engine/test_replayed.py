"""A replayed, already-synced event costs a glance at its link and nothing else."""

from __future__ import annotations

from typing import Any

from engine.stores import LinkTable
from schemas.envelope import ChangeEvent, Operation
from tests.unit.engine.test_handlers import ORG
from tests.unit.engine.test_runner import WHERE, Rig


def _synced(rig: Rig) -> ChangeEvent:
    return rig.world.webcrm.put("Organisations", "1", ORG)


class Checks:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, event: ChangeEvent) -> None:
        self.seen.append(event.id)


async def test_a_replay_is_neither_checked_nor_handled_nor_stored():
    rig = Rig()
    event = _synced(rig)
    await rig.runner.on_change("1", event, WHERE)
    checks, reads = Checks(), len(rig.world.customcrm.writes)
    rig.runner.check = checks
    rig.announced.clear()
    await rig.runner.on_change("1", event, WHERE)
    assert checks.seen == []  # told from the link alone
    assert rig.announced == []
    assert len(rig.world.customcrm.writes) == reads


async def test_a_newer_version_still_takes_the_full_path_and_is_checked():
    rig = Rig()
    event = _synced(rig)
    await rig.runner.on_change("1", event, WHERE)
    checks = Checks()
    rig.runner.check = checks
    newer = event.model_copy(update={"modified_at": event.modified_at.replace(
        year=event.modified_at.year + 1)})  # fmt: skip
    await rig.runner.on_change("1", newer, WHERE)
    assert checks.seen == ["1"]


async def test_a_replay_keyed_by_another_id_is_still_dead_lettered():
    rig = Rig()
    event = _synced(rig)
    await rig.runner.on_change("1", event, WHERE)
    rig.links["2"] = rig.links["1"]
    await rig.runner.on_change("2", event, WHERE)
    [letter] = rig.letters
    assert letter.stage == "check"


async def test_a_replayed_delete_is_not_taken_for_a_no_op():
    rig = Rig()
    event = _synced(rig)
    await rig.runner.on_change("1", event, WHERE)
    checks = Checks()
    rig.runner.check = checks
    gone = event.model_copy(update={"op": Operation.DELETE})
    await rig.runner.on_change("1", gone, WHERE)
    assert checks.seen == ["1"]  # the full path: checked, then handled


async def test_a_link_whose_notice_may_be_lost_takes_the_full_path():
    rig = Rig()
    event = _synced(rig)
    await rig.runner.on_change("1", event, WHERE)
    rig.announced.clear()
    rig.idmap.clear()
    await rig.runner.on_change("1", event, WHERE)
    assert len(rig.announced) == 1


def test_a_glance_at_a_link_reads_its_times_and_target():
    rig = Rig()
    store: dict[str, Any] = {
        "1": {"target_id": "c9", "source_seen_at": "2026-01-02T03:04:05Z"},
        "2": {"target_id": "c8", "source_seen_at": "2026-01-02T03:04:05"},  # naive
    }
    table = LinkTable(store)
    glance = table.glance("1")
    assert glance is not None
    assert glance.target_id == "c9"
    assert glance.source_seen_at is not None
    assert glance.source_seen_at.utcoffset() is not None
    assert not glance.tombstone
    assert table.glance("2") is not None
    assert table.glance("2").source_seen_at is None  # type: ignore[union-attr]
    assert table.glance("3") is None
    assert rig.links == {}
