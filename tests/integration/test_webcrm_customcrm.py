"""Webcrm <-> Customcrm end to end on the real broker, through a real worker process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from standins.webcrm import seed_webcrm
from tests.integration.scenario import (
    ORGS,
    PERSONS,
    PRODUCTS,
    counts,
    links,
    webcrm_customcrm,
)

FULL = (50, 200, 30)


@pytest.fixture(scope="module")
def synced(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """A deployment after the initial sync of 50 orgs, 200 persons, 30 products."""
    home: Path = tmp_path_factory.mktemp("synced")
    with webcrm_customcrm(kafka_bootstrap, home) as (local, webcrm, customcrm):
        seed_webcrm(webcrm)
        local.start_worker()
        local.wait_for(
            lambda: counts(customcrm) == FULL, timeout=240, what="initial sync"
        )
        local.wait_for(
            lambda: (
                [len(links(local, f)) for f in (ORGS, PERSONS, PRODUCTS)] == list(FULL)
            ),
            timeout=60,
            what="link notices",
        )
        yield local, webcrm, customcrm


def test_initial_sync_creates_exactly_one_linked_record_each(synced):
    local, webcrm, customcrm = synced
    assert counts(customcrm) == FULL
    org_links = links(local, ORGS)
    customers = {c["Id"]: c for c in customcrm.records("customers")}
    for org in webcrm.records("Organisations"):
        customer = customers[org_links[str(org["OrganisationId"])]]
        assert customer["Name"] == org["OrganisationName"]
        assert customer["City"] == org["OrganisationCity"]
        assert customer["ZipCode"] == org["OrganisationPostCode"]
        assert customer["VatNumber"] == org["OrganisationVatNumber"]
        assert customer["Website"] == org["OrganisationWww"]
    person_links = links(local, PERSONS)
    contacts = {c["Id"]: c for c in customcrm.records("contacts")}
    for person in webcrm.records("Persons"):
        contact = contacts[person_links[str(person["PersonId"])]]
        assert contact["Email"] == person["PersonEmail"]
        assert contact["LastName"] == person["PersonLastName"]
        assert contact["CustomerId"] == org_links[str(person["PersonOrganisationId"])]
    product_links = links(local, PRODUCTS)
    products = {p["Id"]: p for p in customcrm.records("products")}
    for product in webcrm.records("Products"):
        mapped = products[product_links[str(product["ProductId"])]]
        assert mapped["Name"] == product["ProductCombined"]
        assert mapped["Price"] == pytest.approx(product["ProductPrice"])
        assert mapped["VatRate"] == pytest.approx(float(product["ProductVatCode"]))
    assert len(set(org_links.values())) == 50  # no target linked twice


def test_edits_flow_both_ways_and_then_nothing_echoes(synced):
    local, webcrm, customcrm = synced
    org_links, person_links = links(local, ORGS), links(local, PERSONS)
    org = webcrm.records("Organisations")[3]
    customer_id = org_links[str(org["OrganisationId"])]
    person = webcrm.records("Persons")[7]
    contact_id = person_links[str(person["PersonId"])]
    webcrm_writes, customcrm_writes = webcrm.write_count(), customcrm.write_count()

    customcrm.edit("customers", customer_id, {"City": "Hammerfest"})
    webcrm.edit("Persons", person["PersonId"], {"PersonEmail": "moved@example.no"})

    local.wait_for(
        lambda: (
            webcrm.get("Organisations", org["OrganisationId"])["OrganisationCity"]
            == "Hammerfest"
        ),
        what="Customcrm edit in Webcrm",
    )
    local.wait_for(
        lambda: customcrm.get("contacts", contact_id)["Email"] == "moved@example.no",
        what="Webcrm edit in Customcrm",
    )
    assert webcrm.write_count() == webcrm_writes + 1
    assert customcrm.write_count() == customcrm_writes + 1
    # Both read-backs are polled and processed within a few poll intervals; none
    # of them may cause a write.
    time.sleep(6 * local.poll_interval)
    assert webcrm.write_count() == webcrm_writes + 1
    assert customcrm.write_count() == customcrm_writes + 1


def test_same_property_edited_on_both_sides_later_change_wins(synced):
    local, webcrm, customcrm = synced
    org = webcrm.records("Organisations")[10]
    customer_id = links(local, ORGS)[str(org["OrganisationId"])]
    local.stop_worker()
    webcrm.edit(
        "Organisations", org["OrganisationId"], {"OrganisationCity": "Trondheim"}
    )
    time.sleep(1.5)  # beyond the one-second tie window
    customcrm.edit("customers", customer_id, {"City": "Bergen"})
    local.start_worker()
    local.wait_for(
        lambda: (
            webcrm.get("Organisations", org["OrganisationId"])["OrganisationCity"]
            == "Bergen"
        ),
        what="the later edit to win in Webcrm",
    )
    assert customcrm.get("customers", customer_id)["City"] == "Bergen"
    local.wait_for(
        lambda: any(
            c["source_id"] == str(org["OrganisationId"])
            for _, c in local.read_topic(local.topics.conflicts)
        ),
        timeout=30,
        what="the conflict record",
    )
    [conflict] = [
        c
        for _, c in local.read_topic(local.topics.conflicts)
        if c["source_id"] == str(org["OrganisationId"])
    ]
    assert conflict["winner"] == "target"
    assert conflict["winning_value"] == "Bergen"
    assert conflict["overridden_value"] == "Trondheim"
    assert conflict["property"] == "OrganisationCity->City"
