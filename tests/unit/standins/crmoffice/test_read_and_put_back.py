"""Crmoffice: a record read and PUT back whole is a valid (full-replace) update.

``id`` and ``updatedAt`` in a body are the server's and are ignored, as an
ASP.NET API ignores fields it does not bind (systems.md 9.5, [assumption]).
"""

from __future__ import annotations

import pytest

from standins.crmoffice import crmoffice_sample

RESOURCES = [
    ("Companies", "companies", "c-100", "name"),
    ("Contacts", "contacts", "p-200", "familyName"),
    ("Activities", "activities", "a-300", "subject"),
]


@pytest.mark.parametrize(("resource", "path", "key", "field"), RESOURCES)
def test_a_record_read_and_put_back_with_one_change(
    co, crmoffice, resource, path, key, field
):
    crmoffice.seed(resource, crmoffice_sample()[resource][:1])
    read = co.get(f"/{path}/{key}").json()
    response = co.put(f"/{path}/{key}", json=read | {field: "Endret"})
    assert response.status_code == 200, response.text
    saved = response.json()
    assert saved == read | {field: "Endret", "updatedAt": saved["updatedAt"]}
    assert saved["updatedAt"] > read["updatedAt"]
    assert crmoffice.write_count(resource) == 1


def test_a_different_id_in_the_body_does_not_move_the_record(co, crmoffice):
    crmoffice.seed("Companies", crmoffice_sample()["Companies"][:1])
    read = co.get("/companies/c-100").json()
    response = co.put("/companies/c-100", json=read | {"id": "c-999"})
    assert response.status_code == 200
    assert response.json()["id"] == "c-100"
    assert co.get("/companies/c-999").status_code == 404
