"""The flow engine alone: in-memory stores and topics, the real stand-ins, no broker.

What the worker does through Kafka, the engine must do by itself: link every
source once, map values and references, carry edits both ways, and write
nothing when nothing changed.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from connectors import Connector, build_connector
from dataflows import flows_by_name, load_documents
from standins import CustomcrmStandIn, StandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm
from tests.contract.harness import HARNESSES
from tests.contract.memory_bus import MemoryBus

FLOWS = flows_by_name(load_documents())
ORGS = "webcrm-organisations-to-customcrm-customer"
PERSONS = "webcrm-persons-to-customcrm-contact"
PRODUCTS = "webcrm-products-to-customcrm-product"


@pytest.fixture
async def world() -> AsyncIterator[tuple[MemoryBus, WebcrmStandIn, CustomcrmStandIn]]:
    """Webcrm seeded (8 orgs, 20 persons, 5 products), Customcrm empty, a bus."""
    webcrm, customcrm = WebcrmStandIn().start(), CustomcrmStandIn().start()
    standins: dict[str, StandIn] = {"webcrm": webcrm, "customcrm": customcrm}
    connectors: dict[str, Connector] = {}
    try:
        seed_webcrm(webcrm, organisations=8, persons=20, products=5)
        for system, standin in standins.items():
            settings = HARNESSES[system].settings(standin, page_size=50)
            connectors[system] = build_connector(system, settings)
            await connectors[system].open()
        flows = [FLOWS[name] for name in (ORGS, PERSONS, PRODUCTS)]
        yield MemoryBus(flows, connectors), webcrm, customcrm
    finally:
        for connector in connectors.values():
            await connector.aclose()
        webcrm.stop()
        customcrm.stop()


def _live(standin: StandIn, resource: str) -> list[dict[str, Any]]:
    return [r for r in standin.records(resource) if not r.get("Deleted")]


async def test_initial_sync_links_each_source_once_with_mapped_values(world):
    bus, webcrm, customcrm = world
    await bus.settle()
    assert not bus.dead_letters
    customers = {str(c["Id"]): c for c in _live(customcrm, "customers")}
    contacts = {str(c["Id"]): c for c in _live(customcrm, "contacts")}
    assert (len(customers), len(contacts), len(_live(customcrm, "products"))) == (
        8,
        20,
        5,
    )
    orgs = bus.links(ORGS)
    for org in webcrm.records("Organisations"):
        link = orgs.get(str(org["OrganisationId"]))
        assert link is not None
        customer = customers[link.target_id]
        assert customer["Name"] == org["OrganisationName"]
        assert customer["VatNumber"] == org["OrganisationVatNumber"]
    persons = bus.links(PERSONS)
    for person in webcrm.records("Persons"):
        link = persons.get(str(person["PersonId"]))
        assert link is not None
        contact = contacts[link.target_id]
        assert contact["Email"] == person["PersonEmail"]
        org_link = orgs.get(str(person["PersonOrganisationId"]))
        assert org_link is not None
        assert str(contact["CustomerId"]) == org_link.target_id
    # Every link was announced and remembered in the id map.
    assert bus.idmap.resolve(ORGS, next(iter(bus.link_stores[ORGS]))) is not None


async def test_a_second_pass_writes_nothing(world):
    bus, webcrm, customcrm = world
    await bus.settle()
    webcrm.reset_counters()
    customcrm.reset_counters()
    bus.cursor_store.clear()  # the next poll re-reads everything
    assert await bus.settle() == 1
    assert len(bus.log[bus.names.entity("webcrm", "Persons")]) >= 40
    assert webcrm.write_count() == 0
    assert customcrm.write_count() == 0


async def test_an_edit_on_the_target_reaches_the_source_once(world):
    bus, webcrm, customcrm = world
    await bus.settle()
    org = webcrm.records("Organisations")[0]
    link = bus.links(ORGS).get(str(org["OrganisationId"]))
    assert link is not None
    customcrm.edit("customers", link.target_id, {"City": "Tromsø"})
    webcrm.reset_counters()
    customcrm.reset_counters()
    await bus.settle()
    assert webcrm.get("Organisations", org["OrganisationId"])["OrganisationCity"] == (
        "Tromsø"
    )
    assert webcrm.write_count() == 1
    assert customcrm.write_count() == 0  # no echo of the read-back
