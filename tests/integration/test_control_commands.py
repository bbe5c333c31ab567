"""``tether resync``, ``tether links`` and ``tether unlink`` against a real
deployment: a broker, a worker process and the Webcrm and Customcrm stand-ins."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from devkit.local import LocalDeployment, latest_by_key
from standins import CustomcrmStandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm
from standins.webcrm.fields import format_time
from streams.control import read_resyncs
from streams.settings import StreamSettings
from tests.integration.flowcontrol import tether_code
from tests.integration.scenario import ORGS, links, webcrm_customcrm

ORGANISATIONS = 8
WRONG = "1003"  # matched by its VAT number to a customer that is another company

Deployment = tuple[LocalDeployment, WebcrmStandIn, CustomcrmStandIn]


@pytest.fixture(scope="module")
def deployment(
    kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    home: Path = tmp_path_factory.mktemp("control")
    with webcrm_customcrm(kafka_bootstrap, home, poll_interval=1.0) as (
        local,
        webcrm,
        customcrm,
    ):
        orgs = seed_webcrm(webcrm, organisations=ORGANISATIONS, persons=0, products=0)[
            "Organisations"
        ]
        vat = next(
            o["OrganisationVatNumber"]
            for o in orgs
            if str(o["OrganisationId"]) == WRONG
        )
        customcrm.seed(
            "customers",
            [{"Id": "C-WRONG", "Name": "Another Company AS", "VatNumber": vat}],
        )
        local.start_worker()
        local.wait_for(
            lambda: len(links(local, ORGS)) == ORGANISATIONS, what="the first sync"
        )
        yield local, webcrm, customcrm


def table(local: LocalDeployment) -> dict[str, dict[str, Any]]:
    """The flow's link table, by source id, from its changelog."""
    rows = latest_by_key(
        [
            (orjson.loads(key), value)  # faust writes table keys as JSON text
            for key, value in local.read_topic(local.topics.links_changelog(ORGS))
            if key is not None
        ]
    )
    return {key: value for key, value in rows.items() if value}


def customer(customcrm: CustomcrmStandIn, customer_id: str) -> dict[str, Any]:
    return next(c for c in customcrm.records("customers") if c["Id"] == customer_id)


def cursor_since(local: LocalDeployment) -> datetime:
    changelog = f"{local.app_id}-cursors-changelog"
    rows = latest_by_key(
        [(orjson.loads(k), v) for k, v in local.read_topic(changelog) if k]
    )
    return datetime.fromisoformat(rows["webcrm/Organisations"]["since"])


def hidden_edit(local: LocalDeployment, webcrm: WebcrmStandIn, city: str) -> str:
    """An organisation edited behind the feed's back: its new modification time
    lies before the poller's cursor (polls do not list it) but after the one its
    link has seen (the flow does not take it for a replay). Its id."""
    since = cursor_since(local)
    seen = {
        source: datetime.fromisoformat(row["source_seen_at"])
        for source, row in table(local).items()
        if source != WRONG and row.get("source_seen_at")
    }
    org_id = min(seen, key=lambda source: seen[source])
    when = since - timedelta(seconds=1)
    assert seen[org_id] < when, "every organisation was seen too recently"
    record = webcrm.get("Organisations", int(org_id))
    record |= {"OrganisationCity": city, "OrganisationUpdatedAt": format_time(when)}
    webcrm.inject_raw("Organisations", record)
    return org_id


def settle_and_check_unseen(
    local: LocalDeployment, customcrm: CustomcrmStandIn, org_id: str, city: str
) -> str:
    target = table(local)[org_id]["target_id"]
    time.sleep(5)  # five polls
    assert customer(customcrm, target)["City"] != city, "the poller saw the edit"
    return str(target)


def test_links_shows_real_ids_values_and_times(deployment: Deployment) -> None:
    local, _, _ = deployment
    pairs = links(local, ORGS)
    code, out = tether_code(local, "links", ORGS)
    assert code == 0, out
    for source, target in pairs.items():
        assert any(line.split()[:2] == [source, target] for line in out.splitlines()), (
            out
        )
    assert f"{ORGANISATIONS} links" in out.splitlines()[-1]

    code, out = tether_code(local, "links", ORGS, WRONG)
    assert code == 0, out
    assert "C-WRONG" in out
    assert "how             matched" in out
    assert "last agreed values:" in out
    assert "source seen at  20" in out
    code, by_target = tether_code(local, "links", ORGS, "C-WRONG")
    assert "found by target id C-WRONG" in by_target

    code, out = tether_code(local, "links", ORGS, "--json", "--limit", "0")
    found = orjson.loads(out)
    assert found["count"] == ORGANISATIONS
    assert {row["source_id"]: row["target_id"] for row in found["links"]} == pairs
    assert all(row["synced"] for row in found["links"])


def test_resync_of_one_id_publishes_what_polling_missed(deployment: Deployment) -> None:
    local, webcrm, customcrm = deployment
    org_id = hidden_edit(local, webcrm, "Resynced One")
    target = settle_and_check_unseen(local, customcrm, org_id, "Resynced One")

    code, out = tether_code(local, "resync", ORGS, "--id", org_id)
    assert code == 0, out
    assert f"published its current state of webcrm Organisations {org_id}" in out
    local.wait_for(
        lambda: customer(customcrm, target)["City"] == "Resynced One",
        what="the resynced organisation in Customcrm",
    )

    code, out = tether_code(local, "resync", ORGS, "--id", "999999")
    assert code == 1
    assert "no such record" in out


def test_resync_of_a_type_reads_it_whole(deployment: Deployment) -> None:
    local, webcrm, customcrm = deployment
    org_id = hidden_edit(local, webcrm, "Resynced All")
    target = settle_and_check_unseen(local, customcrm, org_id, "Resynced All")
    entity_topic = local.topics.entity("webcrm", "Organisations")
    before = len(local.read_topic(entity_topic))

    code, out = tether_code(local, "resync", ORGS)
    assert code == 0, out
    assert "full re-read of webcrm Organisations" in out
    assert "full re-read of customcrm" in out
    local.wait_for(
        lambda: customer(customcrm, target)["City"] == "Resynced All",
        what="the full re-read to bring the hidden edit",
    )
    assert len(local.read_topic(entity_topic)) >= before + ORGANISATIONS
    settings = StreamSettings(kafka_bootstrap=local.bootstrap, app_id=local.app_id)
    local.wait_for(
        lambda: "done/webcrm/Organisations" in asyncio.run(read_resyncs(settings)),
        what="the served request recorded",
    )
    log = local.log_path("w1").read_text(errors="replace")
    assert "webcrm Organisations: full re-read requested at" in log


def test_unlink_removes_a_wrong_match_and_it_is_not_matched_again(
    deployment: Deployment,
) -> None:
    local, webcrm, customcrm = deployment
    assert table(local)[WRONG]["target_id"] == "C-WRONG"
    code, out = tether_code(local, "unlink", ORGS, WRONG, "--reason", "wrong VAT")
    assert code == 0, out
    assert "unlinked" in out

    assert WRONG not in table(local)
    code, out = tether_code(local, "links", ORGS, WRONG)
    assert code == 1
    assert f"{WRONG} is not linked" in out
    assert "unlinked by an operator from" in out
    assert "C-WRONG" in out
    reports = [
        value
        for _, value in local.read_topic(local.topics.reports)
        if value and value["kind"] == "unlinked" and value["source_id"] == WRONG
    ]
    assert reports
    assert "wrong VAT" in reports[-1]["detail"]
    assert not customer(customcrm, "C-WRONG").get("Deleted")
    code, out = tether_code(local, "unlink", ORGS, WRONG, "--wait", "0")
    assert code == 1
    assert "is not linked; nothing to unlink" in out

    webcrm.edit("Organisations", int(WRONG), {"OrganisationCity": "After Unlink"})
    local.wait_for(
        lambda: WRONG in table(local), what="the next change of the source handled"
    )
    new = table(local)[WRONG]["target_id"]
    assert new != "C-WRONG"
    local.wait_for(
        lambda: customer(customcrm, new)["City"] == "After Unlink",
        what="the new customer's city",
    )
    wrong = customer(customcrm, "C-WRONG")
    assert not wrong.get("Deleted")
    assert wrong["City"] != "After Unlink"
