"""Deletes stay decided (DESIGN.md rule 17), on a real broker with a real worker.

30% of a target's records are deleted at once; the following full re-reads of
the source must not create them again, and no link (notices, link table,
``tether verify``) may point at a deleted record: once with the mass-delete
guard's thresholds raised (the unlinks go through at once; then again after a
restart on wiped local state, the tombstones read back from the changelog),
once with the guard tripping and holding the rest until its window slides.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from typing import Any

import pytest

from devkit.local import LocalDeployment, latest_by_key
from engine.breakers import KIND
from standins import CustomcrmStandIn, WebcrmStandIn
from standins.webcrm import seed_webcrm
from tests.integration.flowcontrol import flow_state, tether
from tests.integration.scenario import ORGS, links, webcrm_customcrm
from tests.integration.test_verify import run_cli

ORGANISATIONS = 20
DELETED = 6  # 30 %
RESYNC = "6"  # seconds between full re-reads


def customers(customcrm: CustomcrmStandIn) -> list[dict[str, Any]]:
    return customcrm.records("customers")


def live(customcrm: CustomcrmStandIn) -> set[str]:
    return {c["Id"] for c in customers(customcrm) if not c.get("Deleted")}


def full_reads(local: LocalDeployment) -> int:
    """How many organisation events the poller has published so far."""
    return len(local.read_topic(local.topics.entity("webcrm", "Organisations")))


def link_table(local: LocalDeployment) -> dict[str, dict[str, Any]]:
    """The flow's link table, as its changelog holds it (tombstones included)."""
    table = latest_by_key(local.read_topic(local.topics.links_changelog(ORGS)))
    return {key.strip('"'): value for key, value in table.items()}


def relinked(local: LocalDeployment, targets: list[str]) -> list[str]:
    """Targets that got a link notice again after their first unlink notice."""
    unlinked: set[str] = set()
    again = []
    for key, notice in local.read_topic(local.topics.links(ORGS)):
        if key not in targets or not notice:
            continue
        if notice["op"] == "unlink":
            unlinked.add(key)
        elif key in unlinked:
            again.append(key)
    return again


def reports(local: LocalDeployment, kind: str) -> list[dict[str, Any]]:
    return [
        value
        for _, value in local.read_topic(local.topics.reports)
        if value and value.get("flow") == ORGS and value.get("kind") == kind
    ]


def delete_30_percent(
    local: LocalDeployment,
    webcrm: WebcrmStandIn,
    customcrm: CustomcrmStandIn,
    *,
    resume: bool = False,
) -> tuple[dict[str, str], list[str]]:
    """Sync, delete 30 % of the customers at once, wait for their unlinks
    (resuming the flow when a breaker paused it, if ``resume``)."""
    seed_webcrm(webcrm, organisations=ORGANISATIONS, persons=0, products=0)
    local.start_worker()
    local.wait_for(
        lambda: len(links(local, ORGS)) == ORGANISATIONS, what="initial sync"
    )
    before = dict(links(local, ORGS))
    doomed = sorted(before.values())[:DELETED]
    for customer_id in doomed:
        customcrm.edit("customers", customer_id, {"Deleted": True})

    def unlinked() -> bool:
        if resume and flow_state(local, ORGS).get("paused"):
            tether(local, "resume", ORGS)
        return not set(doomed) & set(links(local, ORGS).values())

    local.wait_for(unlinked, timeout=240, what="the deleted customers' links to go")
    return before, doomed


def re_read_and_check(
    local: LocalDeployment,
    webcrm: WebcrmStandIn,
    customcrm: CustomcrmStandIn,
    before: dict[str, str],
    doomed: list[str],
    check_verify: Callable[[], list[str]],
) -> None:
    """Two full re-reads later: nothing re-created, no link to a deleted record."""
    pid = local.workers["w1"].pid
    published = full_reads(local)
    local.wait_for(
        lambda: full_reads(local) >= published + 2 * ORGANISATIONS,
        timeout=120,
        what="two full re-reads of the organisations",
    )
    # An edit of every linked organisation, made after the re-reads were
    # published, syncs only once their partitions are past them.
    kept = {s: t for s, t in before.items() if t not in doomed}
    city = f"Vardø {published}"
    for source_id in kept:
        webcrm.edit("Organisations", int(source_id), {"OrganisationCity": city})
    local.wait_for(
        lambda: all(
            customcrm.get("customers", t)["City"] == city for t in kept.values()
        ),
        timeout=120,
        what="the marker edits",
    )
    time.sleep(3 * local.poll_interval)

    assert local.workers["w1"].pid == pid
    local.assert_workers_alive()
    # Nothing created again: no new customer, none of the deleted ones revived.
    assert len(customers(customcrm)) == ORGANISATIONS
    assert live(customcrm) == set(before.values()) - set(doomed)
    # No link to a deleted record, ever since: notices, link table, verify.
    assert relinked(local, doomed) == []
    assert links(local, ORGS) == kept
    table = link_table(local)
    tombstones = {s: v for s, v in table.items() if v.get("target_deleted_at")}
    assert {v["target_id"] for v in tombstones.values()} == set(doomed)
    alive = {s: v["target_id"] for s, v in table.items() if s not in tombstones}
    assert alive == kept
    assert len(reports(local, "unlinked")) >= DELETED
    kinds = check_verify()
    assert "target-deleted" not in kinds
    assert "target-missing" not in kinds
    assert sorted(kinds) == ["unlinked"] * DELETED


def verifier(
    local: LocalDeployment,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[[], list[str]]:
    """``tether verify --json``: the kinds of the organisation flow's findings."""

    def check() -> list[str]:
        _, out, _ = run_cli(local, monkeypatch, capsys, "verify", "--json")
        report = json.loads(out)
        return [f["kind"] for f in report["findings"] if f["flow"] == ORGS]

    return check


def test_deleted_targets_are_not_re_created_by_full_re_reads(
    kafka_bootstrap, tmp_path, monkeypatch, capsys
):
    raised = {
        "TETHER_RESYNC_INTERVAL": RESYNC,
        "TETHER_BREAKER_UNLINK_MIN": "100",
    }
    with webcrm_customcrm(kafka_bootstrap, tmp_path, extra_env=raised) as (
        local,
        webcrm,
        customcrm,
    ):
        before, doomed = delete_30_percent(local, webcrm, customcrm)
        check = verifier(local, monkeypatch, capsys)
        re_read_and_check(local, webcrm, customcrm, before, doomed, check)
        assert reports(local, KIND) == []
        # The tombstones outlive a restart on wiped local state (changelogs).
        local.stop_worker()
        shutil.rmtree(local.home / "state-w1")
        local.start_worker()
        re_read_and_check(local, webcrm, customcrm, before, doomed, check)


def test_deletes_held_by_the_unlink_breaker_end_decided_too(
    kafka_bootstrap, tmp_path, monkeypatch, capsys
):
    tripping = {
        "TETHER_RESYNC_INTERVAL": RESYNC,
        "TETHER_BREAKER_UNLINK_MIN": "2",
        "TETHER_BREAKER_UNLINK_SHARE": "0.05",
    }
    with webcrm_customcrm(kafka_bootstrap, tmp_path, extra_env=tripping) as (
        local,
        webcrm,
        customcrm,
    ):
        before, doomed = delete_30_percent(local, webcrm, customcrm, resume=True)
        assert reports(local, KIND)  # the breaker tripped; an operator resumed
        check = verifier(local, monkeypatch, capsys)
        re_read_and_check(local, webcrm, customcrm, before, doomed, check)
