"""Chargebee bracket notation: the stand-in parses what the connector (SDK) writes."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest

from connectors.chargebee import form_fields
from standins.chargebee.form import (
    FormError,
    parse_bool,
    parse_int,
    parse_list_value,
    parse_params,
    split_key,
)


def test_split_key():
    assert split_key("a") == ["a"]
    assert split_key("order_line_items[id][0]") == ["order_line_items", "id", "0"]
    for bad in ("a[", "a[b", "[a]", "a[b]c", "a b", "a[b-c]", ""):
        with pytest.raises(FormError):
            split_key(bad)


def test_nested_objects_lists_of_objects_and_plain_lists():
    pairs = [
        ("name", "Widget"),
        ("billing_address[city]", "Oslo"),
        ("billing_address[zip]", "0155"),
        ("order_line_items[id][0]", "li_1"),
        ("order_line_items[status][0]", "shipped"),
        ("order_line_items[id][1]", "li_2"),
        ("applicable_items[0]", "x"),
        ("applicable_items[1]", "y"),
        ("a[b][c]", "deep"),
        ("a[items][x][0]", "in-a-nested-list"),
    ]
    assert parse_params(pairs) == {
        "name": "Widget",
        "billing_address": {"city": "Oslo", "zip": "0155"},
        "order_line_items": [{"id": "li_1", "status": "shipped"}, {"id": "li_2"}],
        "applicable_items": ["x", "y"],
        "a": {"b": {"c": "deep"}, "items": [{"x": "in-a-nested-list"}]},
    }


def test_a_sparse_list_keeps_its_gaps_and_a_repeat_keeps_the_last():
    parsed = parse_params([("l[id][1]", "b"), ("n", "1"), ("n", "2")])
    assert parsed == {"l": [None, {"id": "b"}], "n": "2"}


@pytest.mark.parametrize(
    "pairs",
    [
        [("a", "1"), ("a[b]", "2")],
        [("a[b]", "2"), ("a", "1")],
        [("a[0]", "1"), ("a[b]", "2")],
        [("a[0]", "x"), ("a[id][0]", "y")],
        [("a[id][999]", "x")],
    ],
)
def test_conflicting_or_huge_parameters_are_refused(pairs):
    with pytest.raises(FormError):
        parse_params(pairs)


def test_what_the_connector_sends_parses_back_to_what_it_meant():
    params = {
        "id": "widget-pro",
        "is_shippable": True,
        "description": None,
        "metadata": {"source": "tether", "n": 1},
        "shipping_address": {"city": "Oslo", "line1": "Storgata 1"},
        "order_line_items": [{"id": "li_1", "status": "shipped"}],
        "applicable_items": ["a", "b"],
    }
    body = urlencode(form_fields(params))
    parsed = parse_params(parse_qsl(body, keep_blank_values=True))
    assert parsed == {
        "id": "widget-pro",
        "is_shippable": "true",
        "description": "",
        "metadata": '{"source":"tether","n":1}',
        "shipping_address": {"city": "Oslo", "line1": "Storgata 1"},
        "order_line_items": [{"id": "li_1", "status": "shipped"}],
        "applicable_items": ["a", "b"],
    }


@pytest.mark.parametrize("text", ['["a","b"]', "[a,b]", "['a', 'b']", "[ a , b , ]"])
def test_in_filter_values_in_every_spelling(text):
    assert parse_list_value(text) == ["a", "b"]


def test_scalars():
    assert parse_list_value("[]") == []
    with pytest.raises(FormError):
        parse_list_value("a,b")
    assert parse_bool("TRUE", "x") is True
    assert parse_bool("false", "x") is False
    with pytest.raises(FormError, match="x : must be true or false"):
        parse_bool("yes", "x")
    assert parse_int(" -5 ", "n") == -5
    with pytest.raises(FormError, match="n : must be an integer"):
        parse_int("1.5", "n")
