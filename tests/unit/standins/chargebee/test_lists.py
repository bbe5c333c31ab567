"""Chargebee stand-in lists: limit/offset paging, filters, sorting, include_deleted."""

from __future__ import annotations

from typing import Any

import pytest


def _items(n: int, **fields: Any) -> list[dict[str, Any]]:
    return [
        {
            "id": f"item-{i}",
            "name": f"Item {i}",
            "type": "charge",
            "item_family_id": "webshop-products",
            "updated_at": 1709287200 + i,
        }
        | fields
        for i in range(1, n + 1)
    ]


def _ids(body: dict[str, Any], key: str = "item") -> list[str]:
    return [entry[key]["id"] for entry in body["list"]]


def test_default_limit_is_10_and_newest_first(cb, chargebee):
    chargebee.seed("items", _items(12))
    first = cb.get("/items").json()
    assert len(first["list"]) == 10
    assert _ids(first)[0] == "item-12"
    rest = cb.get("/items", params={"offset": first["next_offset"]}).json()
    assert _ids(rest) == ["item-2", "item-1"]
    assert "next_offset" not in rest


def test_paging_by_next_offset_sees_every_record_once(cb, chargebee):
    chargebee.seed("items", _items(7))
    seen, params = [], {"limit": 3, "sort_by[asc]": "updated_at"}
    while True:
        body = cb.get("/items", params=params).json()
        seen += _ids(body)
        if "next_offset" not in body:
            break
        params["offset"] = body["next_offset"]
    assert seen == [f"item-{i}" for i in range(1, 8)]


def test_a_record_edited_mid_listing_moves_to_its_new_place(cb, chargebee):
    chargebee.seed("items", _items(4))
    params = {"limit": 2, "sort_by[asc]": "updated_at"}
    first = cb.get("/items", params=params).json()
    assert _ids(first) == ["item-1", "item-2"]
    chargebee.edit("items", "item-1", {"name": "Item one"})
    rest = cb.get("/items", params=params | {"offset": first["next_offset"]}).json()
    assert _ids(rest) == ["item-3", "item-4"]
    last = cb.get("/items", params=params | {"offset": rest["next_offset"]}).json()
    assert _ids(last) == ["item-1"]


@pytest.mark.parametrize("limit", ["0", "101", "ten"])
def test_limit_must_be_1_to_100(cb, limit):
    response = cb.get("/items", params={"limit": limit})
    assert response.status_code == 400
    assert response.json()["param"] == "limit"


def test_a_foreign_offset_is_refused(cb):
    response = cb.get("/items", params={"offset": "page-2"})
    assert response.status_code == 400
    assert response.json()["param"] == "offset"


def test_updated_at_after_is_strictly_after_in_unix_seconds(cb, chargebee):
    chargebee.seed("items", _items(5))
    params = {"updated_at[after]": 1709287202, "sort_by[asc]": "updated_at"}
    assert _ids(cb.get("/items", params=params).json()) == [
        "item-3",
        "item-4",
        "item-5",
    ]
    between = {"updated_at[between]": "[1709287202,1709287203]"}
    assert sorted(_ids(cb.get("/items", params=between).json())) == [
        "item-2",
        "item-3",
    ]
    before = {"updated_at[before]": 1709287202}
    assert _ids(cb.get("/items", params=before).json()) == ["item-1"]


def test_string_filters(cb, chargebee):
    chargebee.seed("items", _items(3))
    assert _ids(cb.get("/items", params={"id[is]": "item-2"}).json()) == ["item-2"]
    assert _ids(cb.get("/items", params={"name[is]": "Item 3"}).json()) == ["item-3"]
    assert cb.get("/items", params={"name[is]": "item 3"}).json()["list"] == []
    not_2 = cb.get("/items", params={"id[is_not]": "item-2"}).json()
    assert sorted(_ids(not_2)) == ["item-1", "item-3"]
    starts = cb.get("/items", params={"name[starts_with]": "Item"}).json()
    assert len(starts["list"]) == 3
    chosen = cb.get("/items", params={"id[in]": "['item-1', 'item-3']"}).json()
    assert sorted(_ids(chosen)) == ["item-1", "item-3"]
    others = cb.get("/items", params={"id[not_in]": '["item-1"]'}).json()
    assert sorted(_ids(others)) == ["item-2", "item-3"]
    metered = cb.get("/items", params={"metered[is]": "false"}).json()
    assert len(metered["list"]) == 3


@pytest.mark.parametrize(
    ("params", "param"),
    [
        ({"colour[is]": "red"}, "colour"),
        ({"name": "Item 1"}, "name"),
        ({"name[after]": "1"}, "name[after]"),
        ({"updated_at[after]": "yesterday"}, "updated_at[after]"),
        ({"updated_at[between]": "[1]"}, "updated_at[between]"),
        ({"sort_by[asc]": "name"}, "sort_by[asc]"),
        ({"sort_by[up]": "updated_at"}, "sort_by[up]"),
        ({"include_deleted": "yes"}, "include_deleted"),
    ],
)
def test_unsupported_filters_are_refused(cb, params, param):
    response = cb.get("/items", params=params)
    assert response.status_code == 400
    assert response.json()["api_error_code"] == "param_wrong_value"
    assert response.json()["param"] == param


def test_deleted_records_are_listed_only_with_include_deleted(cb, chargebee):
    chargebee.seed("items", _items(2))
    assert cb.post("/items/item-1/delete").status_code == 200
    assert _ids(cb.get("/items").json()) == ["item-2"]
    everything = cb.get("/items", params={"include_deleted": "true"}).json()
    deleted = [e["item"] for e in everything["list"] if e["item"]["deleted"]]
    assert [(d["id"], d["status"]) for d in deleted] == [("item-1", "deleted")]
    assert cb.get("/items/item-1").json()["item"]["deleted"] is True


def test_a_malformed_record_still_has_a_place_in_time_order(cb, chargebee):
    chargebee.seed("items", _items(1))
    chargebee.inject_raw("items", {"id": "bad", "updated_at": "yesterday"})
    params = {"sort_by[asc]": "updated_at", "updated_at[after]": 1709287200}
    assert _ids(cb.get("/items", params=params).json()) == ["item-1", "bad"]


def test_events_filter_by_type_and_time(cb, chargebee):
    chargebee.seed(
        "business_entities",
        [{"id": "a", "name": "A", "updated_at": 1704067200}],
    )
    chargebee.seed("items", _items(1))
    wanted = '["business_entity_created","business_entity_updated"]'
    events = cb.get("/events", params={"event_type[in]": wanted}).json()
    assert [e["event"]["event_type"] for e in events["list"]] == [
        "business_entity_created"
    ]
    later = cb.get("/events", params={"occurred_at[after]": 1704067200}).json()
    assert [e["event"]["event_type"] for e in later["list"]] == ["item_created"]
    ordered = cb.get("/events", params={"sort_by[asc]": "occurred_at"}).json()
    assert [e["event"]["occurred_at"] for e in ordered["list"]] == [
        1704067200,
        1709287201,
    ]
