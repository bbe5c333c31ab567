"""Webcrm stand-in: login, bearer tokens, refresh and expiry."""

from __future__ import annotations

import time

from tests.unit.standins.conftest import webcrm_login

LOGIN_KEYS = {
    "AccessToken",
    "RefreshToken",
    "Error",
    "ErrorDescription",
    "IsError",
    "ExpiresIn",
    "TokenType",
    "SystemId",
}


def test_login_urlencoded_answers_the_documented_body(http, webcrm):
    response = http.post(
        f"{webcrm.url}/Auth/ApiLogin", data={"authCode": webcrm.auth_code}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == LOGIN_KEYS
    assert body["IsError"] is False
    assert body["Error"] is None
    assert body["ExpiresIn"] == 3600
    assert body["TokenType"] == "Bearer"
    assert body["SystemId"] == 1


def test_login_accepts_multipart(http, webcrm):
    response = http.post(
        f"{webcrm.url}/Auth/ApiLogin", files={"authCode": (None, webcrm.auth_code)}
    )
    assert response.status_code == 200
    assert response.json()["AccessToken"]


def test_wrong_auth_code_is_401_with_is_error(http, webcrm):
    response = http.post(f"{webcrm.url}/Auth/ApiLogin", data={"authCode": "nope"})
    assert response.status_code == 401
    body = response.json()
    assert body["IsError"] is True
    assert body["AccessToken"] is None


def test_missing_auth_code_is_400(http, webcrm):
    response = http.post(f"{webcrm.url}/Auth/ApiLogin", data={"other": "x"})
    assert response.status_code == 400
    assert response.json()["IsError"] is True


def test_calls_need_a_bearer_token(http, webcrm):
    token = webcrm_login(http, webcrm)
    url = f"{webcrm.url}/Organisations"
    assert http.get(url).status_code == 401
    assert http.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    basic = {"Authorization": f"Basic {token}"}
    assert http.get(url, headers=basic).status_code == 401
    # The scheme is case-insensitive: Sesam sends lower-case ``bearer``.
    lower = {"Authorization": f"bearer {token}"}
    assert http.get(url, headers=lower).status_code == 200


def test_tokens_expire_after_expires_in(http, webcrm):
    webcrm.token_ttl_s = 1.0
    response = http.post(
        f"{webcrm.url}/Auth/ApiLogin", data={"authCode": webcrm.auth_code}
    )
    assert response.json()["ExpiresIn"] == 1
    headers = {"Authorization": f"Bearer {response.json()['AccessToken']}"}
    assert http.get(f"{webcrm.url}/Persons", headers=headers).status_code == 200
    time.sleep(1.05)
    assert http.get(f"{webcrm.url}/Persons", headers=headers).status_code == 401


def test_expire_tokens_knob_and_refresh(http, webcrm):
    login = http.post(
        f"{webcrm.url}/Auth/ApiLogin", data={"authCode": webcrm.auth_code}
    ).json()
    headers = {"Authorization": f"Bearer {login['AccessToken']}"}
    http.post(f"{webcrm.url}/_admin/expire_tokens").raise_for_status()
    assert http.get(f"{webcrm.url}/Products", headers=headers).status_code == 401
    refreshed = http.post(
        f"{webcrm.url}/Auth/ApiRefresh", data={"refreshToken": login["RefreshToken"]}
    )
    assert refreshed.status_code == 200
    fresh = {"Authorization": f"Bearer {refreshed.json()['AccessToken']}"}
    assert http.get(f"{webcrm.url}/Products", headers=fresh).status_code == 200


def test_unknown_refresh_token_is_401(http, webcrm):
    response = http.post(
        f"{webcrm.url}/Auth/ApiRefresh", data={"refreshToken": "unknown"}
    )
    assert response.status_code == 401
    assert response.json()["IsError"] is True
