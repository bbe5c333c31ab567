"""Webcrm stand-in: list paging, get, create, full-replace PUT, PATCH, DELETE, hooks."""

from __future__ import annotations

import re

import pytest

WEBCRM_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+01:00$")


def test_post_returns_a_bare_int_and_sets_server_fields(wc):
    org_id = wc.post("/Organisations", json={"OrganisationName": "Fjord Bygg AS"})
    assert org_id.status_code == 200
    assert isinstance(org_id.json(), int)
    person = {
        "PersonId": 0,
        "PersonOrganisationId": org_id.json(),
        "PersonFirstName": "Kari",
        "PersonLastName": "Nordmann",
        "PersonEmail": "kari@fjordbygg.no",
    }
    person_id = wc.post("/Persons", json=person).json()
    stored = wc.get(f"/Persons/{person_id}").json()
    assert stored["PersonId"] == person_id
    assert stored["PersonOrganisationId"] == org_id.json()
    assert stored["PersonName"] == "Kari Nordmann"
    assert stored["PersonCreatedBy"] == stored["PersonUpdatedBy"] == "API"
    assert WEBCRM_TIME.match(stored["PersonUpdatedAt"])
    assert stored["PersonBirthday"] == "0001-01-01T00:00:00+00:00"


def test_post_with_an_id_is_refused(wc):
    response = wc.post("/Products", json={"ProductId": 7, "ProductCombined": "X"})
    assert response.status_code == 400
    assert "ProductId" in response.json()["Message"]


def test_wrong_json_types_are_400_with_a_message(wc, webcrm):
    response = wc.post("/Organisations", json={"OrganisationOwner": "seven"})
    assert response.status_code == 400
    state = response.json()["ModelState"]
    assert "System.Int32" in state["OrganisationOwner"][0]
    bad_price = wc.post("/Products", json={"ProductPrice": "499"})
    assert bad_price.status_code == 400
    assert wc.post("/Persons", content=b"{not json").status_code == 400
    assert webcrm.write_count() == 0


def test_list_pages_are_bare_arrays_by_id_ending_in_empty(wc, webcrm):
    webcrm.seed("Organisations", [{"OrganisationName": f"Org {i}"} for i in range(5)])
    pages = [
        wc.get("/Organisations", params={"Page": p, "Size": 2}).json()
        for p in (1, 2, 3, 4)
    ]
    assert [len(p) for p in pages] == [2, 2, 1, 0]
    ids = [r["OrganisationId"] for page in pages for r in page]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_list_size_and_page_bounds(wc):
    assert wc.get("/Persons", params={"Size": 1000}).status_code == 200
    assert wc.get("/Persons", params={"Size": 1001}).status_code == 400
    assert wc.get("/Persons", params={"Page": 0}).status_code == 400
    assert wc.get("/Persons", params={"page": "x"}).status_code == 400


def test_get_missing_is_404(wc):
    assert wc.get("/Organisations/424242").status_code == 404
    assert wc.get("/Organisations/not-a-number").status_code == 404


def test_put_replaces_the_whole_object(wc, webcrm):
    [org] = webcrm.seed(
        "Organisations",
        [{"OrganisationName": "Fjord", "OrganisationCity": "Oslo"}],
    )
    org_id = org["OrganisationId"]
    response = wc.put(
        f"/Organisations/{org_id}",
        json={"OrganisationId": org_id, "OrganisationName": "Fjord Bygg AS"},
    )
    assert response.status_code in (200, 204)
    stored = webcrm.get("Organisations", org_id)
    assert stored["OrganisationName"] == "Fjord Bygg AS"
    assert stored["OrganisationCity"] == ""  # absent from the body: reset
    assert stored["OrganisationCreatedAt"] == org["OrganisationCreatedAt"]
    assert stored["OrganisationUpdatedAt"] > org["OrganisationUpdatedAt"]
    assert webcrm.write_count("Organisations") == 1


def test_put_checks_the_id_and_existence(wc, webcrm):
    [org] = webcrm.seed("Organisations", [{"OrganisationName": "A"}])
    org_id = org["OrganisationId"]
    body = {"OrganisationId": org_id + 1, "OrganisationName": "B"}
    assert wc.put(f"/Organisations/{org_id}", json=body).status_code == 400
    zero = {"OrganisationId": 0, "OrganisationName": "B"}
    assert wc.put(f"/Organisations/{org_id}", json=zero).status_code in (200, 204)
    assert wc.put("/Organisations/999999", json=zero).status_code == 404


def test_patch_upserts_and_answers_strings(wc, webcrm):
    [org] = webcrm.seed("Organisations", [{"OrganisationName": "A"}])
    items = [
        {"OrganisationId": org["OrganisationId"], "OrganisationName": "A2"},
        {"OrganisationId": 0, "OrganisationName": "New"},
        {"OrganisationId": 0, "OrganisationOwner": "bad"},
        {"OrganisationId": 999999, "OrganisationName": "Ghost"},
    ]
    response = wc.patch("/Organisations", json=items)
    assert response.status_code == 200
    result = response.json()
    assert all(isinstance(item, str) for item in result)
    assert result[0] == str(org["OrganisationId"])
    new_id = int(result[1])
    assert webcrm.get("Organisations", new_id)["OrganisationName"] == "New"
    assert "OrganisationOwner" in result[2]
    assert "not found" in result[3]
    assert webcrm.write_count() == 2


@pytest.mark.parametrize("entity", ["Organisations", "Persons"])
def test_delete_is_refused_except_for_products(wc, webcrm, entity):
    prefix = entity[:-1]
    [record] = webcrm.seed(entity, [{f"{prefix}Comment": "x"}])
    response = wc.delete(f"/{entity}/{record[f'{prefix}Id']}")
    assert response.status_code == 405
    assert len(webcrm.records(entity)) == 1
    assert webcrm.write_count() == 0


def test_delete_product(wc, webcrm):
    [product] = webcrm.seed("Products", [{"ProductCombined": "Widget Pro"}])
    path = f"/Products/{product['ProductId']}"
    assert wc.delete(path).status_code in (200, 204)
    assert wc.get(path).status_code == 404
    assert wc.delete(path).status_code == 404
    assert webcrm.write_count("Products") == 1


def test_hooks_are_stored(wc, webcrm):
    hook = {"TargetUrl": "https://example.test/h", "EventType": "Update"}
    hook_id = wc.post("/Persons/Hooks", json=hook).json()
    assert isinstance(hook_id, int)
    assert hook_id > 2**31  # int64 ids
    assert [h["Id"] for h in wc.get("/Persons/Hooks").json()] == [hook_id]
    assert wc.get("/Organisations/Hooks").json() == []
    changed = hook | {"IsEnabled": False}
    assert wc.put(f"/Hooks/{hook_id}", json=changed).status_code in (200, 204)
    assert wc.get(f"/Hooks/{hook_id}").json()["IsEnabled"] is False
    assert wc.post("/Persons/Hooks", json={"EventType": "Nope"}).status_code == 400
    assert wc.delete(f"/Hooks/{hook_id}").status_code in (200, 204)
    assert wc.get(f"/Hooks/{hook_id}").status_code == 404
