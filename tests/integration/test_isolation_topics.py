"""Nothing on a topic is trusted: messages another service wrote are checked.

Webcrm -> Customcrm on the real broker with one worker process; each test
publishes straight onto one of the deployment's topics, as any other service
could (DESIGN.md rule 16). Each message is dead-lettered naming system, type,
id, stage and reason, the worker stays the same process, and a later edit of
another record of the same flow on the same partition syncs.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from devkit.local import LocalDeployment
from schemas.links import LinkNotice, LinkOp
from standins import CustomcrmStandIn, StandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm
from tests.integration.isolation import (
    Worker,
    deployment,
    latest_event,
    partner,
    publish,
    publish_raw,
    table_links,
    wait_for_letter,
    wait_until,
)
from tests.integration.scenario import ORGS, PERSONS, PRODUCTS
from tests.integration.test_verify import run_cli
from tests.integration.web import worker_ready

SIZES = {ORGS: 16, PERSONS: 8, PRODUCTS: 3}

Crm = tuple[LocalDeployment, WebcrmStandIn, CustomcrmStandIn]


@pytest.fixture(scope="module")
def crm(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Crm]:
    """Webcrm and Customcrm after the first sync."""
    webcrm, customcrm = WebcrmStandIn(), CustomcrmStandIn()
    standins: dict[str, StandIn] = {"webcrm": webcrm, "customcrm": customcrm}
    with deployment(
        kafka_bootstrap, tmp_path_factory.mktemp("topics"), standins, "webcrm-customcrm"
    ) as local:
        webcrm.set_faults(rate_limit=None)
        seed_webcrm(
            webcrm,
            organisations=SIZES[ORGS],
            persons=SIZES[PERSONS],
            products=SIZES[PRODUCTS],
            seed=11,
        )
        local.start_worker()
        wait_until(
            local,
            lambda: all(len(table_links(local, f)) == n for f, n in SIZES.items()),
            "the first sync",
            timeout=300,
        )
        yield local, webcrm, customcrm


def _orgs_topic(local: LocalDeployment) -> str:
    return local.topics.entity("webcrm", "Organisations")


def _rename_and_wait(
    local: LocalDeployment,
    webcrm: WebcrmStandIn,
    customcrm: CustomcrmStandIn,
    org: str,
    name: str,
) -> None:
    """Rename a Webcrm organisation; wait for its Customcrm customer to follow."""
    webcrm.edit("Organisations", int(org), {"OrganisationName": name})
    customer = table_links(local, ORGS)[org]
    wait_until(
        local,
        lambda: customcrm.get("customers", customer)["Name"] == name,
        f"organisation {org}'s new name in Customcrm",
    )


def test_a_garbage_message_on_an_entity_topic_is_dead_lettered(crm: Crm):
    local, webcrm, customcrm = crm
    worker = Worker(local)
    key = "søppel-1"
    publish_raw(local, _orgs_topic(local), key, b"\x00{not json at all")
    letter = wait_for_letter(
        local, system="webcrm", entity="Organisations", record_id=key, stage="decode"
    )
    assert letter["flow"] == ORGS
    assert letter["topic"] == _orgs_topic(local)
    other = partner(key, table_links(local, ORGS), local.partitions)
    _rename_and_wait(local, webcrm, customcrm, other, "Etter Søppel AS")
    worker.assert_same()


def test_a_change_keyed_by_another_id_is_dead_lettered_not_applied(crm: Crm):
    local, webcrm, customcrm = crm
    worker = Worker(local)
    links = table_links(local, ORGS)
    real, key = sorted(links)[1], sorted(links)[2]
    names = {o: customcrm.get("customers", links[o])["Name"] for o in (real, key)}
    forged = latest_event(local, _orgs_topic(local), real)
    forged["data"]["OrganisationName"] = "Feil Nøkkel AS"
    forged["modified_at"] = forged["observed_at"]
    publish(local, _orgs_topic(local), key, forged)
    letter = wait_for_letter(
        local, system="webcrm", entity="Organisations", record_id=real, stage="check"
    )
    assert f"message key '{key}'" in letter["reason"]
    other = partner(key, links, local.partitions)
    _rename_and_wait(local, webcrm, customcrm, other, "Etter Feil Nøkkel AS")
    assert {o: customcrm.get("customers", links[o])["Name"] for o in names} == names
    worker.assert_same()


def test_a_change_from_the_year_9999_is_dead_lettered_and_later_edits_sync(crm: Crm):
    local, webcrm, customcrm = crm
    worker = Worker(local)
    links = table_links(local, ORGS)
    org = sorted(links)[3]
    before = customcrm.get("customers", links[org])["Name"]
    forged = latest_event(local, _orgs_topic(local), org)
    forged["data"]["OrganisationName"] = "Fremtid AS"
    forged["modified_at"] = "9999-12-31T00:00:00Z"
    publish(local, _orgs_topic(local), org, forged)
    letter = wait_for_letter(
        local, system="webcrm", entity="Organisations", record_id=org, stage="check"
    )
    assert "in the future" in letter["reason"]
    other = partner(org, links, local.partitions)
    _rename_and_wait(local, webcrm, customcrm, other, "Etter Fremtid AS")
    assert customcrm.get("customers", links[org])["Name"] == before
    # The record itself was not poisoned: its real edits still go through.
    _rename_and_wait(local, webcrm, customcrm, org, "Nåtid AS")
    worker.assert_same()


def test_a_forged_link_notice_does_not_re_point_the_target(
    crm: Crm, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    local, webcrm, customcrm = crm
    worker = Worker(local)
    links = table_links(local, ORGS)
    org, thief = sorted(links)[4], sorted(links)[5]
    customer = links[org]
    topic = local.topics.links(ORGS)

    def forge(source: str, op: LinkOp) -> dict[str, Any]:
        notice = LinkNotice(flow=ORGS, source_id=source, target_id=customer, op=op)
        return notice.model_dump(mode="json")

    publish(local, topic, customer, forge(thief, LinkOp.LINK))
    letter = wait_for_letter(
        local,
        system="customcrm",
        entity="Customer",
        record_id=customer,
        stage="check",
        matching=lambda letter: letter["payload"]["op"] == "link",
    )
    assert letter["flow"] == ORGS
    assert thief in letter["reason"]
    publish(local, topic, customer, forge(org, LinkOp.UNLINK))
    wait_for_letter(
        local,
        system="customcrm",
        entity="Customer",
        record_id=customer,
        stage="check",
        matching=lambda letter: letter["payload"]["op"] == "unlink",
    )
    # verify reads the link table: the forged notices are not links to it.
    code, out, _ = run_cli(local, monkeypatch, capsys, "verify", "--json")
    report = json.loads(out)
    assert report["findings"] == []
    assert (code, report["summary"]["links"]) == (0, sum(SIZES.values()))

    # The target still belongs to its own source: its edits reach it.
    customcrm.edit("customers", customer, {"City": "Vardø"})
    wait_until(
        local,
        lambda: webcrm.get("Organisations", int(org))["OrganisationCity"] == "Vardø",
        "a Customcrm edit of the target in Webcrm",
    )
    assert webcrm.get("Organisations", int(thief))["OrganisationCity"] != "Vardø"
    neighbour = partner(customer, links.values(), local.partitions)
    customcrm.edit("customers", neighbour, {"City": "Berlevåg"})
    source = next(s for s, t in links.items() if t == neighbour)
    wait_until(
        local,
        lambda: (
            webcrm.get("Organisations", int(source))["OrganisationCity"] == "Berlevåg"
        ),
        "an edit of another customer on the same partition",
    )
    worker.assert_same()


def test_genuine_notices_are_believed_by_another_workers_router(crm: Crm):
    local, webcrm, customcrm = crm
    worker = Worker(local)
    local.start_worker("w2")
    wait_until(
        local,
        lambda: worker_ready(local, "w2"),
        "the second worker to take its partitions",
    )
    # New links now: a flow partition and the router partition of its target
    # are often on different workers, which learn the pair from the id map.
    new = [str(n) for n in range(8001, 8009)]
    webcrm.seed(
        "Organisations",
        [
            {
                "OrganisationId": int(n),
                "OrganisationName": f"Ny {n} AS",
                "OrganisationVatNumber": f"NO98765{n}MVA",  # the natural key
            }
            for n in new
        ],
    )
    wait_until(
        local,
        lambda: set(new) <= set(table_links(local, ORGS)),
        "the new organisations' links",
    )
    links = table_links(local, ORGS)
    for n in new:
        customcrm.edit("customers", links[n], {"City": f"By {n}"})
    wait_until(
        local,
        lambda: all(
            webcrm.get("Organisations", int(n))["OrganisationCity"] == f"By {n}"
            for n in new
        ),
        "Customcrm edits of the new customers in Webcrm",
    )
    targets = {links[n] for n in new}
    doubted = [
        letter
        for _, letter in local.read_topic(local.topics.deadletters)
        if letter and letter["record_id"] in targets
    ]
    assert doubted == []
    worker.assert_same()
