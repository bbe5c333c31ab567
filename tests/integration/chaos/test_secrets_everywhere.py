"""No credential of any of the seven systems, nor the Kafka SASL password, shows.

One deployment of every flow (``everywhere``) runs on the broker's SASL_SSL
listener with its worker at DEBUG, through revoked credentials, 401s, 5xx,
hangs, rotated Crmoffice refresh tokens and dead-lettered bad input. Then the
worker log, every message of every topic (dead letters included), the output
of ``tether status``, ``explain`` and ``deadletters``, and the worker's web
answers (``/status``, ``/metrics``, ``/flows/{flow}``, the status page and its
assets) are searched for every secret in every form it could leak in. The
figures line is shown at the end of the run (``chaos closing figures``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page

from tests.integration.browser import WAIT_MS, browser_page, cell
from tests.integration.chaos.everywhere import Everywhere, everywhere
from tests.integration.chaos.figures import FIGURES
from tests.integration.chaos.provocations import (
    WATCHED,
    converge,
    first_sync,
    provoke,
    seeded,
)
from tests.integration.chaos.secrets import (
    COMMANDS,
    LOADED,
    LOG_LINES,
    MESSAGES,
    PAGES,
    RENDERED,
    TOPICS,
    SecretScanner,
)
from tests.integration.test_verify import run_cli

pytestmark = [pytest.mark.chaos, pytest.mark.timeout(1200)]

# ``tether status`` (the table) ran while systems failed (``provocations``);
# each reads the whole deployment, some 30 s here.
COMMAND_LINES: list[tuple[str, ...]] = [
    ("status", "--json"),
    ("deadletters",),
    ("deadletters", "list", "--json"),
    ("deadletters", "list", "--system", "webcrm"),
]


@pytest.fixture(scope="module")
def provoked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Everywhere]:
    """The seven-system deployment after the faults, converged again."""
    with everywhere(tmp_path_factory.mktemp("secrets-everywhere")) as world:
        first_sync(world)
        provoke(world)
        converge(world)
        yield world


EXPLAINED = {  # system -> (the stand-in's resource, its id field, tether's type)
    "webcrm": ("Organisations", "OrganisationId", "Organisations"),
    "customcrm": ("customers", "Id", "Customer"),
    "membercare": ("Companies", "debtorAccountNumber", "Companies"),
    "customwebshop": ("customers", "Id", "Customer"),
    "chargebee": ("business_entities", "id", "Business_entity"),
    "crmoffice": ("Contacts", "id", "Contacts"),
    "tidsbanken": ("Kunde", "Id", "Kunde"),
}


def _explained(world: Everywhere) -> list[tuple[str, ...]]:
    """``tether explain`` for an entity of every system."""
    wanted = []
    for system, (resource, field, entity) in EXPLAINED.items():
        [record, *_] = seeded(world.standins[system].records(resource), field)
        wanted.append((system, entity, str(record[field])))
    explained: list[tuple[str, ...]] = [("explain", *w) for w in wanted]
    # The JSON form too, for a few of them (each explain reads the topics).
    return explained + [("explain", *w, "--json") for w in wanted[:2]]


def _web(world: Everywhere) -> list[tuple[str, str, bytes]]:
    """The worker's web answers: the JSON the status page loads, and the page."""
    answers: list[tuple[str, str, bytes]] = []
    with httpx.Client(base_url=world.local.web_url(), timeout=30.0) as client:

        def fetch(path: str) -> httpx.Response:
            response = client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            answers.append((PAGES, path, response.content))
            return response

        status: dict[str, Any] = fetch("/status").json()
        for flow in status["flows"]:
            fetch(f"/flows/{flow['flow']}")
        for path in ("/metrics", "/health", "/ready"):
            fetch(path)
        page = fetch("/").text
        assets = set(re.findall(r"""(?:src|href)=["'](/static/[^"']+)["']""", page))
        assert assets, "the status page names no script or style"
        for asset in sorted(assets):
            fetch(asset)
    return answers


def test_the_status_page_as_chromium_renders_it_shows_no_secret(
    provoked: Everywhere,
    browser_page: tuple[Page, list[str]],
    request: pytest.FixtureRequest,
) -> None:
    """Runs first: the next test stops the worker."""
    page, errors = browser_page
    scanner = SecretScanner(provoked.secrets())
    loaded: list[tuple[str, bytes]] = []
    page.on("response", lambda r: loaded.append((r.url, r.body())))
    page.goto(provoked.local.web_url() + "/")
    flow = next(iter(WATCHED))
    cell(page, flow, "links").filter(has_text=str(WATCHED[flow])).wait_for(
        timeout=WAIT_MS
    )
    page.locator(f'#flows tr[data-flow="{flow}"]').click()
    page.locator("#detail").wait_for(state="visible", timeout=WAIT_MS)
    page.locator("#detail-flow").filter(has_text=flow).wait_for(timeout=WAIT_MS)
    scanner.text(RENDERED, "the rendered page", page.content())
    for url, body in loaded:
        scanner.text(LOADED, url, body)
    scan = scanner.scan
    request.config.stash.setdefault(FIGURES, []).append(
        f"status page: {scan.figures()}"
    )
    assert scan.places[LOADED] >= 4, [url for url, _ in loaded]
    assert scan.hits == []
    assert errors == []


def test_no_secret_of_any_system_appears_anywhere(
    provoked: Everywhere,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    request: pytest.FixtureRequest,
) -> None:
    world = provoked
    outputs: list[tuple[str, str, str | bytes]] = [*world.outputs]
    for argv in [*COMMAND_LINES, *_explained(world)]:
        code, out, err = run_cli(world.local, monkeypatch, capsys, *argv)
        assert code in (0, 1), (argv, code, err)
        assert out, (argv, err)
        outputs.append((COMMANDS, " ".join(argv), out + err))
    outputs += _web(world)
    world.local.stop()  # its last lines too, the shutdown's
    # Only now: every token issued until the worker stopped is searched for.
    found = world.secrets()
    scanner = SecretScanner(found)
    for kind, where, text in outputs:
        scanner.text(kind, where, text)
    for log in sorted(world.local.home.glob("worker-*.log")):
        scanner.log(log)
    scanner.topics(world.plain_bootstrap, world.local.app_id)

    scan = scanner.scan
    figures = f"{scan.figures()}; provoked: {dict(world.provoked)}"
    print(figures)  # for -s; the summary shows it too
    request.config.stash.setdefault(FIGURES, []).append(figures)
    assert {o: n for o, n in scan.secrets.items() if n == 0} == {}
    # Rotation on: the client secret, refresh tokens rotated many times, and
    # the access tokens that came with them.
    assert scan.secrets["crmoffice"] >= 8, found["crmoffice"]
    assert scan.secrets["webcrm"] >= 3
    assert scan.secrets["membercare"] >= 2
    assert scan.places[LOG_LINES] > 2000
    assert scan.places[MESSAGES] > 500
    assert scan.places[TOPICS] > 20
    assert scan.places[COMMANDS] == len(COMMAND_LINES) + len(EXPLAINED) + 3
    assert scan.places[PAGES] > 10
    assert world.provoked["systems seen failing"] >= 4
    assert scan.hits == []


__all__ = ["browser_page"]  # a fixture, used by name
