"""Custom REST PUT: read-only fields sent back unchanged are fine, changed ones 400.

The common client pattern is GET, change a field, PUT the object back; the object
carries ``Id``, ``UpdatedAt`` and ``Deleted`` as they were read.
"""

from __future__ import annotations

import pytest

from standins.customrest.app import CustomRestStandIn

# (client fixture, stand-in fixture, resource, a valid new record)
SYSTEMS = [
    ("cc", "customcrm", "customers", {"Name": "Fjord Bygg AS", "City": "Oslo"}),
    ("cw", "customwebshop", "customers", {"Name": "Fjord Bygg AS", "City": "Oslo"}),
    (
        "cw",
        "customwebshop",
        "orders",
        {"Reference": "77", "Lines": [{"Description": "Widget", "UnitPrice": 100}]},
    ),
]


@pytest.fixture(params=SYSTEMS, ids=lambda s: f"{s[1]}-{s[2]}")
def case(request):
    client_name, standin_name, resource, record = request.param
    standin: CustomRestStandIn = request.getfixturevalue(standin_name)
    client = request.getfixturevalue(client_name)
    created = client.post(f"/{resource}", json=record)
    assert created.status_code == 201, created.text
    return client, standin, resource, created.json()


def test_the_object_read_and_put_back_with_one_change_is_written(case):
    client, standin, resource, created = case
    read = client.get(f"/{resource}/{created['Id']}").json()
    field = "City" if resource == "customers" else "Status"
    value = "Bergen" if resource == "customers" else "shipped"
    response = client.put(f"/{resource}/{read['Id']}", json=read | {field: value})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body[field] == value
    assert (body["Id"], body["Deleted"]) == (read["Id"], False)
    assert body["UpdatedAt"] > read["UpdatedAt"]
    assert client.get(f"/{resource}/{read['Id']}").json() == body
    assert standin.write_count(resource) == 2


def test_updated_at_naming_the_same_instant_another_way_is_unchanged(case):
    client, _, resource, created = case
    same = created["UpdatedAt"].replace("Z", "+00:00")
    response = client.put(f"/{resource}/{created['Id']}", json={"UpdatedAt": same})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"Id": "C-9999"}, "Id"),
        ({"UpdatedAt": "2020-01-01T00:00:00.000Z"}, "UpdatedAt"),
        ({"UpdatedAt": "yesterday"}, "UpdatedAt"),
        ({"Deleted": True}, "Deleted"),
        ({"Deleted": 0}, "Deleted"),  # equal to false in Python, not in JSON
        ({"Id": "C-9999", "Deleted": True}, "Id, Deleted"),
    ],
)
def test_a_changed_read_only_field_is_refused_and_nothing_written(case, changes, named):
    client, standin, resource, created = case
    response = client.put(f"/{resource}/{created['Id']}", json=created | changes)
    assert response.status_code == 400
    assert response.json() == {
        "error": "bad_request",
        "detail": f"read-only field(s): {named}",
    }
    assert client.get(f"/{resource}/{created['Id']}").json() == created
    assert standin.write_count(resource) == 1


def test_changed_read_only_and_unknown_fields_are_named_together(case):
    client, _, resource, created = case
    body = created | {"Id": "X-1", "Colour": "red"}
    response = client.put(f"/{resource}/{created['Id']}", json=body)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail == "read-only field(s): Id; unknown field(s): Colour"


def test_a_missing_record_is_404_before_its_read_only_fields_are_looked_at(case):
    client, _, resource, created = case
    response = client.put(f"/{resource}/X-404", json=created)
    assert response.status_code == 404
    assert response.json() == {"error": "not_found"}


def test_a_soft_deleted_record_cannot_be_put_back(case):
    client, _, resource, created = case
    assert client.delete(f"/{resource}/{created['Id']}").status_code == 204
    response = client.put(f"/{resource}/{created['Id']}", json=created)
    assert response.status_code == 404


def test_create_still_refuses_every_read_only_field(case):
    client, standin, resource, created = case
    for name in ("Id", "UpdatedAt", "Deleted"):
        body = {k: v for k, v in created.items() if k in (name, "Name", "Reference")}
        response = client.post(f"/{resource}", json=body)
        assert response.status_code == 400
        assert response.json()["detail"] == f"read-only field(s): {name}"
    assert standin.write_count(resource) == 1
