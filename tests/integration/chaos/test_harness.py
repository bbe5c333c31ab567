"""The chaos harness's own test: each of its checks fails the run when it must.

A check that can never fire passes every run, so each one is shown firing on
the one thing it guards against. The world is small and needs no broker: the
real engine syncs observed Webcrm and Customcrm stand-ins on the in-memory bus
(``tests.contract.memory_bus``), whose topics stand for the broker's, through
an initial sync and a storm phase. The clean world must show nothing at all,
with a conflict decided too (so tether's own writes, retries and conflict
decisions are no false alarms); then, behind tether's back, a test injects
one fault (an echo write, a lost update, a duplicate create, a source linked
twice, a wrong link, a deleted source or target, a swallowed or an unexplained
dead letter) and the harness's own ``Checker``, the one the chaos run uses,
must count exactly it.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from engine.badinput import letter_key
from schemas.envelope import DeadLetter
from schemas.links import LinkNotice, LinkOp
from tests.integration.chaos.checks import assert_guarantees
from tests.integration.chaos.diagnose import by_table_key
from tests.integration.chaos.figures import MUST_BE_ZERO, Figures, PhaseFigures
from tests.integration.chaos.invariants import Verdict
from tests.integration.chaos.model import ORG, PRODUCT, PROPS
from tests.integration.chaos.run import ChaosRun, Profile
from tests.integration.chaos.selftest import World

pytestmark = pytest.mark.chaos


# -- the clean world ---------------------------------------------------------------


async def test_a_clean_world_reports_nothing(world: World) -> None:
    world.storm.conflicts(1)  # both sides edit one property, the later must win
    await world.bus.settle()
    verdict = world.verdict()
    assert verdict.problems == []
    assert world.counts() == {}
    # The checks saw real work: tether wrote both ways, a conflict was decided,
    # and every entity has an owner on one side or the other.
    phase = world.checker.figures("clean", world.started, verdict)
    assert phase.writes_webcrm > 0
    assert phase.writes_customcrm > 0
    assert world.expected.conflicts == 1
    assert world.storm.owned("webcrm", ORG)
    assert world.storm.owned("customcrm", ORG)
    assert_guarantees(phase, verdict.problems)


async def test_a_retried_lost_write_is_no_echo(world: World) -> None:
    webcrm_id = world.owned("webcrm", ORG)
    city = next(p for p in PROPS if p.webcrm == "OrganisationCity")
    world.storm.user_edit("webcrm", ORG, webcrm_id, city, "Retryby")
    world.customcrm.lose_next(1)
    await world.settle()
    assert world.customcrm.calls.faults["lost-response"] == 1
    assert world.verdict().problems == []


# -- echoes ------------------------------------------------------------------------


async def test_a_write_that_changes_a_value_on_the_owners_side_is_an_echo(
    world: World,
) -> None:
    webcrm_id = world.owned("webcrm", ORG)
    sink = world.connectors["webcrm"].sink
    await sink.update("Organisations", str(webcrm_id), {"OrganisationCity": "Ekko"})
    verdict = world.verdict()
    assert verdict.counts["echo_writes"] == 1
    assert any(
        f"PUT Organisations/{webcrm_id}" in p and "side its edits come from" in p
        for p in verdict.problems
    )


async def test_a_write_that_changes_nothing_is_an_echo(world: World) -> None:
    webcrm_id = world.owned("webcrm", ORG)
    target = world.customcrm_id(ORG, webcrm_id)
    current = world.customcrm.get("customers", target)
    sink = world.connectors["customcrm"].sink
    await sink.update("Customer", target, {"City": current["City"]})
    assert world.counts() == {"echo_writes": 1}


def test_an_echo_right_after_a_lost_response_is_an_echo(world: World) -> None:
    webcrm_id = world.owned("webcrm", ORG)
    target = world.customcrm_id(ORG, webcrm_id)
    name = world.customcrm.get("customers", target)["Name"]
    city = next(p for p in PROPS if p.webcrm == "OrganisationCity")
    world.storm.user_edit("webcrm", ORG, webcrm_id, city, "Tapt")
    with world.customcrm_http() as http:
        # tether's delivery of the edit, its answer lost on the way back ...
        world.customcrm.lose_next(1)
        assert http.put(f"/customers/{target}", json={"City": "Tapt"}).status_code == (
            502
        )
        # ... then, instead of its retry, a write that changes nothing.
        assert http.put(f"/customers/{target}", json={"Name": name}).is_success
    verdict = world.verdict()
    assert world.counts() == {"echo_writes": 1}
    assert "no repeat of the lost write" in verdict.problems[0]
    assert verdict.retries == 0


def test_the_retry_of_a_lost_write_is_excused_once(world: World) -> None:
    webcrm_id = world.owned("webcrm", ORG)
    target = world.customcrm_id(ORG, webcrm_id)
    city = next(p for p in PROPS if p.webcrm == "OrganisationCity")
    world.storm.user_edit("webcrm", ORG, webcrm_id, city, "Igjen")
    with world.customcrm_http() as http:
        world.customcrm.lose_next(1)
        assert http.put(f"/customers/{target}", json={"City": "Igjen"}).status_code == (
            502
        )
        for _ in range(2):  # the retry, then the same write once more
            assert http.put(f"/customers/{target}", json={"City": "Igjen"}).is_success
    verdict = world.verdict()
    assert verdict.retries == 1
    assert world.counts() == {"echo_writes": 1}


async def test_a_create_in_a_flows_source_is_an_echo(world: World) -> None:
    sink = world.connectors["webcrm"].sink
    data = {"OrganisationName": "Ekko AS", "OrganisationVatNumber": "NO999888777"}
    await sink.create("Organisations", data, idempotency_key="selftest")
    verdict = world.verdict()
    assert verdict.counts["echo_writes"] == 1
    assert any("a create in a flow's source" in p for p in verdict.problems)


async def test_a_delete_on_the_owners_side_is_an_echo_and_a_deleted_record(
    world: World,
) -> None:
    webcrm_id = world.owned("webcrm", PRODUCT)
    await world.connectors["webcrm"].sink.delete("Products", str(webcrm_id))
    assert world.counts() == {"echo_writes": 1, "deleted_records": 1}


# -- lost updates, duplicates, links -----------------------------------------------


def test_a_lost_update_is_reported(world: World) -> None:
    edit = next(
        e
        for e in world.expected.winners().values()
        if e.prop.style == "text" and e.kind is ORG
    )
    target = world.customcrm_id(ORG, edit.webcrm_id)
    # Both sides agree again, on a value older than the edit that must win.
    world.webcrm.edit("Organisations", edit.webcrm_id, {edit.prop.webcrm: "Gammel"})
    world.customcrm.edit("customers", target, {edit.prop.customcrm: "Gammel"})
    verdict = world.verdict()
    assert world.counts() == {"lost_updates": 1}
    assert f"{edit.prop.webcrm} should be {edit.value!r}" in verdict.problems[0]


def test_a_value_left_unequal_is_reported(world: World) -> None:
    edited = {e.webcrm_id for e in world.expected.edits if e.kind is ORG}
    webcrm_id = next(i for i in sorted(world.expected.sources[ORG]) if i not in edited)
    target = world.customcrm_id(ORG, webcrm_id)
    world.customcrm.edit("customers", target, {"City": "Avvik"})
    verdict = world.verdict()
    assert world.counts() == {"unequal_properties": 1}
    assert "'Avvik'" in verdict.problems[0]


async def test_a_duplicate_create_is_reported(world: World) -> None:
    webcrm_id = world.owned("customcrm", PRODUCT)
    target = world.customcrm_id(PRODUCT, webcrm_id)
    copy = world.customcrm.get("products", target)
    data = {f: copy[f] for f in ("Name", "Price", "Description")}
    sink = world.connectors["customcrm"].sink
    await sink.create("Product", data, idempotency_key=uuid.uuid4().hex)
    verdict = world.verdict()
    assert world.counts() == {"duplicates": 1}
    assert f"Products {webcrm_id}: 2 counterparts" in verdict.problems[0]


def _notice(flow: str, source_id: str, target_id: str, op: LinkOp) -> Any:
    return LinkNotice(flow=flow, source_id=source_id, target_id=target_id, op=op)


def test_a_source_linked_twice_is_reported(world: World) -> None:
    flow = ORG.flow
    topic = world.bus.names.links(flow)
    webcrm_id = world.owned("webcrm", ORG)
    target = world.customcrm_id(ORG, webcrm_id)
    source = str(webcrm_id)
    # A second target for the same source: keyed by target id, the notices
    # hold both; read as source -> target they would collapse to one.
    world.bus.log[topic].append(
        ("C-424242", _notice(flow, source, "C-424242", LinkOp.LINK))
    )
    verdict = world.verdict()
    assert world.counts() == {"duplicates": 1}
    assert verdict.problems == [
        f"duplicates: {flow}: {source} is linked to 2 targets "
        f"{sorted(['C-424242', target])}"
    ]


def test_a_link_to_the_wrong_target_is_reported(world: World) -> None:
    flow = ORG.flow
    topic = world.bus.names.links(flow)
    webcrm_id = world.owned("webcrm", ORG)
    target = world.customcrm_id(ORG, webcrm_id)
    source = str(webcrm_id)
    world.bus.log[topic] += [
        (target, _notice(flow, source, target, LinkOp.UNLINK)),
        ("C-424242", _notice(flow, source, "C-424242", LinkOp.LINK)),
    ]
    world.bus.link_stores[flow][source]["target_id"] = "C-424242"  # as announced
    verdict = world.verdict()
    assert world.counts() == {"wrong_links": 1}
    assert f"{source} linked to ['C-424242'], not {target}" in verdict.problems[0]


def test_a_link_missing_from_the_link_table_is_reported(world: World) -> None:
    # A crash lost the changelog write: announced, but no new worker would know.
    flow = ORG.flow
    webcrm_id = world.owned("webcrm", ORG)
    target = world.customcrm_id(ORG, webcrm_id)
    del world.bus.link_stores[flow][str(webcrm_id)]
    verdict = world.verdict()
    assert world.counts() == {"unrecorded_links": 1}
    assert verdict.problems == [
        f"unrecorded_links: {flow}: {webcrm_id} is announced linked to "
        f"[{target!r}], its link table row says None"
    ]


# -- deleted records ---------------------------------------------------------------


def test_a_deleted_source_is_reported(world: World) -> None:
    webcrm_id = world.owned("webcrm", PRODUCT)
    assert world.webcrm.store.remove("Products", webcrm_id)
    verdict = world.verdict()
    assert world.counts() == {"deleted_records": 1}
    assert f"webcrm Products {webcrm_id} is gone" in verdict.problems[0]


async def test_a_target_deleted_on_the_other_side_is_reported(world: World) -> None:
    webcrm_id = world.owned("webcrm", PRODUCT)
    target = world.customcrm_id(PRODUCT, webcrm_id)
    await world.connectors["customcrm"].sink.delete("Product", target)
    verdict = world.verdict()
    # Gone as a record, and so its source has no counterpart.
    assert world.counts() == {"deleted_records": 1, "missing_counterparts": 1}
    assert any(f"products {target} is deleted" in p for p in verdict.problems)


def test_a_delete_of_a_record_no_check_watches_is_reported(world: World) -> None:
    with world.customcrm_http() as http:
        made = http.post("/products", json={"Name": "Stray", "Price": 1.0}).json()
        assert http.delete(f"/products/{made['Id']}").status_code == 204
    verdict = world.verdict()
    assert world.counts() == {"deleted_records": 1}
    assert "nothing in a run deletes" in verdict.problems[0]


# -- dead letters ------------------------------------------------------------------


def test_a_swallowed_dead_letter_is_reported(world: World) -> None:
    key = "webcrm/Products/9999"
    letters = world.bus.dead_letters
    [letter] = [
        d for d in letters if letter_key(d.system, d.entity, d.record_id) == key
    ]
    letters.remove(letter)
    verdict = world.verdict()
    assert world.counts() == {"swallowed_dead_letters": 1}
    assert verdict.problems == [
        f"swallowed_dead_letters: {key} was never dead-lettered"
    ]


def test_an_unexplained_dead_letter_is_reported(world: World) -> None:
    webcrm_id = world.owned("customcrm", PRODUCT)
    world.bus.dead_letters.append(
        DeadLetter(
            system="webcrm",
            entity="Products",
            record_id=str(webcrm_id),
            reason="injected",
            stage="flow",
            error_type="RecordError",
        )
    )
    assert world.counts() == {"unexplained_dead_letters": 1}


# -- the figures -------------------------------------------------------------------


def test_every_check_fails_the_run_and_shows_in_the_closing_figures() -> None:
    verdict = Verdict()
    for invariant in MUST_BE_ZERO:
        verdict.fail(invariant, "injected")
    with pytest.raises(ValueError, match="not a must-be-zero figure"):
        verdict.fail("a note", "a problem only described would fail nothing")
    phase = PhaseFigures("injected")
    for name in MUST_BE_ZERO:
        setattr(phase, name, verdict.counts[name])
    with pytest.raises(AssertionError):
        assert_guarantees(phase, verdict.problems)
    figures = Figures("selftest", phases=[phase])
    assert figures.as_dict()["totals"] == dict.fromkeys(MUST_BE_ZERO, 1)
    lines = figures.lines()
    for invariant in MUST_BE_ZERO:
        assert f"  invariant {invariant}: 1 (FAIL)" in lines


def test_fault_counts_are_counted_once(tmp_path: Any) -> None:
    profile = Profile("selftest", 1, 0, 0, 0, 0, 0, 10.0)
    run = ChaosRun("127.0.0.1:9", None, tmp_path, profile)
    run.open()
    try:
        run.customcrm.fail_next(2, status=503)
        run.customcrm.lose_next(1)
        with httpx.Client(
            base_url=run.customcrm.url,
            headers={"Authorization": f"Bearer {run.customcrm.api_key}"},
        ) as http:
            statuses = [http.get("/customers").status_code for _ in range(2)]
            statuses.append(http.post("/customers", json={"Name": "A"}).status_code)
        assert statuses == [503, 503, 502]
        for _ in range(2):  # the closing figures' test, then the run's end
            run.collect_faults()
        assert run.figures.faults_injected == {
            "customcrm 5xx": 2,
            "customcrm lost-response": 1,
        }
    finally:
        run.webcrm.stop()
        run.customcrm.stop()


def test_a_failure_diagnosis_reads_table_rows_by_their_json_keys() -> None:
    # faust JSON-encodes a table's keys: a row of 5006 is keyed '"5006"'.
    messages = [
        ('"5006"', {"source_id": "5006", "target_id": "P-1002"}),
        ('"flow/s/5006"', "P-1002"),
        ('"5007"', {"source_id": "5007"}),
        ('"5007"', None),  # deleted since
    ]
    assert by_table_key(messages) == {
        "5006": {"source_id": "5006", "target_id": "P-1002"},
        "flow/s/5006": "P-1002",
    }
