"""The topics whose lag is a flow's: what its agents really read."""

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
