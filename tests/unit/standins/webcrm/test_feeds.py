"""Webcrm stand-in: the /Queries change feed, FindByUpdateDates, clock and UI edits."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from standins.webcrm import WebcrmStandIn

T1 = "2024-03-01T10:00:00+01:00"
T2 = "2024-03-01T11:00:00+01:00"
T3 = "2024-03-01T12:00:00+01:00"


def _query(client: httpx.Client, script: str, **params: int) -> httpx.Response:
    return client.get("/Queries", params={"script": script, **params})


@pytest.fixture
def timeline(webcrm: WebcrmStandIn) -> list[int]:
    """Five organisations; ids 1..5 with times T3, T1, T2, T2 (tie), T1."""
    stamps = [T3, T1, T2, T2, T1]
    records = [
        {"OrganisationName": f"Org {i}", "OrganisationUpdatedAt": t}
        for i, t in enumerate(stamps)
    ]
    return [r["OrganisationId"] for r in webcrm.seed("Organisations", records)]


def test_filter_is_inclusive_and_ordered_by_time_then_id(wc, timeline):
    script = (
        "SELECT * FROM Organisation WHERE OrganisationUpdatedAt >= "
        "'2024-03-01T10:00:00.0000000Z' ORDER BY OrganisationUpdatedAt ASC"
    )
    rows = _query(wc, script, Page=1, Size=100).json()
    # 10:00Z is 11:00+01:00: T2 (tie of two) and T3 qualify, T1 does not.
    assert [r["OrganisationId"] for r in rows] == [
        timeline[2],
        timeline[3],
        timeline[0],
    ]
    assert [r["RowNumber"] for r in rows] == [1, 2, 3]


def test_queries_page_and_end_on_empty(wc, timeline):
    script = "select * from organisation order by OrganisationUpdatedAt"
    page1 = _query(wc, script, Page=1, Size=3).json()
    page2 = _query(wc, script, Page=2, Size=3).json()
    assert _query(wc, script, Page=3, Size=3).json() == []
    ids = [r["OrganisationId"] for r in page1 + page2]
    assert ids == [timeline[1], timeline[4], timeline[2], timeline[3], timeline[0]]
    assert [r["RowNumber"] for r in page2] == [4, 5]


def test_unordered_query_lists_by_id(wc, timeline):
    rows = _query(wc, "SELECT * FROM Organisation").json()
    assert [r["OrganisationId"] for r in rows] == sorted(timeline)


def test_queries_cover_persons_and_products(wc, webcrm):
    webcrm.seed("Persons", [{"PersonLastName": "Nordmann", "PersonUpdatedAt": T2}])
    webcrm.seed("Products", [{"ProductCombined": "Widget", "ProductUpdatedAt": T1}])
    since = "'2024-03-01T10:30:00+01:00'"
    persons = _query(wc, f"SELECT * FROM Person WHERE PersonUpdatedAt >= {since}")
    products = _query(wc, f"SELECT * FROM Product WHERE ProductUpdatedAt >= {since}")
    assert len(persons.json()) == 1
    assert products.json() == []


@pytest.mark.parametrize(
    "script",
    [
        "SELECT OrganisationName FROM Organisation",
        "SELECT * FROM Organisations",
        "SELECT * FROM Organisation WHERE OrganisationName >= 'a'",
        "SELECT * FROM Organisation WHERE OrganisationUpdatedAt >= 'yesterday'",
        "SELECT * FROM Organisation ORDER BY OrganisationName",
        "DELETE FROM Organisation",
        "",
    ],
)
def test_unsupported_scripts_are_400(wc, script):
    response = _query(wc, script)
    assert response.status_code == 400
    assert response.json()["Message"]


def test_find_by_update_dates_is_half_open(wc, timeline):
    path = f"/Organisations/FindByUpdateDates/{T1}/{T2}"
    rows = wc.get(path, params={"Page": 1, "Size": 10}).json()
    assert sorted(r["OrganisationId"] for r in rows) == sorted(
        [timeline[1], timeline[4]]
    )
    assert wc.get("/Organisations/FindByUpdateDates/x/y").status_code == 400


def test_server_times_strictly_increase(wc, webcrm):
    ids = [
        wc.post("/Products", json={"ProductCombined": f"P{i}"}).json()
        for i in range(15)
    ]
    stamps = [
        datetime.fromisoformat(webcrm.get("Products", i)["ProductUpdatedAt"])
        for i in ids
    ]
    assert all(a < b for a, b in zip(stamps, stamps[1:], strict=False))


def test_a_ui_edit_bumps_the_time_and_is_no_api_write(wc, webcrm):
    [org] = webcrm.seed(
        "Organisations", [{"OrganisationName": "A", "OrganisationUpdatedAt": T1}]
    )
    edited = webcrm.edit(
        "Organisations", org["OrganisationId"], {"OrganisationCity": "Oslo"}
    )
    assert edited["OrganisationCity"] == "Oslo"
    assert edited["OrganisationUpdatedAt"] > org["OrganisationUpdatedAt"]
    assert edited["OrganisationUpdatedBy"] != "API"
    assert webcrm.write_count() == 0
    since = f"'{org['OrganisationUpdatedAt']}'"
    script = f"SELECT * FROM Organisation WHERE OrganisationUpdatedAt >= {since}"
    assert [r["OrganisationCity"] for r in _query(wc, script).json()] == ["Oslo"]


def test_seeded_times_are_kept_even_when_equal(webcrm):
    records = webcrm.seed(
        "Persons",
        [
            {"PersonLastName": "A", "PersonUpdatedAt": T2},
            {"PersonLastName": "B", "PersonUpdatedAt": T2},
        ],
    )
    assert records[0]["PersonUpdatedAt"] == records[1]["PersonUpdatedAt"]
    assert datetime.fromisoformat(
        records[0]["PersonUpdatedAt"]
    ) == datetime.fromisoformat(T2)
