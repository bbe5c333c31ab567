"""A person whose organisation is not linked yet is parked; its partition flows on."""

from __future__ import annotations

import time

from standins.webcrm.sample_data import webcrm_sample
from tests.integration.scenario import ORGS, PERSONS, links, webcrm_customcrm


def test_persons_wait_parked_for_an_organisation_that_arrives_later(
    kafka_bootstrap, tmp_path
):
    # One partition: every person shares the one a parked person sits in, and a
    # wait in place (the old way) would hold them all for the whole budget.
    with webcrm_customcrm(
        kafka_bootstrap,
        tmp_path,
        partitions=1,
        extra_env={"TETHER_REFERENCE_WAIT_SECONDS": "900"},
    ) as (local, webcrm, customcrm):
        sample = webcrm_sample(organisations=3, persons=12, products=0)
        late, *orgs = sample["Organisations"]
        late_id = late["OrganisationId"]
        webcrm.seed("Organisations", orgs)
        webcrm.seed("Persons", sample["Persons"])
        waiting = {
            str(p["PersonId"])
            for p in sample["Persons"]
            if p["PersonOrganisationId"] == late_id
        }
        others = {str(p["PersonId"]) for p in sample["Persons"]} - waiting
        assert waiting
        assert others

        local.start_worker()
        local.wait_for(
            lambda: set(links(local, PERSONS)) == others,
            timeout=240,
            what="the persons whose organisation is linked",
        )
        assert not waiting & set(links(local, PERSONS))
        # An edit behind the parked persons goes through meanwhile.
        moved = sorted(others)[0]
        webcrm.edit("Persons", int(moved), {"PersonTitle": "Parked-test"})
        contact_of_moved = links(local, PERSONS)[moved]
        local.wait_for(
            lambda: (
                customcrm.get("contacts", contact_of_moved).get("Title")
                == "Parked-test"
            ),
            timeout=120,
            what="an edit of a person behind the parked ones",
        )
        assert not waiting & set(links(local, PERSONS))
        # A restart: the parked persons are in the table, not in a paused consumer
        # (their offsets are committed; nothing re-reads them).
        local.stop_worker()
        local.start_worker()

        # The organisation arrives (stamped now, so the change feed has it).
        arriving = {
            k: v for k, v in late.items() if not k.endswith(("UpdatedAt", "CreatedAt"))
        }
        webcrm.seed("Organisations", [arriving])
        local.wait_for(
            lambda: set(links(local, PERSONS)) == others | waiting,
            timeout=240,
            what="the parked persons, once their organisation is linked",
        )
        time.sleep(4 * local.poll_interval)
        person_links = links(local, PERSONS)
        contacts = [c for c in customcrm.records("contacts") if not c.get("Deleted")]
        assert len(contacts) == len(others | waiting)  # nothing created twice
        customer = links(local, ORGS)[str(late_id)]
        by_id = {c["Id"]: c for c in contacts}
        for person_id in waiting:
            assert by_id[person_links[person_id]]["CustomerId"] == customer
        letters = [
            value
            for _, value in local.read_topic(local.topics.deadletters)
            if value and value.get("entity") == "Persons"
        ]
        assert letters == []
