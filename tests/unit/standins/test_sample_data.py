"""Sample data: deterministic, unique keys, valid links, seeds both stand-ins."""

from __future__ import annotations

from standins.customcrm import customcrm_overlap
from standins.webcrm import webcrm_sample


def test_sample_is_deterministic_and_sized():
    data = webcrm_sample()
    assert data == webcrm_sample()
    assert data != webcrm_sample(seed=2)
    assert {k: len(v) for k, v in data.items()} == {
        "Organisations": 50,
        "Persons": 200,
        "Products": 30,
    }


def test_natural_keys_are_unique_and_links_resolve():
    data = webcrm_sample(organisations=20, persons=80, products=15, seed=3)
    orgs, persons, products = data["Organisations"], data["Persons"], data["Products"]
    vats = [o["OrganisationVatNumber"] for o in orgs]
    assert len(set(vats)) == len(vats)
    assert all(v.startswith(("NO", "DK")) for v in vats)
    emails = [p["PersonEmail"] for p in persons]
    assert len(set(emails)) == len(emails)
    names = [p["ProductCombined"] for p in products]
    assert len(set(names)) == len(names)
    org_ids = {o["OrganisationId"] for o in orgs}
    assert {p["PersonOrganisationId"] for p in persons} == org_ids  # all spread over


def test_sample_seeds_both_stand_ins(webcrm, customcrm):
    data = webcrm_sample()
    for entity, records in data.items():
        webcrm.seed(entity, records)
    overlap = customcrm_overlap(data)
    for resource, records in overlap.items():
        customcrm.seed(resource, records)
    assert len(webcrm.records("Persons")) == 200
    customers = customcrm.records("customers")
    assert len(customers) == 10
    vats = {o["OrganisationVatNumber"] for o in data["Organisations"]}
    assert {c["VatNumber"] for c in customers} <= vats
    customer_ids = {c["Id"] for c in customers}
    assert {c["CustomerId"] for c in customcrm.records("contacts")} <= customer_ids
