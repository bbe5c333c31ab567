"""``tether links`` and ``tether resync``'s rendering and choices, without Kafka."""

from __future__ import annotations

from datetime import UTC, datetime

from dataflows import flows_by_name, load_documents
from ops.links import FlowLinks, link_json, links_json, render_one, render_table
from ops.resync import resynced_types
from schemas.dataflow import TargetMode
from schemas.links import Link

FLOWS = flows_by_name(load_documents())
ORGS = FLOWS["webcrm-organisations-to-customcrm-customer"]
AT = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def table() -> FlowLinks:
    linked = Link(
        flow=ORGS.name,
        source_id="12",
        target_id="C-7",
        how="matched",
        linked_at=AT,
        synced={"Name": "Fjord Bygg AS"},
        source_seen_at=AT,
        target_seen_at=AT,
    )
    other = linked.model_copy(update={"source_id": "3", "target_id": "C-1"})
    gone = linked.model_copy(update={"source_id": "5", "target_deleted_at": AT})
    return FlowLinks(ORGS.name, [other, linked], [gone], {"8": ["C-2"]})


def test_the_table_shows_ids_how_and_when_and_counts_links_apart_from_tombstones():
    text = render_table(table(), ORGS, limit=100)
    assert "C-7" in text
    assert "matched" in text
    assert "2024-05-01 10:00:00" in text
    assert "target deleted" in text  # the tombstone, flagged
    assert text.rstrip().endswith("2 links, 1 tombstone (no link)")
    assert "the first 1 shown" in render_table(table(), ORGS, limit=1)


def test_one_link_in_full_by_source_or_target_id():
    text, linked = render_one(table(), ORGS, "12")
    assert linked
    assert '"Fjord Bygg AS"' in text
    assert "source seen at  2024-05-01 10:00:00" in text
    by_target, _ = render_one(table(), ORGS, "C-7")
    assert "found by target id C-7" in by_target
    tombstone, linked = render_one(table(), ORGS, "5")
    assert not linked
    assert "target deleted" in tombstone


def test_an_unlinked_source_says_so():
    text, linked = render_one(table(), ORGS, "8")
    assert not linked
    assert "8 is not linked" in text
    assert "unlinked by an operator from customers C-2" in text.replace(
        ORGS.target.type, "customers"
    )
    assert link_json(table(), "8")["unlinked_targets"] == ["C-2"]


def test_json_for_machines():
    found = links_json(table(), limit=0)
    assert (found["count"], found["tombstone_count"]) == (2, 1)
    assert found["links"][1]["synced"] == {"Name": "Fjord Bygg AS"}
    one = link_json(table(), "C-7")
    assert (one["found_by"], one["link"]["source_id"]) == ("target", "12")


def test_a_full_resync_reads_the_types_the_workers_poll():
    assert resynced_types(ORGS) == [ORGS.source, ORGS.target]
    keyed = next(f for f in FLOWS.values() if f.target_mode is TargetMode.VALUE_KEYED)
    assert resynced_types(keyed) == [keyed.source]
