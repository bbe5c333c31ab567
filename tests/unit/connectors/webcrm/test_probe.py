"""The health probe (``engine.health.read_first_page``) reads one record, not a page."""

from __future__ import annotations

from connectors.base.client import HttpClient
from connectors.webcrm import WebcrmSource
from engine.health import read_first_page
from tests.fakes import FakeApi
from tests.unit.connectors.webcrm.conftest import Feed, org, settings


async def test_the_probe_asks_for_the_smallest_page(
    api: FakeApi, client: HttpClient
) -> None:
    feed = Feed([org(i, i) for i in range(1, 6)])
    route = api.add("GET", "/Queries", feed)
    source = WebcrmSource(client, settings())
    await read_first_page(source)
    assert [r.url.params["Size"] for r in route.requests] == ["1"]
    assert source.settings.page_size == 2  # the source itself is unchanged
