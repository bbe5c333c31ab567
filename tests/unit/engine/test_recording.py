"""Write records and metrics of a flow runner: what was written, and why."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from connectors.errors import RejectedRecordError, TransientError
from engine import metrics
from engine.recording import Cause, WriteLog, flattened, recording_flow
from engine.runner import FlowOutputs, FlowRunner
from engine.stores import IdMap, LinkTable, RouteTable
from schemas.envelope import ChangeEvent, DeadLetter
from schemas.links import LinkNotice
from schemas.observe import WriteOp, WriteRecord
from tests.unit.engine.test_handlers import ORG, ORGS, World

WHERE = ("t", 0, 7)


def sample(name: str, **labels: str) -> float:
    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


class Rig:
    """A runner whose ports are recorded, its write records kept in a list."""

    def __init__(self) -> None:
        self.world = World()
        for sink in (self.world.webcrm, self.world.customcrm):
            setattr(sink, "system", sink.system_name)  # noqa: B010 - a class variable
        self.links: dict[str, Any] = {}
        self.idmap: dict[str, Any] = {}
        self.records: list[tuple[str, WriteRecord]] = []
        self.letters: list[DeadLetter] = []

        async def announce(key: str, notice: LinkNotice) -> None:
            return None

        async def dead_letter(letter: DeadLetter) -> None:
            self.letters.append(letter)

        async def forward(source_id: str, event: ChangeEvent) -> None:
            return None

        self.runner = FlowRunner(
            flow=ORGS,
            ports=recording_flow(ORGS.name, self.world.ports()),
            links=LinkTable(self.links),
            routes=RouteTable({}),
            idmap=IdMap(self.idmap),
            outputs=FlowOutputs(announce, dead_letter, forward),
            reference_wait_seconds=0.0,
            writelog=WriteLog(lambda k, r: self.records.append((k, r)), "host:1"),
        )

    def ops(self) -> list[WriteOp]:
        return [r.op for _, r in self.records]


async def test_a_create_is_recorded_with_its_values_and_its_cause():
    rig = Rig()
    name = ORGS.name
    before = {
        "writes": sample(
            "tether_writes_total",
            system="customcrm",
            type="Customer",
            op="create",
            outcome="ok",
        ),
        "creates": sample("tether_creates_total", flow=name),
        "in": sample("tether_events_in_total", flow=name),
        "written": sample("tether_events_out_total", flow=name, result="written"),
        "latency": sample("tether_change_to_write_seconds_count", flow=name),
    }
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    [(key, record)] = rig.records
    target_id = LinkTable(rig.links).get("1").target_id  # type: ignore[union-attr]
    assert key == f"customcrm/Customer/{target_id}"
    assert (record.op, record.flow, record.record_id) == (
        WriteOp.CREATE,
        name,
        target_id,
    )
    assert record.after["Name"] == ORG["OrganisationName"]
    assert record.after["VatNumber"] == ORG["OrganisationVatNumber"]
    assert record.before == {}
    assert record.why == "new source record"
    assert (record.from_system, record.from_entity, record.from_id) == (
        "webcrm",
        "Organisations",
        "1",
    )
    assert record.changed_at == event.modified_at
    assert record.worker == "host:1"
    after = {
        "writes": sample(
            "tether_writes_total",
            system="customcrm",
            type="Customer",
            op="create",
            outcome="ok",
        ),
        "creates": sample("tether_creates_total", flow=name),
        "in": sample("tether_events_in_total", flow=name),
        "written": sample("tether_events_out_total", flow=name, result="written"),
        "latency": sample("tether_change_to_write_seconds_count", flow=name),
    }
    assert {k: after[k] - before[k] for k in before} == dict.fromkeys(before, 1.0)
    activity = metrics.ACTIVITY.flow(name)
    assert activity.last_write_at == record.written_at


async def test_a_target_change_is_recorded_with_the_values_it_replaced():
    rig = Rig()
    await rig.runner.on_change(
        "1", rig.world.webcrm.put("Organisations", "1", ORG), WHERE
    )
    target_id = LinkTable(rig.links).get("1").target_id  # type: ignore[union-attr]
    rig.records.clear()
    customer = rig.world.customcrm.records["Customer"][target_id]
    edit = rig.world.customcrm.put(
        "Customer", target_id, {**customer, "City": "Bergen"}
    )
    await rig.runner.on_change("1", edit, WHERE)  # routed by its source id
    [(key, record)] = rig.records
    assert key == "webcrm/Organisations/1"
    assert record.op is WriteOp.UPDATE
    assert record.before == {"OrganisationCity": "Oslo"}
    assert record.after == {"OrganisationCity": "Bergen"}
    assert record.why == "target change"
    assert (record.from_system, record.from_id) == ("customcrm", target_id)


async def test_a_match_is_recorded_with_its_natural_key():
    rig = Rig()
    rig.world.customcrm.put(
        "Customer", "C-9", {"Name": "Fjord Bygg AS", "VatNumber": "NO912345678MVA"}
    )
    matches = sample("tether_matches_total", flow=ORGS.name)
    await rig.runner.on_change(
        "1", rig.world.webcrm.put("Organisations", "1", ORG), WHERE
    )
    update, match = (r for _, r in rig.records)
    assert (match.op, match.system, match.record_id) == (
        WriteOp.MATCH,
        "customcrm",
        "C-9",
    )
    assert match.after == {"source_id": "1"}
    assert match.why == "natural key OrganisationVatNumber"
    assert (update.op, update.record_id) == (WriteOp.UPDATE, "C-9")
    assert update.why == "natural key OrganisationVatNumber; source change"
    assert update.after == {"City": "Oslo"}
    assert update.before == {"City": None}
    assert sample("tether_matches_total", flow=ORGS.name) == matches + 1


async def test_a_conflict_names_the_winner_on_the_writes_it_caused():
    rig = Rig()
    await rig.runner.on_change(
        "1", rig.world.webcrm.put("Organisations", "1", ORG), WHERE
    )
    target_id = LinkTable(rig.links).get("1").target_id  # type: ignore[union-attr]
    rig.records.clear()
    conflicts = sample("tether_conflicts_total", flow=ORGS.name)
    source_edit = rig.world.webcrm.put(
        "Organisations", "1", {**ORG, "OrganisationCity": "Trondheim"}
    )
    customer = rig.world.customcrm.records["Customer"][target_id]
    rig.world.customcrm.clock += timedelta(seconds=30)  # the target edit is later
    rig.world.customcrm.put("Customer", target_id, {**customer, "City": "Bergen"})
    await rig.runner.on_change("1", source_edit, WHERE)
    [(_, record)] = rig.records
    assert (record.system, record.after) == ("webcrm", {"OrganisationCity": "Bergen"})
    assert record.conflicts == {"OrganisationCity->City": "target"}
    assert sample("tether_conflicts_total", flow=ORGS.name) == conflicts + 1


async def test_a_refused_write_is_counted_and_dead_lettered_not_recorded():
    rig = Rig()
    refused = sample(
        "tether_writes_total",
        system="customcrm",
        type="Customer",
        op="create",
        outcome="refused",
    )
    letters = sample(
        "tether_dead_letters_total", stage="flow", system="webcrm", flow=ORGS.name
    )
    out = sample("tether_events_out_total", flow=ORGS.name, result="dead_letter")

    async def refuse(entity: str, data: Any, *, idempotency_key: str) -> Any:
        msg = "customcrm Customer: 422 Name taken"
        raise RejectedRecordError(msg, system="customcrm", entity=entity)

    rig.world.customcrm.create = refuse  # type: ignore[method-assign]
    await rig.runner.on_change(
        "2",
        rig.world.webcrm.put("Organisations", "2", {**ORG, "OrganisationId": 2}),
        WHERE,
    )
    assert not rig.records
    assert len(rig.letters) == 1
    assert (
        sample(
            "tether_writes_total",
            system="customcrm",
            type="Customer",
            op="create",
            outcome="refused",
        )
        == refused + 1
    )
    assert sample(
        "tether_dead_letters_total", stage="flow", system="webcrm", flow=ORGS.name
    ) == (letters + 1)
    assert (
        sample("tether_events_out_total", flow=ORGS.name, result="dead_letter")
        == out + 1
    )


async def test_a_change_seen_already_is_unchanged_and_writes_nothing():
    rig = Rig()
    event = rig.world.webcrm.put("Organisations", "1", ORG)
    await rig.runner.on_change("1", event, WHERE)
    rig.records.clear()
    unchanged = sample("tether_events_out_total", flow=ORGS.name, result="unchanged")
    await rig.runner.on_change("1", event, WHERE)
    assert not rig.records
    assert (
        sample("tether_events_out_total", flow=ORGS.name, result="unchanged")
        == unchanged + 1
    )


def test_a_record_that_cannot_be_sent_is_counted_and_the_flow_goes_on():
    def broken(key: str, record: WriteRecord) -> None:
        raise RuntimeError("queue gone")

    dropped = sample("tether_write_records_dropped_total")
    log = WriteLog(broken, "w")
    with log.change("f", None) as cause:
        cause.add(WriteOp.DELETE, "s", "T", "1")
    assert sample("tether_write_records_dropped_total") == dropped + 1


def test_a_delete_says_which_side_was_deleted():
    cause = Cause("f", None)
    cause.deleted = "source"
    assert cause.why(WriteOp.DELETE) == "deleted in source"
    cause.match_key = "Email"
    assert cause.why(WriteOp.UPDATE) == "natural key Email; source change"


@pytest.mark.parametrize(
    ("body", "flat"),
    [
        ({"a": 1, "b": {"c": 2, "d": [1, 2]}}, {"a": 1, "b.c": 2, "b.d": [1, 2]}),
        ({"a": {}}, {"a": {}}),
        ({}, {}),
    ],
)
def test_a_body_is_recorded_by_its_leaf_paths(body, flat):
    assert flattened(body) == flat


async def test_a_value_keyed_flow_records_its_links_as_matches():
    from tests.unit.engine.test_handlers_modes import COMPANIES, countries_world

    world, ports = countries_world()
    records: list[WriteRecord] = []

    async def nothing(*_: Any) -> None:
        return None

    runner = FlowRunner(
        flow=COMPANIES,
        ports=recording_flow(COMPANIES.name, ports),
        links=LinkTable({}),
        routes=RouteTable({}),
        idmap=IdMap({}),
        outputs=FlowOutputs(nothing, nothing, nothing),
        writelog=WriteLog(lambda k, r: records.append(r)),
    )
    company = world.webcrm.put(
        "Companies",
        "c-1",
        {"postAddress": {"country": "Norway"}, "visitAddress": {"country": "SE"}},
    )
    await runner.on_change("c-1", company, WHERE)
    assert sorted((r.op, r.record_id, r.from_id) for r in records) == [
        (WriteOp.MATCH, "1", "c-1"),
        (WriteOp.MATCH, "2", "c-1"),
    ]
    assert {r.system for r in records} == {COMPANIES.target.system}


async def test_a_retry_is_counted_for_the_system_that_failed():
    rig = Rig()
    inner = rig.world.customcrm.create
    calls = 0

    async def flaky(entity: str, data: Any, *, idempotency_key: str) -> Any:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise TransientError("customcrm: 503", retry_after=0.0)
        return await inner(entity, data, idempotency_key=idempotency_key)

    rig.world.customcrm.create = flaky  # type: ignore[method-assign]
    retries = sample("tether_retries_total", system="customcrm")
    errors = sample(
        "tether_writes_total",
        system="customcrm",
        type="Customer",
        op="create",
        outcome="error",
    )
    await rig.runner.on_change(
        "1", rig.world.webcrm.put("Organisations", "1", ORG), WHERE
    )
    assert sample("tether_retries_total", system="customcrm") == retries + 1
    assert (
        sample(
            "tether_writes_total",
            system="customcrm",
            type="Customer",
            op="create",
            outcome="error",
        )
        == errors + 1
    )
    assert [r.op for _, r in rig.records] == [WriteOp.CREATE]
