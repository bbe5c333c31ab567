"""The live status page in headless Chromium (Debian's), on a real deployment.

The page loads, shows the links of each flow as the link notices count them,
pauses a flow from its detail (with the control token) so that every worker
holds its writes, resumes it, and the browser console stays free of errors.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import Page

from schemas.observe import DeploymentStatus, FirstSync, FlowRunState, FlowStatus
from standins.webcrm import seed_webcrm
from streams.control import read_states
from streams.settings import StreamSettings
from tests.integration.browser import WAIT_MS, browser_page, cell, off_loop
from tests.integration.canned_site import serve_canned
from tests.integration.isolation import wait_until
from tests.integration.scenario import ORGS, PERSONS, PRODUCTS, links, webcrm_customcrm
from tests.integration.web import TOKEN, wait_for_web

SIZES = {ORGS: 5, PERSONS: 7, PRODUCTS: 3}


def _links(local: Any, flow: str) -> dict[str, str]:
    found: dict[str, str] = off_loop(lambda: links(local, flow))
    return found


def test_the_status_page_shows_the_flows_and_pauses_one(
    kafka_bootstrap: str, tmp_path: Path, browser_page: tuple[Page, list[str]]
) -> None:
    page, errors = browser_page
    env = {"TETHER_CONTROL_TOKEN": TOKEN}
    with webcrm_customcrm(
        kafka_bootstrap, tmp_path, poll_interval=1.0, extra_env=env
    ) as (local, webcrm, customcrm):
        seed_webcrm(webcrm, organisations=5, persons=7, products=3, seed=21)
        local.start_worker()
        wait_for_web(local)
        wait_until(
            local,
            lambda: all(len(_links(local, f)) == n for f, n in SIZES.items()),
            "the first sync",
            timeout=240,
        )

        page.goto(local.web_url() + "/")
        # The numbers the link notices give, in the table and on the graph.
        for flow, count in SIZES.items():
            links_cell = cell(page, flow, "links")
            links_cell.filter(has_text=str(count)).wait_for(timeout=WAIT_MS)
            assert links_cell.inner_text() == str(len(_links(local, flow)))
            assert cell(page, flow, "state").inner_text() == "running"
        edge = page.locator('g.edge[data-source="webcrm"][data-target="customcrm"]')
        drawn = edge.text_content() or ""  # SVG: no layout text
        assert f"{sum(SIZES.values())} links" in drawn
        assert "running · 3 flows" in drawn
        assert page.locator("g.node").count() == 7  # the seven systems
        assert page.locator("#app-id").inner_text() == local.app_id

        # A flow's detail: its pause button asks for the token once.
        page.locator(f'#flows tr[data-flow="{ORGS}"]').click()
        page.locator("#detail").wait_for(state="visible", timeout=WAIT_MS)
        assert page.locator("#detail-flow").inner_text() == ORGS
        # A locator, not wait_for_function: the page's CSP forbids eval.
        page.locator("#pause:not([disabled])").wait_for(timeout=WAIT_MS)
        assert page.locator("#resume").is_disabled()
        page.locator("#token").fill(TOKEN)
        page.locator("#pause").click()
        cell(page, ORGS, "state").filter(has_text="paused").wait_for(timeout=WAIT_MS)
        settings = StreamSettings(kafka_bootstrap=local.bootstrap, app_id=local.app_id)
        state = off_loop(lambda: asyncio.run(read_states(settings)))[ORGS]
        assert state["paused"] is True
        assert state["reason"] == "paused from the status page"
        assert page.evaluate("sessionStorage.getItem('tether-control-token')") == TOKEN

        # The worker holds the paused flow's writes.
        org_links = _links(local, ORGS)
        first = sorted(org_links)[0]
        webcrm.edit("Organisations", int(first), {"OrganisationCity": "Held"})
        topic = local.topics.entity("webcrm", "Organisations")
        wait_until(
            local,
            lambda: any(
                key == first and value and "Held" in str(value)
                for key, value in off_loop(lambda: local.read_topic(topic))
            ),
            "the edit polled onto the flow's topic",
        )
        time.sleep(5)  # the flow's agent has it: it must wait, not write
        assert customcrm.get("customers", org_links[first])["City"] != "Held"

        # Resumed from the page (the token is remembered for this tab).
        page.locator("#resume").wait_for(state="visible", timeout=WAIT_MS)
        page.locator("#resume:not([disabled])").wait_for(timeout=WAIT_MS)
        page.locator("#resume").click()
        cell(page, ORGS, "state").filter(has_text="running").wait_for(timeout=WAIT_MS)
        wait_until(
            local,
            lambda: customcrm.get("customers", org_links[first])["City"] == "Held",
            "the held edit after the resume",
        )
        page.locator("#detail-state").filter(has_text="running").wait_for(
            timeout=WAIT_MS
        )
        page.reload()
        cell(page, ORGS, "links").filter(has_text=str(SIZES[ORGS])).wait_for(
            timeout=WAIT_MS
        )
    assert errors == []


def test_the_console_watch_sees_errors(browser_page: tuple[Page, list[str]]) -> None:
    # The check above can fail: an error on a page is caught.
    page, errors = browser_page
    page.set_content("<script>console.error('seen'); undefinedCall();</script>")
    page.wait_for_timeout(200)
    assert any("seen" in e for e in errors)
    assert any("undefinedCall" in e for e in errors)


def _canned() -> DeploymentStatus:
    def flow(name: str, state: FlowRunState, **values: Any) -> FlowStatus:
        return FlowStatus(
            flow=name,
            source="webcrm/Organisations",
            target="customcrm/customers",
            state=state,
            **values,
        )

    failing = "webcrm failing: AuthenticationError: 401 login refused"
    return DeploymentStatus(
        app_id="canned-app",
        ok=False,
        flows=[
            flow(
                ORGS,
                FlowRunState.RUNNING,
                links=40,
                first_sync=FirstSync(
                    handled=40, remaining=60, rate_per_second=12.5, eta_seconds=4.8
                ),
            ),
            flow(PERSONS, FlowRunState.PAUSED, reason="paused by an operator"),
            flow(PRODUCTS, FlowRunState.FAILING, reason=failing, dead_letters=2),
        ],
    )


def test_the_page_draws_first_syncs_pauses_and_failures(
    tmp_path: Path, browser_page: tuple[Page, list[str]]
) -> None:
    page, errors = browser_page
    with serve_canned(tmp_path, _canned()) as url:
        page.goto(url + "/")
        summary = page.locator("#summary")
        summary.filter(has_text="3 flows").wait_for(timeout=WAIT_MS)
        assert summary.inner_text() == "3 flows: 1 running, 1 paused, 1 failing"
        assert cell(page, ORGS, "first_sync").inner_text().strip() == (
            "40/100 · 13/s · 5 s left"
        )
        progress = cell(page, ORGS, "first_sync").locator("progress")
        assert progress.get_attribute("value") == "40"
        assert cell(page, PERSONS, "state").inner_text() == "paused"
        failing = cell(page, PRODUCTS, "state")
        assert "failing" in (failing.get_attribute("class") or "")
        assert "401 login refused" in (failing.get_attribute("title") or "")
        edge = page.locator('g.edge[data-source="webcrm"][data-target="customcrm"]')
        assert "failing" in (edge.get_attribute("class") or "")  # the worst state
        drawn = edge.text_content() or ""
        assert "first sync 40%" in drawn
        assert "2 dead letters" in drawn

        # Without TETHER_CONTROL_TOKEN the buttons are off and say why.
        page.locator(f'#flows tr[data-flow="{PERSONS}"]').click()
        note = page.locator("#control-note")
        note.filter(has_text="TETHER_CONTROL_TOKEN").wait_for(timeout=WAIT_MS)
        assert page.locator("#pause").is_disabled()
        assert page.locator("#resume").is_disabled()
        assert page.locator("#token-row").is_hidden()
    assert errors == []


__all__ = ["browser_page"]  # a fixture, used by name
