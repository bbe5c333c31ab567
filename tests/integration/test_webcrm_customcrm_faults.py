"""Webcrm -> Customcrm under faults: a SIGKILLed worker, malformed records, 429s."""

from __future__ import annotations

import time

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


def test_worker_killed_mid_initial_sync_restarts_without_duplicates(
    kafka_bootstrap, tmp_path
):
    with webcrm_customcrm(kafka_bootstrap, tmp_path) as (local, webcrm, customcrm):
        seed_webcrm(webcrm)
        # Slow Customcrm down so the kill lands in the middle of the creates.
        customcrm.set_faults(latency_ms=25)
        local.start_worker()
        local.wait_for(lambda: sum(counts(customcrm)) >= 40, what="sync to start")
        local.kill_worker()
        partial = sum(counts(customcrm))
        assert partial < sum(FULL), "the sync finished before the kill"

        customcrm.set_faults(latency_ms=0)
        local.start_worker()
        local.wait_for(lambda: counts(customcrm) == FULL, timeout=240, what="resync")
        time.sleep(4 * local.poll_interval)
        assert counts(customcrm) == FULL  # nothing created twice, nothing missing
        for flow, expected in zip((ORGS, PERSONS, PRODUCTS), FULL, strict=True):
            flow_links = links(local, flow)
            assert len(flow_links) == expected
            assert len(set(flow_links.values())) == expected
        org_links = links(local, ORGS)
        contacts = {c["Id"]: c for c in customcrm.records("contacts")}
        for person_id, contact_id in links(local, PERSONS).items():
            person = webcrm.get("Persons", int(person_id))
            expected_customer = org_links[str(person["PersonOrganisationId"])]
            assert contacts[contact_id]["CustomerId"] == expected_customer


def test_malformed_records_go_to_dead_letters_and_the_rest_syncs(
    kafka_bootstrap, tmp_path
):
    with webcrm_customcrm(
        kafka_bootstrap, tmp_path, extra_env={"TETHER_REFERENCE_WAIT_SECONDS": "2"}
    ) as (local, webcrm, customcrm):
        seed_webcrm(webcrm, organisations=6, persons=12, products=4)
        stamp = "2024-05-01T10:00:00.0000000+01:00"
        webcrm.inject_raw(
            "Organisations",
            {"OrganisationId": "abc", "OrganisationName": "Wrong Type AS",
             "OrganisationUpdatedAt": stamp},
        )  # fmt: skip
        webcrm.inject_raw(
            "Organisations",
            {"OrganisationName": "No Id AS", "OrganisationUpdatedAt": stamp},
        )
        webcrm.seed(
            "Persons",
            [{"PersonId": 7777, "PersonOrganisationId": 424242,
              "PersonFirstName": "Orphan", "PersonLastName": "Person",
              "PersonEmail": "orphan@example.no"}],
        )  # fmt: skip
        local.start_worker()
        local.wait_for(lambda: counts(customcrm) == (6, 12, 4), what="the good records")

        def letters() -> dict[str, dict]:
            # Keyed by record here: the topic's keys add ``#cause``.
            return {
                key.partition("#")[0]: value
                for key, value in local.read_topic(local.topics.deadletters)
                if key is not None
            }

        local.wait_for(lambda: len(letters()) >= 3, timeout=60, what="dead letters")
        dead = letters()
        assert set(dead) == {
            "webcrm/Organisations/abc",
            "webcrm/Organisations/<missing>",
            "webcrm/Persons/7777",
        }
        for letter in dead.values():
            assert letter["system"] == "webcrm"
            assert letter["reason"]
        assert "424242" in dead["webcrm/Persons/7777"]["reason"]
        assert dead["webcrm/Persons/7777"]["error_type"] == "UnresolvedReferenceError"
        assert counts(customcrm) == (6, 12, 4)


def test_customcrm_429_is_waited_out_and_nothing_is_lost(kafka_bootstrap, tmp_path):
    with webcrm_customcrm(kafka_bootstrap, tmp_path) as (local, webcrm, customcrm):
        seed_webcrm(webcrm, organisations=10, persons=30, products=5)
        customcrm.set_faults(rate_limit=12, rate_window_s=1.0)
        local.start_worker()
        local.wait_for(lambda: counts(customcrm) == (10, 30, 5), what="throttled sync")
        assert customcrm.injector.injected[429] > 0
        time.sleep(3 * local.poll_interval)
        assert counts(customcrm) == (10, 30, 5)
        assert customcrm.write_count() == 45
