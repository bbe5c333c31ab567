"""The whole bad-input corpus in one running deployment, beside good records.

Each kind must end up as exactly one dead letter (system, type, id, a reason
naming what is wrong), the good records must sync exactly once, and a few kinds
fixed at the source must come in through ``tether deadletters redrive``.
"""

from __future__ import annotations

import json
import time
from typing import Any

from standins import StandIn
from standins.webcrm import seed_webcrm
from tests.badinput.corpus import DEPLOYED, ORGS, PRODUCTS, org, product
from tests.integration.scenario import ORGS as ORG_FLOW
from tests.integration.scenario import PERSONS as PERSON_FLOW
from tests.integration.scenario import PRODUCTS as PRODUCT_FLOW
from tests.integration.scenario import links, webcrm_customcrm
from tests.integration.test_verify import run_cli

GOOD = (6, 12, 4)
INJECTED_IN_CUSTOMCRM = {k.record_id for k in DEPLOYED if k.system == "customcrm"}
# Fixed at the source, then re-driven (keys of their letters).
FIXED = {
    "webcrm/Products/7301",  # NaN price corrected, modification time kept
    "webcrm/Organisations/7108",  # NUL byte removed, modification time kept
    "webcrm/Persons/7202",  # the organisation it points at created
}


def good_counts(customcrm: StandIn) -> tuple[int, ...]:
    """Live Customcrm records that tether wrote (the injected bad ones left out)."""
    return tuple(
        len([
            r for r in customcrm.records(resource)
            if not r.get("Deleted") and r.get("Id", "") not in INJECTED_IN_CUSTOMCRM
            and r.get("Id") != ""
        ])
        for resource in ("customers", "contacts", "products")
    )  # fmt: skip


def record_of(key: str | None) -> str:
    """The record a dead letter is about: its key without ``#cause``."""
    return (key or "").partition("#")[0]


def test_every_kind_of_bad_input_is_dead_lettered_once_and_the_rest_syncs(
    kafka_bootstrap, tmp_path, monkeypatch, capsys
):
    env = {"TETHER_REFERENCE_WAIT_SECONDS": "5"}
    with webcrm_customcrm(
        kafka_bootstrap, tmp_path, extra_env=env, poll_interval=1.0
    ) as (local, webcrm, customcrm):
        webcrm.set_faults(rate_limit=5000)  # a poll a second reads many pages
        seed_webcrm(webcrm, organisations=6, persons=12, products=4)
        standins: dict[str, StandIn] = {"webcrm": webcrm, "customcrm": customcrm}
        for kind in DEPLOYED:
            kind.inject(standins[kind.system])
        local.start_worker()
        local.wait_for(lambda: good_counts(customcrm) == GOOD, what="good records")

        expected = {kind.key: kind for kind in DEPLOYED}

        def letters() -> list[tuple[str | None, Any]]:
            return local.read_topic(local.topics.deadletters)

        seen: set[str] = set()

        def every_kind() -> bool:
            seen.clear()
            seen.update(record_of(key) for key, _ in letters())
            return seen >= set(expected)

        try:
            local.wait_for(every_kind, timeout=60, what="a dead letter of every kind")
        except TimeoutError:
            missing, extra = sorted(set(expected) - seen), sorted(seen - set(expected))
            raise AssertionError(f"missing {missing}, unexpected {extra}") from None
        # Broken pages were asked for three times, bad rows without a usable
        # time are listed on every poll: still one letter each.
        time.sleep(4 * local.poll_interval)
        messages = letters()
        keys = sorted(record_of(key) for key, _ in messages)
        assert keys == sorted(expected), "exactly one letter per kind, nothing else"
        for key, letter in messages:
            kind = expected[record_of(key)]
            assert (letter["system"], letter["entity"], letter["record_id"]) == (
                kind.system,
                kind.entity,
                kind.record_id,
            ), key
            assert kind.reason in letter["reason"], (key, letter["reason"])
            assert letter["stage"] == ("flow" if kind.stage == "flow" else "source")
        # Each broken page was served three times in a row.
        assert webcrm.injector.corrupted["html200"] == 3
        assert customcrm.injector.corrupted["xml"] == 3

        # The good records synced exactly once each.
        assert good_counts(customcrm) == GOOD
        for flow, count in zip(
            (ORG_FLOW, PERSON_FLOW, PRODUCT_FLOW), GOOD, strict=True
        ):
            flow_links = links(local, flow)
            assert len(flow_links) == count
            assert len(set(flow_links.values())) == count

        # Fixes at the source; none of them is read again by itself.
        webcrm.inject_raw(PRODUCTS, product(7301, ProductPrice=1499.0))
        # With a VAT number each: a record without a natural key is not created.
        webcrm.inject_raw(
            ORGS,
            org(7108, OrganisationName="Nul Byte AS", OrganisationVatNumber="NO7108"),
        )
        webcrm.seed(
            ORGS,
            [{"OrganisationId": 424242, "OrganisationName": "Sen AS",
              "OrganisationVatNumber": "NO424242"}],
        )  # fmt: skip
        local.wait_for(lambda: "424242" in links(local, ORG_FLOW), what="new org")

        code, out, _ = run_cli(
            local, monkeypatch, capsys, "deadletters", "redrive", "--json"
        )
        results = {record_of(r["key"]): r for r in json.loads(out)["results"]}
        assert code == 1  # the kinds nobody fixed still fail
        for key in FIXED:
            assert results[key]["action"] == "republished", results[key]
        for key, result in results.items():
            if expected[key].stage == "page":
                assert result["action"] == "gone", result

        local.wait_for(
            lambda: (
                "7301" in links(local, PRODUCT_FLOW)
                and "7108" in links(local, ORG_FLOW)
                and "7202" in links(local, PERSON_FLOW)
            ),
            what="the re-driven records",
        )
        [price] = [
            p["Price"]
            for p in customcrm.records("products")
            if p["Name"] == "Korpusprodukt 7301"
        ]
        assert price == 1499.0

        def listed() -> set[str]:
            _, out, _ = run_cli(local, monkeypatch, capsys, "deadletters", "--json")
            return {record_of(d["key"]) for d in json.loads(out)["dead_letters"]}

        outstanding = listed()
        assert not outstanding & FIXED
        assert not {k for k in outstanding if "/page@" in k}
        assert {"webcrm/Organisations/7101", "webcrm/Persons/7201"} <= outstanding
