"""Chargebee stand-in handle: seeds and edits as events, item families, sample data."""

from __future__ import annotations

import pytest

from standins import ChargebeeStandIn, chargebee_sample
from standins.chargebee import seed_chargebee


def _events(standin: ChargebeeStandIn) -> list[tuple[str, str]]:
    out = []
    for event in sorted(standin.records("events"), key=lambda e: int(e["id"][11:])):
        [(kind, record)] = event["content"].items()
        out.append((event["event_type"], record["id"]))
    return out


def test_business_entities_live_through_the_handle_and_its_events(chargebee):
    [entity] = chargebee.seed(
        "business_entities",
        [{"id": "acme-no", "name": "Acme Norge AS", "updated_at": 1704067200}],
    )
    assert entity["status"] == "active"
    assert (entity["created_at"], entity["resource_version"]) == (
        1704067200,
        1704067200000,
    )
    chargebee.edit("business_entities", "acme-no", {"name": "Acme AS"})
    chargebee.edit("business_entities", "acme-no", {"deleted": True})
    assert _events(chargebee) == [
        ("business_entity_created", "acme-no"),
        ("business_entity_updated", "acme-no"),
        ("business_entity_deleted", "acme-no"),
    ]
    [created] = [
        e for e in chargebee.records("events") if e["event_type"].endswith("created")
    ]
    assert created["occurred_at"] == 1704067200
    assert created["source"] == "admin_console"
    assert created["content"]["business_entity"]["name"] == "Acme Norge AS"


def test_api_writes_and_edits_emit_their_events(cb, chargebee):
    chargebee.seed("customers", [{"id": "c1", "first_name": "Kari"}])
    chargebee.edit("customers", "c1", {"last_name": "Nordmann"})
    item = {
        "id": "w",
        "name": "W",
        "type": "charge",
        "item_family_id": "webshop-products",
    }
    cb.post("/items", data=item)
    cb.post("/items/w", data={"name": "W2"})
    cb.post("/items/w/delete")
    assert _events(chargebee) == [
        ("customer_created", "c1"),
        ("customer_changed", "c1"),
        ("item_created", "w"),
        ("item_updated", "w"),
        ("item_deleted", "w"),
    ]
    api = [e for e in chargebee.records("events") if e["source"] == "api"]
    assert len(api) == 3


@pytest.mark.parametrize(
    ("resource", "record", "problem"),
    [
        ("events", {"id": "ev_1"}, "not seeded"),
        ("items", {"id": "w", "name": "W"}, "needs name, type and item_family_id"),
        ("business_entities", {"name": "No id"}, "needs a string id"),
    ],
)
def test_seeds_that_make_no_sense_are_refused(chargebee, resource, record, problem):
    with pytest.raises(ValueError, match=problem):
        chargebee.seed(resource, [record])


def test_reset_keeps_the_sites_item_families(chargebee):
    assert [f["id"] for f in chargebee.records("item_families")] == ["webshop-products"]
    chargebee.reset()
    assert [f["id"] for f in chargebee.records("item_families")] == ["webshop-products"]
    other = ChargebeeStandIn(item_families=("plans", "addons"))
    assert sorted(f["id"] for f in other.records("item_families")) == [
        "addons",
        "plans",
    ]


def test_sample_data_is_deterministic_and_consistent(chargebee):
    assert chargebee_sample() == chargebee_sample()
    assert chargebee_sample(seed=2) != chargebee_sample()
    stored = seed_chargebee(chargebee, order_references=[f"R-{i}" for i in range(10)])
    assert {k: len(v) for k, v in stored.items()} == {
        "business_entities": 6,
        "customers": 8,
        "items": 12,
        "invoices": 10,
        "orders": 10,
    }
    invoices = {i["id"] for i in stored["invoices"]}
    assert all(order["invoice_id"] in invoices for order in stored["orders"])
    assert [o["reference_id"] for o in stored["orders"]][:2] == ["R-0", "R-1"]
    assert stored["business_entities"][1]["id"] == "fjordline-handel-as"
    created = [e for e, _ in _events(chargebee) if e == "business_entity_created"]
    assert len(created) == 6
    with pytest.raises(ValueError, match="at most"):
        chargebee_sample(items=99)
