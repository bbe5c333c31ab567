"""Tidsbanken's OData query options: $filter parsing and evaluation, paging, order."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from standins.tidsbanken.odata import (
    Comparison,
    ODataError,
    apply,
    parse_filter,
    parse_literal,
    parse_query,
)


def value_of(row, field):
    return row.get(field)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("'O''Brien'", "O'Brien"),
        ("''", ""),
        ("42", 42),
        ("-1.5", -1.5),
        ("true", True),
        ("null", None),
        ("1970-01-01", datetime(1970, 1, 1, tzinfo=UTC)),
        ("2024-03-01T10:15:30.123Z", datetime(2024, 3, 1, 10, 15, 30, 123000, UTC)),
    ],
)
def test_literals(text, value):
    assert parse_literal(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Id eq",
        "Id eq 'x' and",
        "Id eq 'x' or Navn eq 'y'",
        "Id like 'x'",
        "(Id eq 'x'",
        "Id eq 'x')",
        "Id eq 'open",
        "Id eq banana",
        "1d eq 'x'",
    ],
)
def test_malformed_filters_are_refused(text):
    with pytest.raises(ODataError):
        parse_filter(text)


def test_sesam_style_filters_parse():
    assert parse_filter("(SistEndretDato gt 1970-01-01)") == [
        Comparison("SistEndretDato", "gt", datetime(1970, 1, 1, tzinfo=UTC))
    ]
    both = parse_filter("Id eq '10' and (SistEndretDato ge 2024-01-01T00:00:00Z)")
    assert [c.op for c in both] == ["eq", "ge"]


ROWS = [
    ("1", {"Id": "1", "Navn": "B", "N": 3, "On": True, "T": "2024-01-01T00:00:00Z"}),
    ("2", {"Id": "2", "Navn": "A", "N": 1, "On": False, "T": "2024-02-01T00:00:00Z"}),
    ("3", {"Id": "3", "Navn": "A", "N": 2, "On": None, "T": "yesterday"}),
]


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("Navn eq 'A'", ["2", "3"]),
        ("Navn ne 'A'", ["1"]),
        ("N gt 1 and N le 2", ["3"]),
        ("On eq true", ["1"]),
        ("On eq null", ["3"]),
        ("On ne null", ["1", "2"]),
        ("On gt null", []),
        ("T gt 2024-01-15", ["2"]),
        ("N eq 'x'", []),
        ("Navn lt 1", []),
        ("Missing eq null", ["1", "2", "3"]),
    ],
)
def test_filters_select_rows(text, ids):
    query = parse_query({"$filter": text})
    page, count = apply(query, ROWS, value_of)
    assert [row["Id"] for row in page] == ids
    assert count == len(ids)


def test_order_top_skip_count_and_select():
    query = parse_query(
        {"$orderby": "Navn asc, N desc", "$top": "2", "$skip": "1", "$select": "Id,N"}
    )
    page, count = apply(query, ROWS, value_of)
    assert page == [{"Id": "2", "N": 1}, {"Id": "1", "N": 3}]
    assert count == 3
    assert parse_query({"$count": "true"}).count


@pytest.mark.parametrize(
    "params",
    [
        {"$top": "-1"},
        {"$top": "1001"},
        {"$skip": "x"},
        {"$count": "maybe"},
        {"$orderby": "Navn sideways"},
        {"$orderby": "Na-vn"},
    ],
)
def test_bad_options_are_refused(params):
    with pytest.raises(ODataError):
        parse_query(params)
