"""One system's refused credentials pause its flows only, and nothing is lost.

Webcrm <-> Customcrm beside Membercare -> Customwebshop, one worker process.
Webcrm's application token is revoked in its stand-in: the Webcrm flows show as
failing with the reason on ``{app}.status`` and in ``tether status``, a
Membercare edit still reaches Customwebshop, and once the token is restored
the edits made meanwhile on either side of Webcrm's flows arrive.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page
from prometheus_client.parser import text_string_to_metric_families

from devkit.local import LocalDeployment, latest_by_key
from standins import (
    WebcrmStandIn,
)
from tests.integration.browser import WAIT_MS, browser_page, cell, off_loop
from tests.integration.isolation import Worker, four_systems, table_links, wait_until
from tests.integration.scenario import ORGS, PERSONS, PRODUCTS
from tests.integration.test_verify import run_cli
from tests.integration.web import get, status_of

COMPANIES = "membercare-companies-to-customwebshop-customer"
SIZES = {ORGS: 6, PERSONS: 6, PRODUCTS: 2, COMPANIES: 6}
WEBCRM_FLOWS = {ORGS, PERSONS, PRODUCTS}

Systems = tuple[LocalDeployment, dict[str, Any]]


@pytest.fixture(scope="module")
def systems(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Systems]:
    """The four systems after the first sync; a failing system is probed often."""
    home = tmp_path_factory.mktemp("systems")
    with four_systems(kafka_bootstrap, home, SIZES, seed=13) as deployed:
        yield deployed


def _status(
    local: LocalDeployment, monkeypatch: pytest.MonkeyPatch, capsys: Any
) -> tuple[int, dict[str, Any]]:
    code, out, _ = run_cli(local, monkeypatch, capsys, "status", "--json")
    return code, json.loads(out)


def test_revoked_webcrm_credentials_pause_webcrm_only_and_nothing_is_lost(
    systems: Systems,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
):
    local, standins = systems
    webcrm: WebcrmStandIn = standins["webcrm"]
    customcrm, membercare = standins["customcrm"], standins["membercare"]
    webshop = standins["customwebshop"]
    worker = Worker(local)
    code, report = _status(local, monkeypatch, capsys)
    assert (code, report["ok"]) == (0, True)

    # The application token is revoked: no login, no access token works.
    webcrm.tokens.auth_codes.discard(webcrm.auth_code)
    webcrm.tokens.clear()

    def webcrm_failing() -> bool:
        code, report = _status(local, monkeypatch, capsys)
        systems = {s["system"]: s for s in report["systems"]}
        return code == 1 and systems["webcrm"]["state"] == "failing"

    wait_until(local, webcrm_failing, "tether status to show Webcrm failing")
    code, report = _status(local, monkeypatch, capsys)
    by_system = {s["system"]: s for s in report["systems"]}
    failing = by_system["webcrm"]
    assert "401" in failing["reason"]
    assert failing["worker"]
    assert set(failing["flows"]) == WEBCRM_FLOWS
    assert all(s["state"] == "ok" for name, s in by_system.items() if name != "webcrm")
    status = latest_by_key(local.read_topic(local.topics.status))
    assert status["webcrm"]["state"] == "failing"
    _, table, _ = run_cli(local, monkeypatch, capsys, "status")
    assert "webcrm: 3 flows wait: " in table
    assert table.splitlines()[-1] == "FAILING: 1 of 4 systems: webcrm"

    # Edits on both sides of Webcrm's flows while it refuses tether...
    links = table_links(local, ORGS)
    org, other = sorted(links)[0], sorted(links)[1]
    webcrm.edit("Organisations", int(org), {"OrganisationName": "Mens Stengt AS"})
    customcrm.edit("customers", links[other], {"City": "Kautokeino"})
    # ...while Membercare -> Customwebshop goes on.
    company = sorted(table_links(local, COMPANIES))[0]
    customer = table_links(local, COMPANIES)[company]
    membercare.edit("Companies", company, {"companyName": "Går Likevel AS"})
    wait_until(
        local,
        lambda: webshop.get("customers", customer)["Name"] == "Går Likevel AS",
        "a Membercare edit in Customwebshop while Webcrm is failing",
    )
    assert customcrm.get("customers", links[org])["Name"] != "Mens Stengt AS"
    code, _ = _status(local, monkeypatch, capsys)
    assert code == 1  # still failing: nothing was given up on

    webcrm.tokens.auth_codes.add(webcrm.auth_code)
    wait_until(
        local,
        lambda: customcrm.get("customers", links[org])["Name"] == "Mens Stengt AS",
        "the Webcrm edit made while revoked in Customcrm",
    )
    wait_until(
        local,
        lambda: (
            webcrm.get("Organisations", int(other))["OrganisationCity"] == "Kautokeino"
        ),
        "the Customcrm edit made while revoked in Webcrm",
    )
    wait_until(
        local,
        lambda: _status(local, monkeypatch, capsys)[0] == 0,
        "tether status to show Webcrm ok again",
    )
    deadletters = [v for _, v in local.read_topic(local.topics.deadletters) if v]
    assert deadletters == []  # an outage is nobody's dead letter
    worker.assert_same()


def test_a_revoked_system_shows_failing_in_every_view_the_others_running(
    systems: Systems,
    monkeypatch: pytest.MonkeyPatch,
    capsys: Any,
    browser_page: tuple[Page, list[str]],
) -> None:
    """``tether status``, ``GET /status``, the page and the metrics agree."""
    local, standins = systems

    def status() -> tuple[int, dict[str, Any]]:
        # Off playwright's event loop: the command runs one of its own.
        found: tuple[int, dict[str, Any]] = off_loop(
            lambda: _status(local, monkeypatch, capsys)
        )
        return found

    webcrm = standins["webcrm"]
    page, errors = browser_page
    webcrm.tokens.auth_codes.discard(webcrm.auth_code)
    webcrm.tokens.clear()
    try:
        # Something must ask Webcrm: a poll does, every few seconds.
        def cli_failing() -> bool:
            code, report = status()
            states = {f["flow"]: f["state"] for f in report["flows"]}
            return code == 1 and all(states[f] == "failing" for f in WEBCRM_FLOWS)

        wait_until(local, cli_failing, "tether status to show Webcrm's flows failing")
        _, report = status()
        flows = {f["flow"]: f for f in report["flows"]}
        assert all("webcrm" in flows[f]["reason"] for f in WEBCRM_FLOWS)
        assert flows[COMPANIES]["state"] == "running"

        def web_failing() -> bool:
            by_flow = status_of(local)["by_flow"]
            return all(by_flow[f]["state"] == "failing" for f in WEBCRM_FLOWS)

        wait_until(local, web_failing, "GET /status to show Webcrm's flows failing")
        assert status_of(local)["by_flow"][COMPANIES]["state"] == "running"

        samples = {
            s.labels["system"]: s.value
            for family in text_string_to_metric_families(get(local, "/metrics").text)
            if family.name == "tether_system_up"
            for s in family.samples
        }
        assert samples["webcrm"] == 0
        assert samples["membercare"] == samples["customwebshop"] == 1

        page.goto(local.web_url() + "/")
        for flow in WEBCRM_FLOWS:
            state = cell(page, flow, "state")
            state.filter(has_text="failing").wait_for(timeout=WAIT_MS)
            assert "webcrm" in (state.get_attribute("title") or "")
        assert cell(page, COMPANIES, "state").inner_text() == "running"
    finally:
        webcrm.tokens.auth_codes.add(webcrm.auth_code)
    wait_until(
        local,
        lambda: status()[0] == 0,
        "tether status to show Webcrm's flows running again",
    )
    assert errors == []


__all__ = ["browser_page"]  # a fixture, used by name
