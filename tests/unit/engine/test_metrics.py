"""The worker's metrics and activity: counters, states read when scraped, snapshots."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from engine import metrics
from engine.activity import WorkerActivity
from engine.parking import ParkingLot
from schemas.envelope import ChangeEvent
from tests.unit.engine.test_handlers import ORG, PERSONS

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def sample(name: str, **labels: str) -> float | None:
    return metrics.REGISTRY.get_sample_value(name, labels)


def test_paused_flows_and_failing_systems_show_when_scraped():
    paused = {"a-flow": True, "b-flow": False}
    up = {"webcrm": False, "customcrm": True}
    metrics.watch_states(lambda: paused, lambda: up)
    try:
        assert sample("tether_flow_paused", flow="a-flow") == 1
        assert sample("tether_flow_paused", flow="b-flow") == 0
        assert sample("tether_system_up", system="webcrm") == 0
        assert sample("tether_system_up", system="customcrm") == 1
        paused["a-flow"] = False  # resumed: the next scrape says so
        assert sample("tether_flow_paused", flow="a-flow") == 0
    finally:
        metrics.watch_states(dict, dict)


def test_a_polled_type_has_a_cursor_age_and_its_reads_counted():
    cursor = datetime.now(UTC) - timedelta(hours=1)
    metrics.polled("sys-m", "Thing", records=3, cursor_at=cursor)
    metrics.polled("sys-m", "Thing", cursor_at=cursor - timedelta(days=1))  # older
    metrics.polled("sys-m", "Thing", records=2, completed=True)
    age = sample("tether_cursor_age_seconds", system="sys-m", type="Thing")
    assert age is not None
    assert 3500 < age < 3700
    poll = metrics.ACTIVITY.poll("sys-m", "Thing")
    assert (poll.records_read, poll.cursor_at, poll.first_read_done) == (
        5,
        cursor,
        True,
    )
    assert poll.last_poll_at is not None


def test_dead_letters_count_by_stage_system_and_flow():
    def letters(stage: str, flow: str) -> float:
        found = sample(
            "tether_dead_letters_total", stage=stage, system="sys-d", flow=flow
        )
        return found or 0

    source, flowed = letters("source", ""), letters("flow", "flow-d")
    metrics.dead_letter("source", "sys-d")
    metrics.dead_letter("flow", "sys-d", "flow-d")
    assert (letters("source", ""), letters("flow", "flow-d")) == (
        source + 1,
        flowed + 1,
    )
    assert metrics.ACTIVITY.flow("flow-d").dead_letters == 1


def test_a_failed_write_counts_by_outcome_but_not_as_the_flows_write():
    metrics.write("flow-w", "sys-w", "T", "update", "error")
    metrics.write("flow-w", "sys-w", "T", "update", "refused")
    assert (
        sample(
            "tether_writes_total",
            system="sys-w",
            type="T",
            op="update",
            outcome="error",
        )
        == 1
    )
    assert metrics.ACTIVITY.flow("flow-w").writes == 0
    assert metrics.ACTIVITY.flow("flow-w").last_write_at is None


def test_the_latency_is_from_the_change_to_the_write():
    metrics.write(
        "flow-l",
        "sys-l",
        "T",
        "update",
        "ok",
        changed_at=T0,
        at=T0 + timedelta(seconds=3),
    )
    assert sample("tether_change_to_write_seconds_count", flow="flow-l") == 1
    assert sample("tether_change_to_write_seconds_sum", flow="flow-l") == 3
    assert sample("tether_change_to_write_seconds_bucket", flow="flow-l", le="2.0") == 0
    assert sample("tether_change_to_write_seconds_bucket", flow="flow-l", le="5.0") == 1


def test_a_snapshot_holds_the_counters_links_and_pending_references():
    activity = WorkerActivity(now=lambda: T0)
    activity.flow("f").events_in += 2
    activity.flow("f").last_write_at = T0
    activity.poll("s", "T").records_read = 4
    snapshot = activity.snapshot("host:9", links={"f": 7, "g": 1}, pending={"f": 2})
    assert snapshot.worker == "host:9"
    assert snapshot.started_at == T0
    assert snapshot.flows["f"].events_in == 2
    assert (snapshot.flows["f"].links, snapshot.flows["f"].pending_references) == (7, 2)
    assert snapshot.flows["g"].links == 1
    assert [(p.system, p.entity, p.records_read) for p in snapshot.polls] == [
        ("s", "T", 4)
    ]
    activity.flow("f").events_in += 1  # the snapshot is a copy
    assert snapshot.flows["f"].events_in == 2


def test_parked_changes_are_counted_when_the_timer_looks():
    store: dict = {}
    lot = ParkingLot(store, PERSONS, lambda flow, source_id: None)
    event = ChangeEvent(
        system="webcrm",
        entity="Persons",
        id="5",
        modified_at=T0,
        data={**ORG, "PersonId": 5, "PersonOrganisationId": 1},
    )
    lot.park("5", event, 600.0)
    assert lot.pending == 0  # not looked at yet
    lot.due()
    assert lot.pending == 1
    lot.clear("5")
    lot.due()
    assert lot.pending == 0


def test_a_declared_flow_shows_zeros_before_its_first_event():
    assert sample("tether_events_in_total", flow="quiet-flow") is None
    metrics.declare(["quiet-flow"])
    assert sample("tether_events_in_total", flow="quiet-flow") == 0
    assert sample("tether_consumer_lag", flow="quiet-flow") == 0
    assert sample("tether_change_to_write_seconds_count", flow="quiet-flow") == 0
    assert "quiet-flow" in metrics.ACTIVITY.flows
