"""Chargebee stand-in: auth, form bodies, errors, 429, idempotency, no BE calls."""

from __future__ import annotations

import base64

import pytest

from connectors import build_connector

ITEM = {
    "id": "widget-pro",
    "name": "Widget Pro",
    "type": "charge",
    "item_family_id": "webshop-products",
}


def _basic(user: str, password: str = "") -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer test_standin_chargebee_key"},
        {"Authorization": "Basic not-base64!"},
        {"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()},
    ],
)
def test_requests_without_basic_auth_are_refused(http, chargebee, headers):
    response = http.get(f"{chargebee.url}/api/v2/items", headers=headers)
    assert response.status_code == 401
    assert response.json()["api_error_code"] == "api_authentication_failed"
    assert response.json()["type"] == "invalid_request"
    assert "Basic" in response.headers["WWW-Authenticate"]


def test_the_key_is_the_user_name_and_the_password_is_empty(http, chargebee):
    url = f"{chargebee.url}/api/v2/items"
    assert http.get(url, headers=_basic("wrong")).status_code == 401
    assert http.get(url, headers=_basic(chargebee.api_key, "x")).status_code == 401
    assert http.get(url, headers=_basic(chargebee.api_key)).status_code == 200


def test_responses_are_wrapped_under_the_resource_name(cb):
    created = cb.post("/items", data=ITEM)
    assert created.status_code == 200
    assert set(created.json()) == {"item"}
    assert cb.get("/items/widget-pro").json()["item"]["id"] == "widget-pro"
    listed = cb.get("/items").json()
    assert listed == {"list": [{"item": created.json()["item"]}]}


def test_posts_must_be_form_encoded(cb, chargebee):
    response = cb.post("/items", json=ITEM)
    assert response.status_code == 400
    assert response.json()["api_error_code"] == "invalid_request"
    assert chargebee.write_count() == 0


@pytest.mark.parametrize(
    ("data", "param"),
    [
        (ITEM | {"colour": "red"}, "colour"),
        (ITEM | {"type": "gadget"}, "type"),
        (ITEM | {"is_shippable": "yes"}, "is_shippable"),
        (ITEM | {"metadata": "[1]"}, "metadata"),
        (ITEM | {"id": "has space"}, "id"),
        (ITEM | {"id": "x" * 51}, "id"),
        (ITEM | {"name": ""}, "name"),
        ({k: v for k, v in ITEM.items() if k != "type"}, "type"),
        (ITEM | {"billing[": "x"}, "billing["),
    ],
)
def test_bad_parameters_are_400_param_wrong_value(cb, chargebee, data, param):
    response = cb.post("/items", data=data)
    assert response.status_code == 400
    body = response.json()
    assert body["api_error_code"] == "param_wrong_value"
    assert body["param"] == param
    assert body["message"].startswith(param)
    assert chargebee.write_count() == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/business_entities"),
        ("GET", "/business_entities/acme-no"),
        ("POST", "/business_entities"),
        ("POST", "/business_entities/acme-no"),
    ],
)
def test_business_entities_have_no_list_retrieve_create_or_update(
    cb, chargebee, method, path
):
    chargebee.seed("business_entities", [{"id": "acme-no", "name": "Acme"}])
    response = cb.request(
        method, path, data={"name": "Acme 2"} if method == "POST" else None
    )
    assert response.status_code == 404
    assert response.json()["api_error_code"] == "resource_not_found"
    assert chargebee.get("business_entities", "acme-no")["name"] == "Acme"


def test_business_entity_transfers_are_accepted_and_change_nothing(cb, chargebee):
    chargebee.seed("business_entities", [{"id": "acme-no", "name": "Acme"}])
    before = chargebee.records("events")
    data = {
        "active_resource_ids[0]": "cust_1",
        "destination_business_entity_ids[0]": "acme-no",
        "resource_type[0]": "customer",
        "reason_codes[0]": "correction",
    }
    assert cb.post("/business_entities/transfers", data=data).status_code == 200
    assert cb.get("/business_entities/transfers").json() == {"list": []}
    assert chargebee.records("events") == before


def test_an_idempotency_key_replays_the_first_answer(cb, chargebee):
    headers = {"chargebee-idempotency-key": "create-1"}
    first = cb.post("/items", data=ITEM, headers=headers)
    again = cb.post("/items", data=ITEM, headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["chargebee-idempotency-replayed"] == "true"
    assert chargebee.write_count() == 1
    # Without the key the same create is a duplicate.
    duplicate = cb.post("/items", data=ITEM)
    assert duplicate.status_code == 400
    assert duplicate.json()["api_error_code"] == "duplicate_entry"


def test_the_rate_limit_is_150_a_minute_by_default_and_a_knob(cb, chargebee):
    assert chargebee.faults.rate_limit == 150
    chargebee.set_faults(rate_limit=2)
    assert cb.get("/items").status_code == 200
    assert cb.get("/items").status_code == 200
    throttled = cb.get("/items")
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    assert throttled.json()["api_error_code"] == "rate_limit"
    assert set(throttled.json()) >= {"message", "type", "api_error_code"}


def test_injected_faults_carry_chargebee_error_bodies(cb, chargebee):
    chargebee.fail_next(1, 503)
    response = cb.get("/items")
    assert response.status_code == 503
    assert response.json()["type"] == "operation_failed"
    assert response.json()["api_error_code"] == "internal_error"


def test_connector_env_is_enough_for_build_connector(chargebee, monkeypatch):
    env = chargebee.connector_env()
    assert env["CHARGEBEE_BASE_URL"] == f"{chargebee.url}/api/v2"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    connector = build_connector("chargebee")
    assert connector.settings.base_url == f"{chargebee.url}/api/v2"
    assert chargebee.credentials() == {"api_key": chargebee.api_key}
