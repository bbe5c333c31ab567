"""Storm breakers on a real broker: a wiped target pauses its flow and nothing is
re-created, the pause holds in every worker and across restarts, and
``tether resume`` lets the flow go on (DESIGN.md rules 17 and 18)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from devkit.local import LocalDeployment
from engine.breakers import KIND
from standins import CustomcrmStandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm
from tests.integration.flowcontrol import flow_state, tether
from tests.integration.scenario import ORGS, links, webcrm_customcrm

ORGANISATIONS = 60
TENTH = ORGANISATIONS // 10


def state(local: LocalDeployment) -> dict[str, Any]:
    return flow_state(local, ORGS)


def breaker_reports(local: LocalDeployment) -> list[dict[str, Any]]:
    return [
        value
        for _, value in local.read_topic(local.topics.reports)
        if value and value["kind"] == KIND and value["flow"] == ORGS
    ]


def recreates(report: dict[str, Any]) -> bool:
    return bool(report["detail"].startswith("re-creates: "))


def live(customcrm: CustomcrmStandIn) -> list[dict[str, Any]]:
    return [c for c in customcrm.records("customers") if not c["Deleted"]]


def all_synced(local: LocalDeployment, customcrm: CustomcrmStandIn) -> bool:
    return len(live(customcrm)) == ORGANISATIONS and len(links(local, ORGS)) == (
        ORGANISATIONS
    )


def wipe(webcrm: WebcrmStandIn, customcrm: CustomcrmStandIn) -> None:
    """Every customer deleted in Customcrm, and every organisation touched since."""
    for customer in customcrm.records("customers"):
        customcrm.edit("customers", customer["Id"], {"Deleted": True})
    for org in webcrm.records("Organisations"):
        webcrm.edit("Organisations", org["OrganisationId"], {"OrganisationFax": "1"})


def test_a_wiped_target_pauses_the_flow_and_nothing_is_recreated(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Every customer deleted: the unlink breaker stops the burst at a fifth of the
    links, and after the resume the deletes stay decided (tombstones, rule 17):
    full re-reads re-create nothing (the re-create breaker is the next line of
    defence, for link tables lost with the target; see the unit tests)."""
    env = {"TETHER_RESYNC_INTERVAL": "15"}
    with webcrm_customcrm(
        kafka_bootstrap, tmp_path, poll_interval=1.0, extra_env=env
    ) as (local, webcrm, customcrm):
        seed_webcrm(webcrm, organisations=ORGANISATIONS, persons=0, products=0)
        local.start_worker()
        local.wait_for(lambda: all_synced(local, customcrm), what="the first sync")
        assert state(local) == {}  # a first sync of 60 creates trips nothing
        created_first = len(customcrm.records("customers"))

        wipe(webcrm, customcrm)
        local.wait_for(
            lambda: state(local).get("paused") is True,
            timeout=180,
            what="a breaker to pause the flow",
        )
        paused = state(local)
        assert (paused["by"], paused["tripped"]) == ("breaker", "unlinks")
        unlinked = ORGANISATIONS - len(links(local, ORGS))
        # Held at about a fifth (counted per worker, from the links held then).
        assert unlinked < ORGANISATIONS // 4
        local.wait_for(
            lambda: any(not recreates(r) for r in breaker_reports(local)),
            what="the unlink breaker's report",
        )
        assert ORGS in tether(local, "resume")  # the paused flows are listed

        time.sleep(6)  # the re-reads go on, the paused flow unlinks nothing more
        assert ORGANISATIONS - len(links(local, ORGS)) == unlinked
        assert state(local)["paused"] is True

        assert "resumed" in tether(local, "resume", ORGS)
        local.wait_for(
            lambda: not links(local, ORGS),
            timeout=180,
            what="every deleted target unlinked after the resume",
        )
        time.sleep(20)  # at least one more full re-read (every 15 s)
        assert len(customcrm.records("customers")) == created_first  # no re-creates
        assert not live(customcrm)
        assert state(local)["paused"] is False


def test_a_pause_holds_in_every_worker_and_across_restarts(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    with webcrm_customcrm(kafka_bootstrap, tmp_path, poll_interval=1.0) as (
        local,
        webcrm,
        customcrm,
    ):
        seed_webcrm(webcrm, organisations=12, persons=0, products=0)
        local.start_worker("w1")
        local.start_worker("w2")
        local.wait_for(lambda: len(links(local, ORGS)) == 12, what="the first sync")

        assert f"paused {ORGS}" in tether(local, "pause", ORGS, "--reason", "test")
        time.sleep(3)  # every worker follows the control table
        for org in webcrm.records("Organisations"):
            webcrm.edit(
                "Organisations", org["OrganisationId"], {"OrganisationCity": "Paused"}
            )
        time.sleep(6)  # polled and published: each worker holds its first edit
        # A held change does not keep a worker from stopping or rebalancing: it
        # goes back onto the flow's topic, and w1 takes w2's partitions, paused.
        assert local.stop_worker("w2") == 0
        log = local.log_path("w2").read_text(errors="replace")
        assert "a held change leaves this worker" in log
        local.kill_worker("w1")
        local.start_worker("w1")  # the pause outlives the process
        time.sleep(15)
        assert not any(c["City"] == "Paused" for c in live(customcrm))
        assert state(local)["by"] == "operator"

        tether(local, "resume", ORGS)
        local.wait_for(
            lambda: all(c["City"] == "Paused" for c in live(customcrm)),
            timeout=120,
            what="the held edits after the resume",
        )
        assert len(live(customcrm)) == 12
