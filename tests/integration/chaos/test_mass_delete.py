"""No false mass deletes: failed listings, empty listings and a system that
suddenly answers 404 for everything never unlink everything (DESIGN.md rule 11).

A worker on the session's broker syncs 30 organisations. Then Customcrm fails
every request for a while, and later hides every record it holds (its lists are
empty, every record answers 404) while all 30 organisations are edited in
Webcrm. Only the unlink breaker's allowance of unlinks happens before it
trips and pauses the flow; it is reported once; once Customcrm answers again
and an operator resumes the flow, the held edits go through, and the few
unlinked organisations link again by matching.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from devkit.local import LocalDeployment
from engine.breakers import KIND
from standins import CustomcrmStandIn, StandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm
from tests.integration.flowcontrol import tether
from tests.integration.scenario import ORGS, links, webcrm_customcrm

ORGANISATIONS = 30
GUARD_ENV = {
    # Trip after 3 unlinks (and more than 5 % of the links) in ten minutes.
    "TETHER_BREAKER_UNLINK_MIN": "3",
    "TETHER_BREAKER_UNLINK_SHARE": "0.05",
}

pytestmark = pytest.mark.chaos


@contextmanager
def everything_hidden(standin: StandIn, resource: str) -> Iterator[None]:
    """The stand-in holds nothing of ``resource`` until the block ends."""
    saved = standin.store.entries(resource)
    for key, _ in saved:
        standin.store.remove(resource, key)
    try:
        yield
    finally:
        for key, entry in saved:
            standin.store.put(resource, key, entry.record, entry.stamp)


def reports(local: LocalDeployment, kind: str) -> list[dict[str, Any]]:
    return [
        value
        for _, value in local.read_topic(local.topics.reports)
        if value and value["kind"] == kind and value["flow"] == ORGS
    ]


def cities_agree(webcrm: WebcrmStandIn, customcrm: CustomcrmStandIn) -> bool:
    customers = {
        c["VatNumber"]: c for c in customcrm.records("customers") if not c["Deleted"]
    }
    return len(customers) == ORGANISATIONS and all(
        customers[o["OrganisationVatNumber"]]["City"] == o["OrganisationCity"]
        for o in webcrm.records("Organisations")
    )


def edit_all(webcrm: WebcrmStandIn, city: str) -> None:
    for org in webcrm.records("Organisations"):
        webcrm.edit("Organisations", org["OrganisationId"], {"OrganisationCity": city})


def test_failed_and_empty_listings_never_unlink_everything(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    with webcrm_customcrm(
        kafka_bootstrap, tmp_path, poll_interval=1.0, extra_env=dict(GUARD_ENV)
    ) as (local, webcrm, customcrm):
        seed_webcrm(webcrm, organisations=ORGANISATIONS, persons=0, products=0)
        local.start_worker()
        local.wait_for(lambda: cities_agree(webcrm, customcrm), what="initial sync")
        local.wait_for(lambda: len(links(local, ORGS)) == ORGANISATIONS, what="links")

        # 1. Customcrm fails every request: edits wait, nothing is unlinked.
        customcrm.set_faults(error_rate=1.0, error_status=503)
        edit_all(webcrm, "Failing")
        time.sleep(8)
        assert reports(local, "unlinked") == []
        customcrm.set_faults(error_rate=0.0)
        local.wait_for(lambda: cities_agree(webcrm, customcrm), what="edits after 503s")

        # 2. Customcrm suddenly holds nothing: empty lists, 404 for every record.
        with everything_hidden(customcrm, "customers"):
            edit_all(webcrm, "Vanished")
            local.wait_for(
                lambda: len(reports(local, KIND)) == 1,
                timeout=60,
                what="the unlink breaker to trip",
            )
            time.sleep(4)  # the paused flow holds the other unlinks meanwhile
            unlinked = reports(local, "unlinked")
            assert len(unlinked) == 3  # the allowance, not everything
            assert len(links(local, ORGS)) == ORGANISATIONS - 3
        [guard] = reports(local, KIND)
        assert guard["detail"].startswith("unlinks: 4 in 600s")

        # 3. Customcrm is back and the flow resumed: the held edits go through;
        # the three unlinked organisations link again by matching on their
        # next change.
        tether(local, "resume", ORGS)
        for report in unlinked:
            webcrm.edit(
                "Organisations", int(report["source_id"]), {"OrganisationCity": "Back"}
            )
        local.wait_for(
            lambda: cities_agree(webcrm, customcrm),
            timeout=120,
            what="every edit to arrive",
        )
        local.wait_for(lambda: len(links(local, ORGS)) == ORGANISATIONS, what="relinks")
        assert len(set(links(local, ORGS).values())) == ORGANISATIONS
        assert len(reports(local, "unlinked")) == 3
        assert len(reports(local, KIND)) == 1
        assert len([w for w in customcrm.writes() if w.method == "POST"]) == (
            ORGANISATIONS
        )
