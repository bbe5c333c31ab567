"""Property paths: the grammar, reading and writing through objects and lists."""

from __future__ import annotations

import pytest

from schemas.paths import get_value, is_valid_path, set_value, split_path


@pytest.mark.parametrize(
    "path",
    ["name", "address.country", "addresses.0.postalCode.zipCode", "_x.y_1", "a.10"],
)
def test_valid_paths(path):
    assert is_valid_path(path)


@pytest.mark.parametrize(
    "path", ["", "a..b", ".a", "a.", "0.a", "a b", "a.-1", "a[0]", "a.b c", "é"]
)
def test_invalid_paths(path):
    assert not is_valid_path(path)
    with pytest.raises(ValueError, match="invalid property path"):
        split_path(path)


def test_split_path_gives_indexes_as_ints():
    assert split_path("addresses.0.street") == ("addresses", 0, "street")


def test_get_value_follows_objects_and_list_indexes():
    record = {"addresses": [{"postalCode": {"zipCode": "0155"}}], "n": "x"}
    assert get_value(record, "addresses.0.postalCode.zipCode") == "0155"
    assert get_value(record, "addresses.1.postalCode.zipCode") is None
    assert get_value(record, "addresses.street") is None
    assert get_value(record, "n.0") is None
    assert get_value(record, "missing.deeper") is None


def test_set_value_creates_objects_and_padded_lists():
    record: dict[str, object] = {}
    set_value(record, "Lines.1.Description", "dues")
    set_value(record, "Lines.1.Quantity", 1)
    set_value(record, "billing_address.city", "Oslo")
    assert record == {
        "Lines": [{}, {"Description": "dues", "Quantity": 1}],
        "billing_address": {"city": "Oslo"},
    }
    set_value(record, "Lines.0", {"Description": "first"})
    assert get_value(record, "Lines.0.Description") == "first"


@pytest.mark.parametrize(
    ("record", "path"),
    [({"a": {}}, "a.0"), ({"a": []}, "a.b"), ({"a": "text"}, "a.b.c")],
)
def test_set_value_refuses_the_wrong_shape(record, path):
    with pytest.raises(ValueError, match="cannot set"):
        set_value(record, path, 1)


@pytest.mark.parametrize("record", [None, "text", 7, [{"a": 1}], ("a",)])
def test_get_value_of_something_without_fields_is_none(record):
    assert get_value(record, "a") is None
    assert get_value(record, "a.0.b") is None


def test_get_value_reads_any_mapping_and_refuses_a_bad_path():
    from types import MappingProxyType

    assert get_value(MappingProxyType({"a": ({"b": 2},)}), "a.0.b") == 2
    with pytest.raises(ValueError, match="invalid property path"):
        get_value({"a b": 1}, "a b")
