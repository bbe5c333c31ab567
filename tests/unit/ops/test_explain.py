"""``tether explain`` without a broker: hops across flows, the timeline, the output."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.errors import ConfigurationError
from dataflows import flows_by_name, load_documents
from ops.cli import build_parser
from ops.explain import (
    Node,
    assemble,
    entity_node,
    follow_hops,
    link_history,
    reachable_flows,
    render_json,
    render_text,
    second_pass,
)
from schemas.envelope import ChangeEvent, ConflictRecord, DeadLetter, FlowReport, Side
from schemas.links import Link
from schemas.observe import WriteOp, WriteRecord
from streams.readback_keys import Message
from streams.topics import TopicNames

FLOWS = flows_by_name(load_documents())
COMPANIES = "membercare-companies-to-customwebshop-customer"
CHAIN = "customwebshop-customer-to-chargebee-business-entity"
COUNTRIES = "crmoffice-companies-to-membercare-countries"
APP = "app"
NAMES = TopicNames(APP)
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)

COMPANY = Node("membercare", "Companies", "17")
CUSTOMER = Node("customwebshop", "Customer", "C5")
ENTITY = Node("chargebee", "Business_entity", "be_3")


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def msg(topic: str, key: str | None, value: Any, seconds: float = 0) -> Message:
    return Message(topic, 0, 0, at(seconds), key, value)


def link_row(flow: str, source: str, target: str, seconds: float, **kw: Any) -> Any:
    link = Link(
        flow=flow, source_id=source, target_id=target, linked_at=at(seconds), **kw
    )
    return msg(NAMES.links_changelog(flow), source, link.model_dump(mode="json"))


def chain_links() -> dict[str, Any]:
    """Company 17 -> customer C5 -> business entity be_3, with neighbours."""
    return {
        COMPANIES: link_history(
            COMPANIES,
            [
                link_row(COMPANIES, "17", "C5", 1, how="created"),
                link_row(COMPANIES, "18", "C6", 1, how="created"),
            ],
        ),
        CHAIN: link_history(
            CHAIN,
            [
                link_row(CHAIN, "C5", "be_3", 2, how="matched"),
                link_row(CHAIN, "C6", "be_4", 2, how="matched"),
            ],
        ),
    }


def test_the_flows_a_company_can_reach_go_through_the_shop_to_chargebee():
    reached = {
        f.name for f in reachable_flows(FLOWS.values(), "membercare", "Companies")
    }
    assert {COMPANIES, CHAIN} <= reached
    # Other sources of the same shop customer are part of its history too.
    assert "tidsbanken-kunde-to-customwebshop-customer" in reached
    assert "webcrm-organisations-to-customcrm-customer" not in reached


def test_shared_targets_of_value_keyed_flows_end_the_reachable_flows():
    reached = {
        f.name for f in reachable_flows(FLOWS.values(), "crmoffice", "Companies")
    }
    assert COUNTRIES in reached
    # Not back from the country to every activity that names it.
    assert "crmoffice-activities-to-membercare-countries" not in reached


def test_hops_are_followed_transitively_from_the_source_side():
    flows = reachable_flows(FLOWS.values(), "membercare", "Companies")
    chain = follow_hops(COMPANY, flows, chain_links())
    assert chain.nodes == [COMPANY, CUSTOMER, ENTITY]
    assert [(h.flow, h.source, h.target, h.state, h.how) for h in chain.hops] == [
        (COMPANIES, COMPANY, CUSTOMER, "linked", "created"),
        (CHAIN, CUSTOMER, ENTITY, "linked", "matched"),
    ]


def test_hops_are_followed_back_from_the_far_end():
    flows = reachable_flows(FLOWS.values(), "chargebee", "Business_entity")
    chain = follow_hops(ENTITY, flows, chain_links())
    assert chain.nodes == [ENTITY, CUSTOMER, COMPANY]
    assert Node("membercare", "Companies", "18") not in chain.nodes


def test_former_links_are_followed_and_marked():
    history = link_history(
        COMPANIES,
        [
            link_row(COMPANIES, "17", "C9", 1, how="matched"),
            msg(NAMES.links_changelog(COMPANIES), "17", None, 3),  # unlinked
            link_row(COMPANIES, "17", "C5", 4, how="created"),
        ],
    )
    chain = follow_hops(COMPANY, [FLOWS[COMPANIES]], {COMPANIES: history})
    states = {h.target.id: h.state for h in chain.hops}
    assert states == {"C9": "unlinked", "C5": "linked"}
    changes = [(c.target_id, c.linked, c.at) for c in history["17"].changes]
    assert changes == [("C9", True, at(1)), ("C9", False, at(3)), ("C5", True, at(4))]


def test_a_deleted_target_is_a_former_link():
    link = Link(
        flow=COMPANIES, source_id="17", target_id="C5", linked_at=at(1)
    ).model_copy(update={"target_deleted_at": at(5)})
    history = link_history(
        COMPANIES,
        [
            link_row(COMPANIES, "17", "C5", 1),
            msg(NAMES.links_changelog(COMPANIES), "17", link.model_dump(mode="json")),
        ],
    )
    chain = follow_hops(COMPANY, [FLOWS[COMPANIES]], {COMPANIES: history})
    assert [h.state for h in chain.hops] == ["target deleted"]
    assert history["17"].changes[-1].at == at(5)


def test_value_keyed_targets_are_shown_but_not_followed():
    flow = FLOWS[COUNTRIES]
    rows = [
        link_row(COUNTRIES, c, "NO", 1, value_targets={"no": "NO"}) for c in ("1", "2")
    ]
    links = {COUNTRIES: link_history(COUNTRIES, rows)}
    start = Node("crmoffice", "Companies", "1")
    chain = follow_hops(start, [flow], links)
    assert chain.nodes == [start, Node("membercare", "Countries", "NO")]


def test_a_source_without_a_link_lists_the_flow_it_takes_part_in():
    flows = [FLOWS[COMPANIES], FLOWS[CHAIN]]
    links = {CHAIN: link_history(CHAIN, [])}
    links[COMPANIES] = link_history(COMPANIES, [link_row(COMPANIES, "17", "C5", 1)])
    chain = follow_hops(COMPANY, flows, links)
    assert chain.unlinked == {CUSTOMER: [CHAIN]}


def change(node: Node, seconds: float, **data: Any) -> Message:
    event = ChangeEvent(
        system=node.system,
        entity=node.type,
        id=node.id,
        data=data,
        modified_at=at(seconds - 0.5),
        observed_at=at(seconds),
    )
    topic = NAMES.entity(node.system, node.type)
    return msg(topic, node.id, event.model_dump(mode="json"))


def write(node: Node, op: WriteOp, seconds: float, cause: Node, **kw: Any) -> Message:
    record = WriteRecord(
        flow=kw.pop("flow", COMPANIES),
        system=node.system,
        entity=node.type,
        record_id=node.id,
        op=op,
        from_system=cause.system,
        from_entity=cause.type,
        from_id=cause.id,
        written_at=at(seconds),
        **kw,
    )
    return msg(NAMES.writes, str(node), record.model_dump(mode="json"))


def all_kinds() -> dict[str, list[Message]]:
    other = Node("membercare", "Companies", "18")
    conflict = ConflictRecord(
        flow=COMPANIES,
        source_id="17",
        target_id="C5",
        property="Name",
        winner=Side.TARGET,
        winning_value="Acme AS",
        overridden_value="Acme",
        source_modified_at=at(9),
        target_modified_at=at(9.5),
        rule="newest wins",
        decided_at=at(10),
    )
    letter = DeadLetter(
        system="chargebee",
        entity="Business_entity",
        record_id="be_3",
        reason="name too long",
        stage="target-write",
        error_type="BadRecordError",
        flow=CHAIN,
        failed_at=at(12),
    )
    report = FlowReport(
        flow=CHAIN,
        kind="ambiguous-match",
        source_id="C6",
        detail="2 match",
        reported_at=at(3),
    )
    shop = Node("customwebshop", "Customer", "C6")
    writes = [
        write(CUSTOMER, WriteOp.CREATE, 1, COMPANY, why="new", after={"Name": "Acme"}),
        write(
            ENTITY,
            WriteOp.MATCH,
            2,
            CUSTOMER,
            flow=CHAIN,
            why="natural key",
            after={"source_id": "C5"},
        ),
        write(
            CUSTOMER,
            WriteOp.UPDATE,
            11,
            COMPANY,
            why="source change",
            before={"Name": "Acme", "City": "Oslo"},
            after={"Name": "Acme AS", "City": "Oslo"},
            conflicts={"Name": "target"},
        ),
        write(shop, WriteOp.CREATE, 1, other),
    ]
    letter_key = "chargebee/Business_entity/be_3#x"
    return {
        NAMES.entity("membercare", "Companies"): [
            change(COMPANY, 0.5, companyName="Acme"),
            change(COMPANY, 8, companyName="Acme"),
        ],
        NAMES.entity("customwebshop", "Customer"): [change(CUSTOMER, 1.5, Name="Acme")],
        NAMES.writes: writes,
        NAMES.conflicts: [
            msg(NAMES.conflicts, f"{COMPANIES}/17", conflict.model_dump(mode="json"))
        ],
        NAMES.deadletters: [
            msg(NAMES.deadletters, letter_key, letter.model_dump(mode="json"))
        ],
        NAMES.reports: [
            msg(NAMES.reports, f"{CHAIN}/C6", report.model_dump(mode="json"))
        ],
    }


def test_the_timeline_has_every_kind_of_record_of_the_chain_in_time_order():
    explanation = assemble(APP, COMPANY, FLOWS, chain_links(), all_kinds())
    got = [(e.at, str(e.node), e.kind) for e in explanation.entries]
    assert got == [
        (at(0.5), str(COMPANY), "change"),
        (at(1), str(CUSTOMER), "create"),
        (at(1), str(COMPANY), "link"),
        (at(1.5), str(CUSTOMER), "change"),
        (at(2), str(ENTITY), "match"),
        (at(2), str(CUSTOMER), "link"),
        (at(8), str(COMPANY), "change"),
        (at(10), str(COMPANY), "conflict"),
        (at(11), str(CUSTOMER), "update"),
        (at(12), str(ENTITY), "dead letter"),
    ]
    assert explanation.found
    update = explanation.entries[8]
    assert update.details == (
        "Name: 'Acme' -> 'Acme AS'",
        "conflict on Name: target won",
    )
    assert "from membercare/Companies/17" in update.summary
    match = explanation.entries[4]
    assert match.summary == f"match by {CHAIN}: natural key (from {CUSTOMER})"
    assert match.details == ()
    assert explanation.entries[7].summary == (
        f"conflict on Name in {COMPANIES}: target won (newest wins)"
    )


def test_nothing_known_is_not_found():
    explanation = assemble(APP, Node("membercare", "Companies", "99"), FLOWS, {}, {})
    assert not explanation.found
    assert "nothing known" in render_text(explanation)


def test_the_text_lists_the_chain_per_flow_then_the_timeline():
    text = render_text(assemble(APP, COMPANY, FLOWS, chain_links(), all_kinds()))
    assert f"  {COMPANIES}\n    {COMPANY} -> {CUSTOMER} (linked, created)" in text
    assert f"  {CHAIN}\n    {CUSTOMER} -> {ENTITY} (linked, matched)" in text
    assert "2024-05-01 10:00:11.000" in text
    assert "Name: 'Acme' -> 'Acme AS'" in text
    assert "dead letter at target-write in" in text
    assert text.index("Linked:") < text.index("Timeline (UTC):")


def test_the_json_document_has_the_chain_and_the_timeline():
    document = json.loads(
        render_json(assemble(APP, COMPANY, FLOWS, chain_links(), all_kinds()))
    )
    assert document["found"] is True
    assert document["entity"] == {
        "system": "membercare",
        "type": "Companies",
        "id": "17",
    }
    assert [n["id"] for n in document["chain"]] == ["17", "C5", "be_3"]
    assert [h["flow"] for h in document["hops"]] == [COMPANIES, CHAIN]
    update = next(e for e in document["timeline"] if e["kind"] == "update")
    assert update["record"]["after"]["Name"] == "Acme AS"
    assert update["at"] == "2024-05-01T10:00:11+00:00"


def test_the_second_pass_reads_only_keys_that_concern_the_chain():
    chain = follow_hops(
        COMPANY,
        reachable_flows(FLOWS.values(), "membercare", "Companies"),
        chain_links(),
    )
    filters = second_pass(chain, FLOWS.values(), NAMES)
    companies = filters[NAMES.entity("membercare", "Companies")]
    assert companies("17")
    assert not companies("18")
    assert filters[NAMES.conflicts](f"{COMPANIES}/17")
    assert filters[NAMES.reports](f"{CHAIN}/C5")
    assert not filters[NAMES.reports](f"{CHAIN}/C6")
    letters = filters[NAMES.deadletters]
    assert letters("chargebee/Business_entity/be_3#abc")
    assert letters("membercare/Companies/17")
    assert not letters("membercare/Companies/170#abc")


def test_the_entity_is_named_by_known_system_and_type_in_any_case():
    assert entity_node("Membercare", "companies", "17") == COMPANY
    with pytest.raises(ConfigurationError, match="unknown type 'Firms'"):
        entity_node("membercare", "Firms", "17")
    with pytest.raises(ConfigurationError, match="unknown system 'nosuch'"):
        entity_node("nosuch", "Companies", "17")


def test_the_command_takes_system_type_and_id():
    args = build_parser().parse_args(
        ["explain", "membercare", "Companies", "17", "--json", "--app-id", "x"]
    )
    assert (args.system, args.type, args.id, args.json, args.app_id) == (
        "membercare",
        "Companies",
        "17",
        True,
        "x",
    )


def test_the_flows_explained_need_no_credentials_in_this_shell(monkeypatch):
    from ops.cli.explain import explained_flows
    from streams.settings import StreamSettings

    for key in list(os.environ):
        if key.startswith(("MEMBERCARE_", "CUSTOMWEBSHOP_", "CHARGEBEE_")):
            monkeypatch.delenv(key)
    settings = StreamSettings(flows="membercare-customwebshop")
    flows = explained_flows(settings)
    assert COMPANIES in flows
    assert all(f.source.system == "membercare" for f in flows.values())
    assert set(explained_flows(StreamSettings(flows="all"))) == set(FLOWS)
