"""Membercare stand-in: token exchange, the ``token`` header, expiry, refusals."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import httpx
import pytest

from standins.membercare import MEMBERCARE_TZ, MembercareStandIn

LOCAL_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?$")


def token(http: httpx.Client, standin: MembercareStandIn) -> httpx.Response:
    return http.get(
        f"{standin.url}/api/v1/token",
        params={"clientApiKey": standin.api_key, "personToImpersonate": "1"},
    )


def test_get_token_answers_value_and_a_local_expiration(http, membercare):
    response = token(http, membercare)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"value", "expiration"}
    assert LOCAL_TIME.match(body["expiration"]), body["expiration"]
    expires = datetime.fromisoformat(body["expiration"]).replace(tzinfo=MEMBERCARE_TZ)
    left = expires - datetime.now(MEMBERCARE_TZ)
    assert timedelta(minutes=59) < left <= timedelta(hours=1)


def test_post_token_with_a_body_works_too(http, membercare):
    body = {"clientApiKey": membercare.api_key, "personToImpersonate": "1"}
    response = http.post(f"{membercare.url}/api/v1/token", json=body)
    assert response.status_code == 200
    assert response.json()["value"]
    assert http.post(f"{membercare.url}/api/v1/token", content=b"[").status_code == 400


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"personToImpersonate": "1"}, 400),
        ({"clientApiKey": "k"}, 400),
        ({"clientApiKey": "wrong", "personToImpersonate": "1"}, 401),
        (
            {
                "clientApiKey": "standin-membercare-client-api-key",
                "personToImpersonate": "9",
            },
            401,
        ),
    ],
    ids=["no-key", "no-person", "wrong-key", "unknown-person"],
)
def test_token_refusals(http, membercare, params, status):
    response = http.get(f"{membercare.url}/api/v1/token", params=params)
    assert response.status_code == status
    assert response.json()["status"] == status


def test_calls_need_the_token_header_not_authorization(http, membercare):
    value = token(http, membercare).json()["value"]
    url = f"{membercare.url}/api/v1/companies"
    assert http.get(url).status_code == 401
    assert (
        http.get(url, headers={"Authorization": f"Bearer {value}"}).status_code == 401
    )
    assert http.get(url, headers={"token": "made-up"}).status_code == 401
    assert http.get(url, headers={"token": value}).status_code == 200


def test_expired_tokens_are_refused(http, membercare):
    value = token(http, membercare).json()["value"]
    url = f"{membercare.url}/api/v1/products"
    assert http.get(url, headers={"token": value}).status_code == 200
    membercare.expire_tokens()
    assert http.get(url, headers={"token": value}).status_code == 401
    assert http.post(f"{membercare.url}/_admin/expire_tokens").status_code == 204


def test_credentials_and_connector_env(membercare):
    assert membercare.credentials() == {
        "clientApiKey": membercare.api_key,
        "personToImpersonate": "1",
    }
    env = membercare.connector_env()
    assert env["MEMBERCARE_BASE_URL"] == f"{membercare.url}/api"
    assert env["MEMBERCARE_API_KEY"] == membercare.api_key
    assert env["MEMBERCARE_PERSON_TO_IMPERSONATE"] == "1"
