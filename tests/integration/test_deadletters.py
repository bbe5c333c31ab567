"""``tether deadletters`` on a real deployment: list, fix, re-drive, synced, settled."""

from __future__ import annotations

import json
import time
from typing import Any

from standins.webcrm import seed_webcrm
from tests.integration.scenario import ORGS, PERSONS, counts, links, webcrm_customcrm
from tests.integration.test_verify import run_cli

# Older than every sample record, so once the poller's cursor moved past it a
# fix that keeps this time is never read again by itself: only a re-drive
# brings it in (a database-side fix that does not touch the modification time).
OLD = "2022-06-01T12:00:00.0000000+01:00"
BAD_PRODUCT = {
    "ProductId": 9999,
    "ProductCombined": "Redrive Testprodukt",
    "ProductComment": "",
    "ProductPrice": "lots",
    "ProductVatCode": "25",
    "ProductUpdatedAt": OLD,
}
ORPHAN = {
    "PersonId": 7777,
    "PersonOrganisationId": 4242,
    "PersonFirstName": "Sen",
    "PersonLastName": "Ankomst",
    "PersonEmail": "sen.ankomst@example.no",
}
PRODUCT_KEY = "webcrm/Products/9999"
PERSON_KEY = "webcrm/Persons/7777"


def test_dead_letters_are_listed_re_driven_after_a_fix_and_settled(
    kafka_bootstrap, tmp_path, monkeypatch, capsys
):
    env = {"TETHER_REFERENCE_WAIT_SECONDS": "2"}
    with webcrm_customcrm(kafka_bootstrap, tmp_path, extra_env=env) as (
        local,
        webcrm,
        customcrm,
    ):
        seed_webcrm(webcrm, organisations=4, persons=6, products=3)
        webcrm.inject_raw("Products", BAD_PRODUCT)
        webcrm.seed("Persons", [ORPHAN])
        local.start_worker()
        local.wait_for(lambda: counts(customcrm) == (4, 6, 3), what="the good records")

        def outstanding() -> dict[str, dict[str, Any]]:
            _, out, _ = run_cli(local, monkeypatch, capsys, "deadletters", "--json")
            # Keys are record and cause; one cause per record here.
            letters = json.loads(out)["dead_letters"]
            return {d["key"].partition("#")[0]: d for d in letters}

        local.wait_for(
            lambda: set(outstanding()) == {PRODUCT_KEY, PERSON_KEY},
            timeout=60,
            what="both dead letters",
        )
        listed = outstanding()
        product = listed[PRODUCT_KEY]
        assert (product["system"], product["entity"], product["record_id"]) == (
            "webcrm",
            "Products",
            "9999",
        )
        assert product["stage"] == "source"
        assert "ProductPrice" in product["reason"]
        assert listed[PERSON_KEY]["stage"] == "flow"
        assert listed[PERSON_KEY]["flow"] == PERSONS
        assert "4242" in listed[PERSON_KEY]["reason"]

        code, out, _ = run_cli(
            local, monkeypatch, capsys, "deadletters", "list", "--entity", "Products"
        )
        assert code == 0
        lines = out.splitlines()
        assert lines[0].split()[:5] == ["SYSTEM", "TYPE", "ID", "STAGE", "WHEN"]
        assert lines[1].split()[:4] == ["webcrm", "Products", "9999", "source"]
        assert lines[-1] == "1 dead letter outstanding"
        assert "lots" not in out  # the record itself is never printed

        # The fixes: the price corrected without touching the modification time,
        # and the organisation the person points at created.
        webcrm.inject_raw("Products", {**BAD_PRODUCT, "ProductPrice": 1499.0})
        webcrm.seed(
            "Organisations",
            [{"OrganisationId": 4242, "OrganisationName": "Sen Ankomst AS",
              "OrganisationVatNumber": "NO987654321MVA"}],
        )  # fmt: skip
        local.wait_for(
            lambda: "4242" in links(local, ORGS), what="the new organisation's link"
        )
        time.sleep(3 * local.poll_interval)
        assert counts(customcrm) == (5, 6, 3)  # neither record came in by itself

        code, out, _ = run_cli(local, monkeypatch, capsys, "deadletters", "redrive")
        assert out.splitlines()[-1] == (
            "2 dead letters: 2 re-published, 0 gone, 0 failed, 0 skipped"
        )
        assert code == 0

        local.wait_for(lambda: counts(customcrm) == (5, 7, 4), what="re-driven records")
        [price] = [
            p["Price"]
            for p in customcrm.records("products")
            if p["Name"] == "Redrive Testprodukt"
        ]
        assert price == 1499.0
        contact_id = links(local, PERSONS)["7777"]
        contact = customcrm.get("contacts", contact_id)
        assert contact["CustomerId"] == links(local, ORGS)["4242"]

        code, out, _ = run_cli(local, monkeypatch, capsys, "deadletters")
        assert (code, out) == (0, "0 dead letters outstanding\n")
        assert outstanding() == {}
        # Nothing left: a second re-drive has nothing to do.
        code, out, _ = run_cli(local, monkeypatch, capsys, "deadletters", "redrive")
        assert (code, out.splitlines()[-1]) == (
            0,
            "0 dead letters: 0 re-published, 0 gone, 0 failed, 0 skipped",
        )
