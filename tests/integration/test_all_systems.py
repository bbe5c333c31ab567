"""All seven systems and all fifteen flows converging on the real broker."""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest

from connectors.errors import ConfigurationError
from dataflows import flows_by_name, load_documents
from devkit.local import LocalDeployment, latest_by_key
from ops.demo import collect
from ops.verify import Category, Kind, verify_deployment
from standins import (
    ChargebeeStandIn,
    CrmofficeStandIn,
    CustomcrmStandIn,
    CustomwebshopStandIn,
    MembercareStandIn,
    StandIn,
    TidsbankenStandIn,
    WebcrmStandIn,
    chargebee_sample,
    crmoffice_sample,
    customcrm_overlap,
    membercare_sample,
    tidsbanken_sample,
    webcrm_sample,
)
from streams.settings import StreamSettings

FLOWS = flows_by_name(load_documents())
COMPANY_FLOW = "membercare-companies-to-customwebshop-customer"
CHAIN_FLOW = "customwebshop-customer-to-chargebee-business-entity"
COUNTRY_FLOWS = (
    "crmoffice-activities-to-membercare-countries",
    "crmoffice-companies-to-membercare-countries",
)
MIXED_SPELLINGS = {
    "NO": ["Norge", "Norway", "NO", "norge"],
    "SE": ["Sverige", "Sweden", "SE"],
    "DK": ["Danmark", "Denmark", "DK"],
    "FI": ["Finland", "Suomi", "FI"],
    "DE": ["Tyskland", "Germany", "DE"],
}


def _seed(standin: StandIn, data: dict[str, list[dict[str, Any]]]) -> None:
    for resource, records in data.items():
        standin.seed(resource, records)


def _crmoffice_with_five_countries() -> dict[str, list[dict[str, Any]]]:
    """20 companies and 20 activities over five countries in mixed spellings."""
    data = crmoffice_sample(companies=20, contacts=120, activities=20, seed=7)
    spellings = [s for group in MIXED_SPELLINGS.values() for s in group]
    for n, company in enumerate(data["Companies"]):
        company["postAddress"]["country"] = spellings[n % len(spellings)]
        company["visitAddress"]["country"] = spellings[(n * 3 + 1) % len(spellings)]
    for n, activity in enumerate(data["Activities"]):
        activity["address"]["country"] = spellings[(n * 7 + 2) % len(spellings)]
    return data


@pytest.fixture(scope="module")
def network(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[LocalDeployment, dict[str, StandIn]]]:
    """Every stand-in seeded, one worker running all flows, first sync settled."""
    standins: dict[str, StandIn] = {
        "webcrm": WebcrmStandIn(),
        "customcrm": CustomcrmStandIn(),
        "membercare": MembercareStandIn(),
        "customwebshop": CustomwebshopStandIn(),
        "chargebee": ChargebeeStandIn(),
        "crmoffice": CrmofficeStandIn(),
        "tidsbanken": TidsbankenStandIn(),
    }
    for standin in standins.values():
        standin.start()
    # Rate limits have their own tests; here they would only stretch the run.
    standins["webcrm"].set_faults(rate_limit=None)
    standins["chargebee"].set_faults(rate_limit=None)
    webcrm = webcrm_sample(organisations=100, persons=300, products=60, seed=3)
    _seed(standins["webcrm"], webcrm)
    _seed(standins["customcrm"], customcrm_overlap(webcrm, fraction=0.2, seed=3))
    membercare = membercare_sample(
        companies=100, persons=200, organizations=30, invoices=120, seed=3
    )
    _seed(standins["membercare"], membercare)
    names = [c["companyName"] for c in membercare["Companies"][:10]]
    _seed(standins["chargebee"], chargebee_sample(business_entities=names, seed=3))
    _seed(standins["crmoffice"], _crmoffice_with_five_countries())
    _seed(standins["tidsbanken"], tidsbanken_sample(kunder=100, avdelinger=30, seed=3))

    local = LocalDeployment(
        bootstrap=kafka_bootstrap,
        app_id=f"it-all-{uuid.uuid4().hex[:8]}",
        home=tmp_path_factory.mktemp("network"),
        standins=standins,
        flows="all",
        # Periodic full re-reads fill references that resolved after their record
        # was synced (an invoice whose paying company was linked later).
        extra_env={"TETHER_RESYNC_INTERVAL": "45"},
    )
    try:
        local.start_worker()
        _wait_settled(local)
        yield local, standins
    finally:
        local.stop()
        for standin in standins.values():
            standin.stop()


BLOCKING = (Kind.DIFFERENCE, Kind.NO_LINK)


def _wait_settled(local: LocalDeployment) -> None:
    """Until ``tether verify`` finds every source linked or reported, all equal."""

    def converged() -> bool:
        try:
            result = _verify(local)
        except ConfigurationError:
            return False  # the worker has not created its topics yet
        return not any(
            f.kind in BLOCKING
            or f.kind.category in (Category.VANISHED, Category.INVALID)
            for f in result.findings
        )

    local.wait_for(converged, timeout=900, what="the network to converge", interval=5)
    # Then nothing may move any more: every read-back has been processed.
    writes = {name: s.write_count() for name, s in local.standins.items()}
    time.sleep(20)
    moved = {n: s.write_count() - writes[n] for n, s in local.standins.items()}
    assert not any(moved.values()), f"writes after convergence: {moved}"


def _verify(local: LocalDeployment):
    env = {k: v for s in local.standins.values() for k, v in s.connector_env().items()}
    settings = StreamSettings(
        kafka_bootstrap=local.bootstrap, app_id=local.app_id, flows="all"
    )
    with mock.patch.dict(os.environ, env):
        return asyncio.run(verify_deployment(settings))


def _dead_letters(local: LocalDeployment) -> dict[str, Any]:
    return latest_by_key(local.read_topic(local.topics.deadletters))


def test_every_flow_converges_with_every_property_equal(network):
    local, _ = network
    result = _verify(local)
    by_kind = Counter(f.kind for f in result.findings)
    assert by_kind[Kind.DIFFERENCE] == 0, [
        f for f in result.findings if f.kind is Kind.DIFFERENCE
    ][:5]
    assert by_kind[Kind.NO_LINK] == 0, [
        f for f in result.findings if f.kind is Kind.NO_LINK
    ][:5]
    assert not [f for f in result.findings if f.kind.category is Category.VANISHED]
    assert not [f for f in result.findings if f.kind.category is Category.INVALID]
    assert {c.flow for c in result.flows} == set(FLOWS)
    # Lookup-only targets: what could not be matched is reported by id.
    unmatched = [f for f in result.findings if f.kind is Kind.UNMATCHED]
    assert {f.flow for f in unmatched} <= {
        CHAIN_FLOW,
        "customwebshop-order-to-chargebee-order",
    }
    assert all(f.source_id for f in unmatched)
    assert _dead_letters(local) == {}


def test_links_are_one_per_source_and_existing_records_were_matched(network):
    local, standins = network
    state = collect(local, list(FLOWS.values()))
    by_name = {s.flow.name: s for s in state.flows}
    webcrm = by_name["webcrm-organisations-to-customcrm-customer"]
    assert webcrm.linked == 100
    assert webcrm.matched == 20  # pre-existing in Customcrm: linked, not duplicated
    assert len(standins["customcrm"].records("customers")) == 100


def test_crmoffice_countries_link_to_the_five_membercare_countries_only(network):
    local, standins = network
    linked: set[str] = set()
    for flow in COUNTRY_FLOWS:
        notices = latest_by_key(local.read_topic(local.topics.links(flow)))
        linked |= {n["target_id"] for n in notices.values() if n["op"] == "link"}
    countries = {
        c["id"]: c["iso2Letter"] for c in standins["membercare"].records("Countries")
    }
    assert {countries[int(t)] if t.isdigit() else t for t in linked} == set(
        MIXED_SPELLINGS
    )
    country_writes = [
        w for w in standins["membercare"].writes() if w.resource == "Countries"
    ]
    assert country_writes == []


def test_chargebee_edit_travels_back_through_customwebshop_to_membercare(network):
    local, standins = network
    membercare, webshop, chargebee = (
        standins["membercare"], standins["customwebshop"], standins["chargebee"]
    )  # fmt: skip
    company = membercare.records("Companies")[0]
    name = company["companyName"]
    customer = next(c for c in webshop.records("customers") if c["Name"] == name)
    entity = next(
        e for e in chargebee.records("business_entities") if e["name"] == name
    )
    chain = latest_by_key(local.read_topic(local.topics.links(CHAIN_FLOW)))
    assert chain[entity["id"]]["source_id"] == customer["Id"]  # reached Chargebee

    before = {s: standins[s].write_count() for s in ("membercare", "customwebshop")}
    chargebee.edit("business_entities", entity["id"], {"name": f"{name} Holding"})
    local.wait_for(
        lambda: webshop.get("customers", customer["Id"])["Name"] == f"{name} Holding",
        what="the Chargebee edit in Customwebshop",
        timeout=300,
    )
    dan = company["debtorAccountNumber"]
    local.wait_for(
        lambda: membercare.get("Companies", dan)["companyName"] == f"{name} Holding",
        what="the Chargebee edit in Membercare",
        timeout=300,
    )
    time.sleep(8 * local.poll_interval)  # every read-back has been processed
    after = {s: standins[s].write_count() for s in ("membercare", "customwebshop")}
    assert after == {s: before[s] + 1 for s in before}  # one write each, no echo
    # Business entities cannot be written through Chargebee's API: never tried.
    assert [w for w in chargebee.writes() if w.resource == "business_entities"] == []
