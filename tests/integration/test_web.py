"""The worker's web server: /health, /ready (not ready, then ready), /metrics,
/status, /flows/{flow}, and pause/resume over HTTP, on a real deployment."""

from __future__ import annotations

import asyncio

import httpx
from prometheus_client.parser import text_string_to_metric_families

from standins.webcrm import seed_webcrm
from streams.control import read_states
from streams.settings import StreamSettings
from tests.integration.isolation import wait_until
from tests.integration.scenario import ORGS, PERSONS, PRODUCTS, links, webcrm_customcrm
from tests.integration.web import TOKEN, answers, get, status_of, wait_for_web

SIZES = {ORGS: 4, PERSONS: 6, PRODUCTS: 2}
FAST_HEALTH = {
    "TETHER_HEALTH_FIRST_RETRY_SECONDS": "1",
    "TETHER_HEALTH_MAX_RETRY_SECONDS": "3",
    "TETHER_CONTROL_TOKEN": TOKEN,
}


def test_endpoints_from_not_ready_to_ready_then_pause_over_http(
    kafka_bootstrap, tmp_path
):
    with webcrm_customcrm(kafka_bootstrap, tmp_path, extra_env=FAST_HEALTH) as (
        local,
        webcrm,
        _,
    ):
        seed_webcrm(webcrm, organisations=4, persons=6, products=2, seed=5)
        # Webcrm refuses tether from the start: the worker is up, not ready.
        webcrm.tokens.auth_codes.discard(webcrm.auth_code)
        webcrm.tokens.clear()
        local.start_worker()
        wait_for_web(local)

        def webcrm_failing() -> bool:
            response = answers(local, "/ready")
            return (
                response is not None
                and response.status_code == 503
                and "webcrm" in response.json()["failing_systems"]
            )

        wait_until(local, webcrm_failing, "/ready to name Webcrm failing")
        body = get(local, "/ready").json()
        assert body["ready"] is False
        assert any(line.startswith("webcrm is failing") for line in body["not_ready"])
        wait_until(
            local,
            lambda: all(
                status_of(local)["by_flow"][f]["state"] == "failing" for f in SIZES
            ),
            "/status to show Webcrm's flows failing",
        )
        failing = status_of(local)
        assert failing["ok"] is False
        assert "webcrm" in failing["by_flow"][ORGS]["reason"]

        webcrm.tokens.auth_codes.add(webcrm.auth_code)
        wait_until(
            local,
            lambda: get(local, "/ready").status_code == 200,
            "/ready once Webcrm answers again",
        )
        ready = get(local, "/ready").json()
        assert ready["ready"] is True
        assert ready["partitions_assigned"] > 0
        assert ready["not_ready"] == []

        wait_until(
            local,
            lambda: all(len(links(local, f)) == n for f, n in SIZES.items()),
            "the first sync",
            timeout=240,
        )
        wait_until(
            local,
            lambda: all(
                status_of(local)["by_flow"][f]["links"] == n for f, n in SIZES.items()
            ),
            "/status to count the links",
        )
        status = status_of(local)
        assert status["ok"] is True
        assert status["app_id"] == local.app_id
        assert {s["system"]: s["state"] for s in status["systems"]} == {
            "webcrm": "ok",
            "customcrm": "ok",
        }
        assert all(f["state"] == "running" for f in status["flows"])

        metrics = get(local, "/metrics")
        assert metrics.status_code == 200
        assert metrics.headers["content-type"].startswith("text/plain")
        families = {f.name for f in text_string_to_metric_families(metrics.text)}
        assert "faust_messages_received" in families  # faust's own sensor

        detail = get(local, f"/flows/{ORGS}").json()
        assert detail["flow"]["links"] == SIZES[ORGS]
        assert detail["control_enabled"] is True
        assert isinstance(detail["writes"], list)
        assert isinstance(detail["dead_letters"], list)
        assert get(local, "/flows/no-such-flow").status_code == 404

        _pause_and_resume_over_http(local)
        page = get(local, "/")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert "/static/app.js" in page.text


def _pause_and_resume_over_http(local) -> None:
    url = f"{local.web_url()}/flows/{PRODUCTS}/pause"
    assert httpx.post(url, timeout=30).status_code == 401
    wrong = {"Authorization": "Bearer not-the-token"}
    assert httpx.post(url, headers=wrong, timeout=30).status_code == 401
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = httpx.post(url, headers=auth, json={"reason": "a test"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.json()["paused"] is True
    settings = StreamSettings(kafka_bootstrap=local.bootstrap, app_id=local.app_id)
    states = asyncio.run(read_states(settings))
    assert states[PRODUCTS]["paused"] is True
    assert "a test" in states[PRODUCTS]["reason"]
    wait_until(
        local,
        lambda: status_of(local)["by_flow"][PRODUCTS]["state"] == "paused",
        "/status to show the pause",
    )
    resume = f"{local.web_url()}/flows/{PRODUCTS}/resume"
    answer = httpx.post(resume, headers=auth, timeout=30)
    assert answer.status_code == 200, answer.text
    assert asyncio.run(read_states(settings))[PRODUCTS]["paused"] is False
