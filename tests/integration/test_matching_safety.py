"""No silent duplicates (issue 10, item 5), on a real broker with a real worker.

A Customcrm customer that matches a Webcrm organisation by VAT number but
holds a control character cannot be read: the organisation is reported and
dead-lettered, never created a second time, and the worker goes on. So is an
organisation without a VAT number (nothing to look for a customer by). Once
the customer is fixed, the next full re-read links the two.
"""

from __future__ import annotations

import time
from typing import Any

from devkit.local import LocalDeployment
from standins.webcrm import seed_webcrm
from tests.integration.scenario import ORGS, links, webcrm_customcrm

ORGANISATIONS = 8


def reports(local: LocalDeployment, source_id: str) -> list[dict[str, Any]]:
    return [
        value
        for _, value in local.read_topic(local.topics.reports)
        if value and value.get("flow") == ORGS and value["source_id"] == source_id
    ]


def letters(local: LocalDeployment, record_id: str) -> list[dict[str, Any]]:
    return [
        value
        for _, value in local.read_topic(local.topics.deadletters)
        if value and value.get("record_id") == record_id
    ]


def test_an_unreadable_match_and_an_empty_key_create_nothing(kafka_bootstrap, tmp_path):
    extra = {"TETHER_RESYNC_INTERVAL": "6"}
    with webcrm_customcrm(kafka_bootstrap, tmp_path, extra_env=extra) as (
        local,
        webcrm,
        customcrm,
    ):
        orgs = seed_webcrm(webcrm, organisations=ORGANISATIONS, persons=0, products=0)[
            "Organisations"
        ]
        twin, keyless, other = orgs[0], orgs[1], orgs[2]
        twin_id, keyless_id = (
            str(twin["OrganisationId"]),
            str(keyless["OrganisationId"]),
        )
        webcrm.edit("Organisations", keyless_id, {"OrganisationVatNumber": ""})
        [bad] = customcrm.seed(
            "customers",
            [{"Name": "Fjord\x07 Bygg", "VatNumber": twin["OrganisationVatNumber"]}],
        )
        local.start_worker()
        pid = local.workers["w1"].pid
        local.wait_for(
            lambda: len(links(local, ORGS)) == ORGANISATIONS - 2, what="the rest"
        )
        local.wait_for(
            lambda: bool(letters(local, twin_id)) and bool(letters(local, keyless_id)),
            timeout=60,
            what="dead letters of both",
        )
        time.sleep(3 * local.poll_interval)  # a full re-read or two meanwhile

        # Nothing created for either: one customer per linked org, plus the bad one.
        assert len(customcrm.records("customers")) == ORGANISATIONS - 2 + 1
        assert twin_id not in links(local, ORGS)
        assert keyless_id not in links(local, ORGS)
        twin_reports = reports(local, twin_id)
        assert {r["kind"] for r in twin_reports} == {"ambiguous-match"}
        assert bad["Id"] in twin_reports[-1]["candidates"]
        [letter, *_] = letters(local, twin_id)
        assert (letter["system"], letter["entity"]) == ("webcrm", "Organisations")
        assert bad["Id"] in letter["reason"]
        assert {r["kind"] for r in reports(local, keyless_id)} == {"unmatchable"}
        assert "OrganisationVatNumber" in letters(local, keyless_id)[0]["reason"]

        # The worker stays up and an edit of another organisation syncs.
        assert local.workers["w1"].pid == pid
        local.assert_workers_alive()
        other_id = str(other["OrganisationId"])
        webcrm.edit("Organisations", other_id, {"OrganisationCity": "Bodø"})
        target = links(local, ORGS)[other_id]
        local.wait_for(
            lambda: customcrm.get("customers", target)["City"] == "Bodø",
            what="another organisation's edit",
        )

        # Fixed, the customer is matched by the next full re-read: still no twin.
        customcrm.edit("customers", bad["Id"], {"Name": "Fjord Bygg"})
        local.wait_for(
            lambda: links(local, ORGS).get(twin_id) == bad["Id"],
            timeout=120,
            what="the fixed customer to be matched",
        )
        assert len(customcrm.records("customers")) == ORGANISATIONS - 2 + 1
        assert local.workers["w1"].pid == pid
