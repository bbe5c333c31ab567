"""The worker's web routes on faust's own web server, without a broker."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import faust
import pytest
from aiohttp.test_utils import TestClient, TestServer
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from connectors.errors import TransientError
from dataflows import flows_by_name, load_documents
from engine.control import FlowState
from engine.health import SystemHealth
from schemas.observe import DeploymentStatus, FlowRunState, FlowStatus
from streams.settings import StreamSettings
from streams.webui import pausing
from streams.webui.readiness import Readiness
from streams.webui.routes import wire_routes
from streams.webui.site import StatusSite

FLOW = "webcrm-organisations-to-customcrm-customer"
TOKEN = "unit-token-123"  # noqa: S105 - a test's own token


class FakeSite(StatusSite):
    """A site whose Kafka reads are canned."""

    ready = Readiness(tables_recovered=True, partitions=4, rebalancing=False)
    reads = 0
    broker_down = False

    def readiness(self) -> Readiness:
        return self.ready

    async def _read_status(self) -> DeploymentStatus:
        if self.broker_down:
            msg = "no Kafka broker answers"
            raise TransientError(msg)
        self.reads += 1
        flow = FlowStatus(
            flow=FLOW,
            source="webcrm",
            target="customcrm",
            state=FlowRunState.RUNNING,
            links=7,
        )
        return DeploymentStatus(app_id=self.settings.app_id, flows=[flow])

    async def flow_detail(self, flow: str) -> dict[str, Any]:
        return {"flow": None, "writes": [], "dead_letters": [], "control_enabled": True}


async def _unused_probe(system: str) -> None:
    raise AssertionError(system)


async def _unused_publish(status: Any) -> None:
    raise AssertionError(status)


def _site(tmp_path: Path, **settings: Any) -> FakeSite:
    app = faust.App("webui-test", datadir=str(tmp_path), autodiscover=False)
    config = StreamSettings(app_id="webui-test", **settings)
    flows = {FLOW: flows_by_name(load_documents())[FLOW]}
    health = SystemHealth(_unused_probe, _unused_publish)
    site = FakeSite(app, config, flows, health)
    wire_routes(app, site, resume_grace=60.0)
    # faust's own blueprints, as when the worker starts: its index mounts at "/".
    app.web.init_server()
    return site


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[TestClient[Any, Any]]:
    site = _site(tmp_path, control_token=SecretStr(TOKEN))
    async with TestClient(TestServer(site.app.web.web_app)) as test_client:
        test_client.site = site  # type: ignore[attr-defined]
        yield test_client


async def test_the_status_page_answers_slash_not_fausts_index(client: Any) -> None:
    page = await client.get("/")
    assert page.status == 200
    assert page.content_type == "text/html"
    assert "/static/app.js" in await page.text()
    assert "default-src 'self'" in page.headers["Content-Security-Policy"]
    script = await client.get("/static/app.js")
    assert script.content_type == "text/javascript"
    assert (await client.get("/static/secrets.txt")).status == 404
    assert (await client.get("/static/..%2Fsite.py")).status == 404


async def test_health_ready_and_metrics(client: Any) -> None:
    assert (await client.get("/health")).status == 200
    ready = await client.get("/ready")
    assert (ready.status, (await ready.json())["ready"]) == (200, True)
    client.site.ready = Readiness(
        tables_recovered=False,
        partitions=0,
        rebalancing=False,
        failing={"webcrm": "401 login refused"},
    )
    waiting = await client.get("/ready")
    body = await waiting.json()
    assert waiting.status == 503
    assert body["not_ready"] == [
        "tables are being recovered from their changelogs",
        "no partitions are assigned to this worker yet",
        "webcrm is failing: 401 login refused",
    ]
    metrics = await client.get("/metrics")
    assert metrics.status == 200
    list(text_string_to_metric_families(await metrics.text()))  # parses


async def test_status_is_cached_and_names_each_flow(client: Any) -> None:
    first = await (await client.get("/status")).json()
    await client.get("/status")
    assert first["flows"][0]["links"] == 7
    assert client.site.reads == 1  # the second view reused the first read
    assert (await client.get(f"/flows/{FLOW}")).status == 200
    assert (await client.get("/flows/another-flow")).status == 404


async def test_a_broker_that_does_not_answer_is_a_503(client: Any) -> None:
    client.site.broker_down = True
    answer = await client.get("/status")
    assert answer.status == 503
    assert "no Kafka broker answers" in (await answer.json())["detail"]
    assert (await client.get("/health")).status == 200


async def test_pause_needs_the_token(client: Any, monkeypatch: Any) -> None:
    written: list[tuple[str, str]] = []

    async def pause(settings: Any, flow: str, reason: str = "") -> FlowState:
        written.append((flow, reason))
        return FlowState(flow=flow, paused=True, reason=reason)

    monkeypatch.setattr(pausing, "pause", pause)
    url = f"/flows/{FLOW}/pause"
    assert (await client.post(url)).status == 401
    wrong = {"Authorization": "Bearer nope"}
    assert (await client.post(url, headers=wrong)).status == 401
    assert written == []
    auth = {"Authorization": f"Bearer {TOKEN}"}
    answer = await client.post(url, headers=auth, json={"reason": "checking"})
    assert answer.status == 200
    assert written == [(FLOW, "checking")]
    unknown = await client.post("/flows/another-flow/pause", headers=auth)
    assert unknown.status == 404


async def test_without_a_token_the_buttons_are_off(tmp_path: Path) -> None:
    site = _site(tmp_path)
    async with TestClient(TestServer(site.app.web.web_app)) as client:
        answer = await client.post(
            f"/flows/{FLOW}/resume", headers={"Authorization": "Bearer x"}
        )
        assert answer.status == 403
        assert "set TETHER_CONTROL_TOKEN" in (await answer.json())["detail"]
    assert site.control_enabled is False


def test_refusal_compares_the_whole_token() -> None:
    token = SecretStr(TOKEN)
    assert pausing.refusal(token, f"Bearer {TOKEN}") is None
    assert pausing.refusal(token, f"bearer {TOKEN}") is None
    refused = pausing.refusal(token, f"Bearer {TOKEN[:-1]}")
    assert refused is not None
    assert refused.status == 401
    assert TOKEN not in refused.detail
    assert pausing.refusal(token, TOKEN) is not None  # no scheme
    assert pausing.refusal(SecretStr(""), f"Bearer {TOKEN}") is not None
