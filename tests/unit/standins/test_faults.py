"""Fault knobs: rate limits with Retry-After, injected errors, hangs, lost responses."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from standins.customcrm import CustomcrmStandIn
from standins.faults import FaultConfig, FaultInjector


def test_webcrm_throttles_with_its_own_429(http, wc, webcrm):
    assert webcrm.faults.rate_limit == 250
    webcrm.set_faults(rate_limit=3, rate_window_s=1.0)
    assert [wc.get("/Persons").status_code for _ in range(3)] == [200, 200, 200]
    throttled = wc.get("/Persons")
    assert throttled.status_code == 429
    body = throttled.json()
    assert body["Type"] == "TooManyRequestsException"
    assert body["Message"].startswith("The request was throttled.")
    assert body["RetryAfterSeconds"] >= 1
    assert throttled.headers["Retry-After"] == str(body["RetryAfterSeconds"])
    # Login is not throttled, and the window slides.
    login = http.post(
        f"{webcrm.url}/Auth/ApiLogin", data={"authCode": webcrm.auth_code}
    )
    assert login.status_code == 200
    time.sleep(1.05)
    assert wc.get("/Persons").status_code == 200


def test_webcrm_window_is_per_application_not_per_access_token(http, wc, webcrm):
    webcrm.set_faults(rate_limit=2, rate_window_s=30)
    assert wc.get("/Persons").status_code == 200
    assert wc.get("/Persons").status_code == 200
    login = http.post(
        f"{webcrm.url}/Auth/ApiLogin", data={"authCode": webcrm.auth_code}
    )
    fresh = {"Authorization": f"Bearer {login.json()['AccessToken']}"}
    response = http.get(f"{webcrm.url}/Persons", headers=fresh)
    assert response.status_code == 429
    assert 1 <= int(response.headers["Retry-After"]) <= 30


def test_customcrm_429_shape(cc, customcrm):
    assert customcrm.faults.rate_limit is None
    customcrm.set_faults(rate_limit=1, rate_window_s=10)
    assert cc.get("/customers").status_code == 200
    response = cc.get("/customers")
    assert response.status_code == 429
    retry = int(response.headers["Retry-After"])
    assert response.json() == {"error": "rate_limited", "retry_after": retry}


def test_fail_next_is_deterministic_and_filterable(cc, customcrm):
    customcrm.fail_next(2, 503)
    assert [cc.get("/customers").status_code for _ in range(3)] == [503, 503, 200]
    customcrm.fail_next(1, 500, method="POST", path="/customers")
    assert cc.get("/customers").status_code == 200
    assert cc.post("/contacts", json={"LastName": "N"}).status_code == 201
    assert cc.post("/customers", json={"Name": "A"}).status_code == 500
    assert cc.post("/customers", json={"Name": "A"}).status_code == 201
    assert customcrm.write_count() == 2


def test_error_rate_one_fails_everything_but_admin(http, cc, customcrm):
    customcrm.set_faults(error_rate=1.0)
    assert cc.get("/customers").status_code == 503
    assert http.get(f"{customcrm.url}/_admin/faults").json()["error_rate"] == 1.0


def test_error_draws_are_reproducible_with_a_seed():
    def outcomes(seed: int) -> list[int | None]:
        injector = FaultInjector(FaultConfig(error_rate=0.5, seed=seed))
        return [injector.plan("GET", "/x", None).status for _ in range(40)]

    assert outcomes(7) == outcomes(7)
    assert {None, 503} == set(outcomes(7))
    assert outcomes(7) != outcomes(8)


def test_latency(cc, customcrm):
    customcrm.set_faults(latency_ms=150)
    started = time.monotonic()
    cc.get("/customers")
    assert time.monotonic() - started >= 0.15


def test_timeout_hangs_past_the_client_timeout(cc, customcrm):
    customcrm.set_faults(timeout_rate=1.0, hang_seconds=5)
    with pytest.raises(httpx.ReadTimeout):
        cc.post("/customers", json={"Name": "A"}, timeout=0.3)
    customcrm.set_faults(timeout_rate=0.0)
    assert customcrm.records("customers") == []  # the write was never applied


def test_lost_response_applies_the_write(cc, customcrm):
    customcrm.lose_next(1)
    headers = {"Idempotency-Key": "evt-9"}
    lost = cc.post("/customers", json={"Name": "A"}, headers=headers)
    assert lost.status_code == 502
    assert lost.content == b""
    [stored] = customcrm.records("customers")
    assert customcrm.write_count() == 1
    # The client's retry with the same key finds the write instead of repeating it.
    retry = cc.post("/customers", json={"Name": "A"}, headers=headers)
    assert retry.status_code == 200
    assert retry.json()["Id"] == stored["Id"]
    assert customcrm.write_count() == 1


def test_lost_response_rate_on_webcrm_put(wc, webcrm):
    [org] = webcrm.seed("Organisations", [{"OrganisationName": "A"}])
    webcrm.set_faults(lost_response_rate=1.0)
    assert wc.get(f"/Organisations/{org['OrganisationId']}").status_code == 200
    response = wc.put(
        f"/Organisations/{org['OrganisationId']}", json={"OrganisationName": "B"}
    )
    assert response.status_code == 502
    assert webcrm.get("Organisations", org["OrganisationId"])["OrganisationName"] == "B"
    # A refused write is not "lost": its error still arrives.
    bad = wc.put(
        f"/Organisations/{org['OrganisationId']}", json={"OrganisationOwner": "x"}
    )
    assert bad.status_code == 400


def test_stop_releases_hanging_requests(http):
    # The request hangs for an hour: a stop that waited for it would still be
    # running when the (generous) join gives up, however slow the machine.
    faults = FaultConfig(timeout_rate=1.0, hang_seconds=3600)
    standin = CustomcrmStandIn(faults=faults).start()
    headers = {"Authorization": f"Bearer {standin.api_key}"}
    with pytest.raises(httpx.ReadTimeout):
        http.get(f"{standin.url}/customers", headers=headers, timeout=0.2)
    stopping = threading.Thread(target=standin.stop)
    stopping.start()
    stopping.join(timeout=300)
    assert not stopping.is_alive(), "stop() waits for the hanging request"


def test_admin_faults_endpoint(http, customcrm):
    url = f"{customcrm.url}/_admin/faults"
    assert http.put(url, json={"latency_ms": 5}).json()["latency_ms"] == 5
    assert http.put(url, json={"bogus": 1}).status_code == 400
    assert http.put(url, json={"error_rate": 2}).status_code == 400
    assert customcrm.faults.latency_ms == 5


def test_an_injected_429_looks_like_the_systems_own(wc, webcrm):
    webcrm.fail_next(1, 429)
    response = wc.get("/Persons")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1"
    assert response.json()["RetryAfterSeconds"] == 1


def test_queued_faults_are_dropped_over_admin_and_the_knobs_stay(http, wc, webcrm):
    # A demo user "revokes" a key with fail_next 401 and gives it back with this.
    admin = f"{webcrm.url}/_admin/faults"
    http.put(admin, json={"latency_ms": 1})
    http.post(f"{admin}/fail_next", json={"n": 100, "status": 401})
    assert wc.get("/Persons").status_code == 401
    assert http.delete(f"{admin}/pending").status_code == 204
    assert wc.get("/Persons").status_code == 200
    assert webcrm.faults.latency_ms == 1
