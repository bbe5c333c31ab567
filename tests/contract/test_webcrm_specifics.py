"""Webcrm behaviour beyond the shared contract, against the Webcrm stand-in."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from pydantic import SecretStr

from connectors import Connector, build_connector
from connectors.webcrm import WebcrmSettings
from standins import WebcrmStandIn


@pytest.fixture(scope="module")
def server() -> Iterator[WebcrmStandIn]:
    with WebcrmStandIn() as standin:
        yield standin


@pytest.fixture
def webcrm(server: WebcrmStandIn) -> WebcrmStandIn:
    server.reset()
    return server


@pytest.fixture
async def connector(webcrm: WebcrmStandIn) -> AsyncIterator[Connector]:
    settings = WebcrmSettings(
        base_url=webcrm.url,
        api_token=SecretStr(webcrm.auth_code),
        rate_limit_per_minute=None,  # let the server's own limit bite
        timeout=5.0,
    )
    async with build_connector("webcrm", settings) as opened:
        yield opened


async def test_expired_tokens_are_renewed(
    webcrm: WebcrmStandIn, connector: Connector
) -> None:
    [org] = webcrm.seed("Organisations", [{"OrganisationName": "A"}])
    assert await connector.sink.get("Organisations", str(org["OrganisationId"]))
    webcrm.expire_tokens()
    assert await connector.sink.get("Organisations", str(org["OrganisationId"]))


async def test_update_keeps_fields_tether_does_not_map(
    webcrm: WebcrmStandIn, connector: Connector
) -> None:
    [org] = webcrm.seed(
        "Organisations",
        [
            {
                "OrganisationName": "A",
                "OrganisationMemo": "keep me",
                "OrganisationCity": "Oslo",
            }
        ],
    )
    record_id = str(org["OrganisationId"])
    await connector.sink.update(
        "Organisations", record_id, {"OrganisationCity": "Bergen"}
    )
    stored = webcrm.get("Organisations", record_id)
    assert stored["OrganisationCity"] == "Bergen"
    assert stored["OrganisationMemo"] == "keep me"
    assert stored["OrganisationName"] == "A"


async def test_the_servers_rate_limit_is_waited_out(
    webcrm: WebcrmStandIn, connector: Connector
) -> None:
    [org] = webcrm.seed("Organisations", [{"OrganisationName": "A"}])
    webcrm.set_faults(rate_limit=3, rate_window_s=1)
    for _ in range(5):
        assert await connector.sink.get("Organisations", str(org["OrganisationId"]))


async def test_persons_and_products_read_from_the_change_feed(
    webcrm: WebcrmStandIn, connector: Connector
) -> None:
    [org] = webcrm.seed("Organisations", [{"OrganisationName": "A"}])
    webcrm.seed(
        "Persons",
        [
            {
                "PersonFirstName": "Kari",
                "PersonLastName": "Nordmann",
                "PersonOrganisationId": org["OrganisationId"],
            }
        ],
    )
    webcrm.seed(
        "Products",
        [
            {
                "ProductCombined": "Widget",
                "ProductPrice": 10.0,
                "ProductOrganisationId": org["OrganisationId"],
            }
        ],
    )
    for entity in ("Persons", "Products"):
        pages = [page async for page in connector.source.read(entity, None)]
        [event] = [e for page in pages for e in page.events]
        assert event.entity == entity
        assert not any(page.bad_records for page in pages)


async def test_hooks_are_registered_once_and_re_enabled(
    webcrm: WebcrmStandIn, connector: Connector
) -> None:
    from connectors.webcrm.webhooks import ensure_hooks

    target = "https://tether.example/hooks/webcrm/s3cret"
    types = ("Organisations", "Persons")
    assert await ensure_hooks(connector.client, target, types) == 6
    assert await ensure_hooks(connector.client, target, types) == 0  # idempotent
    hooks = webcrm.records("Hooks")
    assert len(hooks) == 6
    assert {(h["TargetUrl"], h["EventType"]) for h in hooks} == {
        (target, kind) for kind in ("Create", "Update", "Delete")
    }
    off = hooks[0] | {"IsEnabled": False}  # someone disabled one in webCRM
    await connector.client.request("PUT", f"/Hooks/{off['Id']}", body=off)
    assert await ensure_hooks(connector.client, target, types) == 0
    assert all(h["IsEnabled"] for h in webcrm.records("Hooks"))
