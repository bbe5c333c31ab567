"""Webcrm: a DTO read (or a ``/Queries`` row) and PUT back whole is a valid update.

webCRM's PUT takes the full object (systems.md 4.1, Sesam updates "via PUT with
the full object"); server fields in it (``...CreatedAt``, ``...UpdatedBy``,
``RowNumber``) are the server's and do not make it fail.
"""

from __future__ import annotations

import pytest

from standins.webcrm import webcrm_sample

CHANGE = {
    "Organisations": ("OrganisationCity", "Bergen"),
    "Persons": ("PersonTitle", "Innkjøpssjef"),
    "Products": ("ProductPrice", 123.5),
}


@pytest.mark.parametrize("entity", list(CHANGE))
def test_a_record_read_and_put_back_with_one_change(wc, webcrm, entity):
    sample = webcrm_sample(organisations=1, persons=1, products=1)
    [seeded] = webcrm.seed(entity, sample[entity])
    prefix = entity[:-1]
    key = seeded[f"{prefix}Id"]
    read = wc.get(f"/{entity}/{key}").json()
    field, value = CHANGE[entity]
    response = wc.put(f"/{entity}/{key}", json=read | {field: value})
    assert response.status_code == 204, response.text
    stored = wc.get(f"/{entity}/{key}").json()
    assert stored[field] == value
    assert stored[f"{prefix}CreatedAt"] == read[f"{prefix}CreatedAt"]
    assert stored[f"{prefix}UpdatedAt"] > read[f"{prefix}UpdatedAt"]
    unchanged = {k: v for k, v in read.items() if not k.endswith(("At", "By"))}
    assert {k: stored[k] for k in unchanged} == unchanged | {field: value}


def test_a_query_row_put_back_is_a_valid_update(wc, webcrm):
    [org] = webcrm.seed(
        "Organisations", webcrm_sample(organisations=1)["Organisations"]
    )
    script = "SELECT * FROM Organisation"
    [row] = wc.get("/Queries", params={"script": script}).json()
    assert row["RowNumber"] == 1
    body = row | {"OrganisationName": "Fjord Bygg AS"}
    response = wc.put(f"/Organisations/{org['OrganisationId']}", json=body)
    assert response.status_code == 204, response.text
    stored = webcrm.get("Organisations", org["OrganisationId"])
    assert stored["OrganisationName"] == "Fjord Bygg AS"
    assert "RowNumber" not in stored
