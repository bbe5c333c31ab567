"""What the demo prints: writes as they happen, progress, why, and its env."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from dataflows import flows_by_name, load_documents
from ops.demo import (
    demo_env,
    explain_creates,
    first_sync_from_counts,
    render_first_sync,
    render_write,
)
from schemas.observe import FirstSync, WriteOp, WriteRecord
from standins.base import StandIn

AT = datetime(2026, 1, 5, 12, 1, 3, tzinfo=UTC)
FLOWS = flows_by_name(load_documents())


def _write(op: WriteOp, **values: object) -> WriteRecord:
    fields: dict[str, object] = {
        "flow": "customcrm-customers-to-webcrm-persons",
        "system": "webcrm",
        "entity": "persons",
        "record_id": "4",
        "op": op,
        "from_system": "customcrm",
        "from_entity": "customers",
        "from_id": "17",
        "written_at": AT,
    }
    fields.update(values)
    return WriteRecord.model_validate(fields)


def test_an_update_shows_each_changed_property_and_the_delay():
    record = _write(
        WriteOp.UPDATE,
        before={"City": "Oslo", "Name": "Kari"},
        after={"City": "Bergen", "Name": "Kari", "Age": 40},
        changed_at=AT - timedelta(seconds=1.8),
    )
    assert render_write(record) == (
        '12:01:03 customcrm customers 17 -> webcrm persons 4: City "Oslo" -> '
        '"Bergen", Age null -> 40 (1.8 s after the change)'
    )


def test_creates_matches_and_conflicts_are_told_in_words():
    created = _write(WriteOp.CREATE, after={"City": "Oslo", "Name": "Kari"})
    assert render_write(created).endswith(": created with 2 properties")
    matched = _write(WriteOp.MATCH, why="natural key email")
    assert render_write(matched).endswith(": match (natural key email)")
    conflict = _write(
        WriteOp.UPDATE,
        before={"City": "Oslo"},
        after={"City": "Bergen"},
        conflicts={"City": "source"},
    )
    assert render_write(conflict).endswith("; conflict on City: source won")
    unsourced = _write(WriteOp.DELETE, from_system="", from_entity="", from_id="")
    assert render_write(unsourced) == "12:01:03 webcrm persons 4: delete"


def test_lookup_only_and_value_keyed_flows_say_why_they_create_nothing():
    flows = list(FLOWS.values())
    lines = explain_creates(flows)
    assert lines[0] == "flows that create nothing, and why:"
    text = "\n".join(lines)
    assert (
        "customwebshop-customer-to-chargebee-business-entity: lookup-only, "
        "chargebee Business_entity cannot be created through its API; it links to "
        "existing ones by Name = name" in text
    )
    assert "crmoffice-activities-to-membercare-countries: one membercare" in text
    entity_flow = FLOWS["webcrm-persons-to-customcrm-contact"]
    assert entity_flow.name not in text
    assert explain_creates([entity_flow]) == []


def test_first_sync_progress_from_counts():
    sync = first_sync_from_counts(30, 100, started=10.0, now=20.0, first_handled=10)
    assert sync == FirstSync(
        handled=30, remaining=70, rate_per_second=2.0, eta_seconds=35.0
    )
    line = render_first_sync("f", sync, width=3)
    assert line.split() == ["f", "30/100", "2.0/s", "ETA", "35", "s"]
    waiting = first_sync_from_counts(0, 100, started=10.0, now=10.0)
    assert waiting.eta_seconds is None
    assert render_first_sync("f", waiting, width=3).endswith("ETA ?")
    done = first_sync_from_counts(100, 100, started=0.0, now=50.0)
    assert done.done
    assert render_first_sync("f", done, width=3).split() == ["f", "100/100", "done"]


class _StandIn:
    """What the demo asks of a started stand-in: its connector's environment."""

    def connector_env(self) -> dict[str, str]:
        return {"CUSTOMCRM_BASE_URL": "http://127.0.0.1:1", "CUSTOMCRM_API_KEY": "k"}


def test_the_env_points_the_tools_at_the_demo():
    standin = cast(StandIn, _StandIn())
    env = demo_env("127.0.0.1:19092", "demo-1", {"customcrm": standin})
    assert env == {
        "TETHER_KAFKA_BOOTSTRAP": "127.0.0.1:19092",
        "TETHER_APP_ID": "demo-1",
        "CUSTOMCRM_BASE_URL": "http://127.0.0.1:1",
        "CUSTOMCRM_API_KEY": "k",
    }


def test_the_demo_tells_a_flows_first_sync_when_it_moves(monkeypatch):
    from ops.cli.demo import _Progress
    from ops.demo import DemoState, FlowSummary

    flow = FLOWS["webcrm-persons-to-customcrm-contact"]
    totals = {flow.name: 0}
    monkeypatch.setattr("ops.demo.source_totals", lambda local, flows: dict(totals))
    progress = _Progress()
    local: Any = None

    def look(linked: int) -> list[str]:
        state = DemoState([FlowSummary(flow, linked=linked)], 0, 0, {})
        return progress.lines(local, state)

    assert look(0) == []  # nothing read yet
    totals[flow.name] = 200
    [line] = look(50)
    assert line.split()[:2] == [flow.name, "50/200"]
    assert look(50) == []  # told already
    [done] = look(200)
    assert done.split() == [flow.name, "200/200", "done"]
