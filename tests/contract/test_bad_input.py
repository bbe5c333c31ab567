"""The bad-input corpus at connector level: each kind against the real stand-ins.

Every record kind caught at the source comes out of the connector as exactly one
``BadRecord`` (its id, a reason naming what is wrong) while a good record in the
same page still comes out as an event; every page kind raises
``MalformedResponseError`` until the stand-in serves a proper page again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from connectors import Connector, build_connector
from connectors.base.protocols import BadRecord
from connectors.errors import MalformedResponseError, TransientError
from schemas.envelope import ChangeEvent
from standins import CustomcrmStandIn, StandIn, WebcrmStandIn
from tests.badinput.corpus import CORPUS, BadInput
from tests.contract.harness import HARNESSES

GOOD: dict[tuple[str, str], tuple[str, dict[str, Any]]] = {
    ("webcrm", "Organisations"): (
        "Organisations",
        {"OrganisationId": 1001, "OrganisationName": "Fjord AS"},
    ),
    ("webcrm", "Persons"): (
        "Persons",
        {"PersonId": 5001, "PersonOrganisationId": 1001, "PersonLastName": "Ok"},
    ),
    ("webcrm", "Products"): ("Products", {"ProductId": 9001, "ProductPrice": 10.0}),
    ("customcrm", "Customer"): ("customers", {"Id": "C-1001", "Name": "Ok AS"}),
    ("customcrm", "Contact"): ("contacts", {"Id": "P-1001", "LastName": "Ok"}),
    ("customcrm", "Product"): ("products", {"Id": "PR-1001", "Name": "Ok"}),
}
AT_CONNECTOR = [kind for kind in CORPUS if kind.stage in ("source", "page")]


@pytest.fixture(scope="module")
def standins() -> Iterator[dict[str, StandIn]]:
    started: dict[str, StandIn] = {
        "webcrm": WebcrmStandIn().start(),
        "customcrm": CustomcrmStandIn().start(),
    }
    yield started
    for standin in started.values():
        standin.stop()


@pytest.fixture
async def opened(
    standins: dict[str, StandIn], kind: BadInput
) -> AsyncIterator[tuple[StandIn, Connector]]:
    standin = standins[kind.system]
    standin.reset()
    # One page for everything: a duplicate must share its page with its twin.
    settings = HARNESSES[kind.system].settings(standin, page_size=100)
    connector = build_connector(kind.system, settings)
    await connector.open()
    yield standin, connector
    await connector.aclose()


async def read(
    connector: Connector, entity: str
) -> tuple[list[ChangeEvent], list[BadRecord]]:
    events: list[ChangeEvent] = []
    bad: list[BadRecord] = []
    async for page in connector.source.read(entity, None):
        events += page.events
        bad += page.bad_records
    return events, bad


@pytest.mark.parametrize("kind", AT_CONNECTOR, ids=lambda k: k.name)
async def test_each_kind_is_refused_and_the_rest_of_the_page_flows(
    opened: tuple[StandIn, Connector], kind: BadInput
) -> None:
    standin, connector = opened
    resource, good = GOOD[(kind.system, kind.entity)]
    good_id = str(standin.seed(resource, [good])[0][next(iter(good))])
    kind.inject(standin)
    if kind.stage == "page":
        for _ in range(3):  # the corpus breaks three answers in a row
            with pytest.raises(MalformedResponseError, match=kind.reason) as caught:
                await read(connector, kind.entity)
            assert isinstance(caught.value, TransientError)
    events, bad = await read(connector, kind.entity)
    assert good_id in {event.id for event in events}
    if kind.stage == "page":
        assert bad == []
        return
    [refused] = bad
    assert (refused.system, refused.entity) == (kind.system, kind.entity)
    assert refused.record_id == kind.record_id
    assert kind.reason in refused.reason
    assert kind.record_id not in {event.id for event in events}


def test_the_corpus_is_big_and_each_kind_is_there_once() -> None:
    assert len(CORPUS) >= 30
    assert len({kind.name for kind in CORPUS}) == len(CORPUS)
    deployed = [kind.key for kind in CORPUS if kind.deployed]
    assert len(set(deployed)) == len(deployed), "deployed kinds need distinct keys"
