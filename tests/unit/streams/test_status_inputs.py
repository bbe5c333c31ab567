"""What the status trusts: the topics its lag is read on, the snapshots it sums."""

from __future__ import annotations

from dataflows import flows_by_name, load_documents
from schemas.dataflow import TargetMode
from streams.observe.grouplag import input_topics
from streams.topics import TopicNames

NAMES = TopicNames("app")


def test_an_entity_flow_lags_on_both_agents_topics():
    flow = flows_by_name(load_documents())["webcrm-organisations-to-customcrm-customer"]
    assert set(input_topics(NAMES, flow)) == {
        "app.webcrm.Organisations",
        f"app.flow.{flow.name}.from-target",
        f"app.flow.{flow.name}.commands",
        "app.customcrm.Customer",
        f"app.flow.{flow.name}.links",
    }


def test_a_value_keyed_flow_has_no_router_and_so_no_routed_lag():
    # Nothing consumes its links or target topic: counted, they never go down.
    flow = flows_by_name(load_documents())[
        "crmoffice-activities-to-membercare-countries"
    ]
    assert flow.target_mode is TargetMode.VALUE_KEYED
    assert set(input_topics(NAMES, flow)) == {
        "app.crmoffice.Activities",
        f"app.flow.{flow.name}.from-target",
        f"app.flow.{flow.name}.commands",
    }


def test_forged_worker_snapshots_are_not_believed():
    from datetime import timedelta

    from schemas.observe import FlowActivity, WorkerSnapshot
    from schemas.utc import utc_now
    from streams.observe.tally import Workers

    now = utc_now()
    real = WorkerSnapshot(
        worker="host:1", started_at=now, at=now, flows={"f": FlowActivity(links=3)}
    )
    future = real.model_copy(
        update={"at": now + timedelta(days=1), "flows": {"f": FlowActivity(links=9)}}
    )
    workers = Workers()
    workers("host:1", real.model_dump(mode="json"))
    workers("host:1", future.model_dump(mode="json"))  # would stay fresh for a day
    workers("other:2", real.model_dump(mode="json"))  # keyed as another worker
    bad = {**real.model_dump(mode="json"), "flows": {"f": {"links": -5}}}
    workers("host:1", bad)
    assert list(workers.latest) == ["host:1"]
    assert workers.latest["host:1"].flows["f"].links == 3
