"""A link whose notice a crash lost is announced again; a known one is not."""

from __future__ import annotations

from dataflows import flows_by_name, load_documents
from engine.redelivery import lost_notice
from schemas.dataflow import TargetMode
from schemas.links import Link, LinkOp

FLOWS = flows_by_name(load_documents())
ORGS = FLOWS["webcrm-organisations-to-customcrm-customer"]
COUNTRIES = next(f for f in FLOWS.values() if f.target_mode is TargetMode.VALUE_KEYED)
LINK = Link(flow=ORGS.name, source_id="1001", target_id="C-501")


def test_a_link_whose_pair_is_not_remembered_is_announced_again():
    notice = lost_notice(ORGS, LINK, lambda flow, sid: None)
    assert notice is not None
    assert (notice.flow, notice.source_id, notice.target_id) == (
        ORGS.name,
        "1001",
        "C-501",
    )
    assert notice.op is LinkOp.LINK


def test_a_remembered_pair_needs_no_notice():
    pairs = {(ORGS.name, "1001"): "C-501"}
    assert lost_notice(ORGS, LINK, lambda flow, sid: pairs.get((flow, sid))) is None


def test_a_pair_remembered_with_another_target_is_announced_again():
    notice = lost_notice(ORGS, LINK, lambda flow, sid: "C-999")
    assert notice is not None
    assert notice.target_id == "C-501"


def test_no_link_and_value_keyed_links_are_never_announced_here():
    assert lost_notice(ORGS, None, lambda flow, sid: None) is None
    shared = Link(flow=COUNTRIES.name, source_id="7", target_id="NO,SE")
    assert lost_notice(COUNTRIES, shared, lambda flow, sid: None) is None
