"""``tether explain`` on a real broker: records of every kind; a real deployment."""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from aiokafka import AIOKafkaProducer

from devkit.local import LocalDeployment
from ops.cli import main
from schemas.catalog import SYSTEMS
from schemas.envelope import ChangeEvent, ConflictRecord, DeadLetter, FlowReport, Side
from schemas.links import Link
from schemas.observe import WriteOp, WriteRecord
from standins import (
    ChargebeeStandIn,
    CustomwebshopStandIn,
    MembercareStandIn,
    StandIn,
    chargebee_sample,
    membercare_sample,
)
from streams.provision import TopicSpec, ensure_topics
from streams.readback_keys import every_key, read_messages
from streams.topics import TopicNames
from tests.integration.scenario import links
from tests.integration.test_verify import run_cli

COMPANIES = "membercare-companies-to-customwebshop-customer"
CHAIN = "customwebshop-customer-to-chargebee-business-entity"
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _dump(model: Any) -> bytes:
    return orjson.dumps(model.model_dump(mode="json"))


def _change(system: str, entity: str, id_: str, seconds: float) -> ChangeEvent:
    return ChangeEvent(
        system=system,
        entity=entity,
        id=id_,
        data={"name": id_},
        modified_at=at(seconds - 0.5),
        observed_at=at(seconds),
    )


def _write(
    flow: str, target: tuple[str, str, str], op: WriteOp, cause: tuple[str, str, str],
    seconds: float, **kw: Any,
) -> WriteRecord:  # fmt: skip
    return WriteRecord(
        flow=flow,
        system=target[0],
        entity=target[1],
        record_id=target[2],
        op=op,
        from_system=cause[0],
        from_entity=cause[1],
        from_id=cause[2],
        written_at=at(seconds),
        **kw,
    )


def _messages(names: TopicNames) -> list[tuple[str, str, bytes | None]]:
    """One message of every kind about company 17's chain, and some that are not."""
    company = ("membercare", "Companies", "17")
    customer = ("customwebshop", "Customer", "C5")
    entity = ("chargebee", "Business_entity", "be_3")
    return [
        (names.entity(*company[:2]), "17", _dump(_change(*company, 1))),
        (names.entity(*company[:2]), "18", _dump(_change(*company[:2], "18", 1))),
        (names.entity(*customer[:2]), "C5", _dump(_change(*customer, 3))),
        (names.writes, "customwebshop/Customer/C5", _dump(_write(
            COMPANIES, customer, WriteOp.CREATE, company, 2, why="new source record",
            after={"Name": "Acme"}))),
        (names.links_changelog(COMPANIES), "17", _dump(Link(
            flow=COMPANIES, source_id="17", target_id="C9", linked_at=at(0.5)))),
        (names.links_changelog(COMPANIES), "17", None),  # a wrong match, unlinked
        (names.links_changelog(COMPANIES), "17", _dump(Link(
            flow=COMPANIES, source_id="17", target_id="C5", linked_at=at(2)))),
        (names.links_changelog(COMPANIES), "18", _dump(Link(
            flow=COMPANIES, source_id="18", target_id="C6", linked_at=at(2)))),
        (names.writes, "chargebee/Business_entity/be_3", _dump(_write(
            CHAIN, entity, WriteOp.MATCH, customer, 4, why="natural key name"))),
        (names.links_changelog(CHAIN), "C5", _dump(Link(
            flow=CHAIN, source_id="C5", target_id="be_3", how="matched",
            linked_at=at(4)))),
        (names.writes, "customwebshop/Customer/C5", _dump(_write(
            COMPANIES, customer, WriteOp.UPDATE, company, 6, why="source change",
            before={"Name": "Acme"}, after={"Name": "Acme AS"}))),
        (names.conflicts, f"{COMPANIES}/17", _dump(ConflictRecord(
            flow=COMPANIES, source_id="17", target_id="C5", property="Email",
            winner=Side.SOURCE, winning_value="a@acme.no", overridden_value="b@acme.no",
            source_modified_at=at(5), target_modified_at=at(4.9), rule="newest wins",
            decided_at=at(5.5)))),
        (names.reports, f"{CHAIN}/C5", _dump(FlowReport(
            flow=CHAIN, kind="ambiguous-match", source_id="C5", detail="2 match",
            reported_at=at(3.5)))),
        (names.deadletters, "chargebee/Business_entity/be_3#abc", _dump(DeadLetter(
            system="chargebee", entity="Business_entity", record_id="be_3",
            reason="refused", stage="target-write", error_type="BadRecordError",
            flow=CHAIN, failed_at=at(7)))),
        (names.deadletters, "membercare/Companies/18#abc", _dump(DeadLetter(
            system="membercare", entity="Companies", record_id="18",
            reason="other", stage="source", error_type="BadRecordError",
            failed_at=at(7)))),
    ]  # fmt: skip


async def _publish(
    bootstrap: str, messages: list[tuple[str, str, bytes | None]]
) -> None:
    topics = sorted({topic for topic, _, _ in messages})
    await ensure_topics(bootstrap, [TopicSpec(topic, 2) for topic in topics])
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        for topic, key, value in messages:
            await producer.send_and_wait(topic, key=key.encode(), value=value)
    finally:
        await producer.stop()


def _explain(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    bootstrap: str,
    *argv: str,
) -> tuple[int, str, str]:
    prefixes = ("TETHER_", *(f"{system.upper()}_" for system in SYSTEMS))
    for key in list(os.environ):
        if key.startswith(prefixes):
            monkeypatch.delenv(key)
    monkeypatch.setenv("TETHER_KAFKA_BOOTSTRAP", bootstrap)
    capsys.readouterr()
    code = main(["explain", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_explain_reads_every_kind_of_record_from_the_topics(
    kafka_bootstrap, monkeypatch, capsys
):
    app = f"it-explain-{uuid.uuid4().hex[:8]}"
    asyncio.run(_publish(kafka_bootstrap, _messages(TopicNames(app))))

    code, out, _ = _explain(
        monkeypatch, capsys, kafka_bootstrap,
        "membercare", "Companies", "17", "--json", "--app-id", app,
    )  # fmt: skip
    assert code == 0
    document = json.loads(out)
    assert [f"{n['system']}/{n['type']}/{n['id']}" for n in document["chain"]] == [
        "membercare/Companies/17",
        "customwebshop/Customer/C9",
        "customwebshop/Customer/C5",
        "chargebee/Business_entity/be_3",
    ]
    hops = [(h["flow"], h["target"]["id"], h["state"]) for h in document["hops"]]
    assert hops == [
        (COMPANIES, "C9", "unlinked"),
        (COMPANIES, "C5", "linked"),
        (CHAIN, "be_3", "linked"),
    ]
    timeline = [(e["id"], e["kind"]) for e in document["timeline"]]
    assert timeline == [
        ("17", "link"),  # C9, 0.5 s
        ("17", "change"),
        ("C5", "create"),
        ("17", "link"),  # C5, 2 s
        ("C5", "change"),
        ("C5", "report"),
        ("be_3", "match"),
        ("C5", "link"),
        ("17", "conflict"),
        ("C5", "update"),
        ("be_3", "dead letter"),
        # A removed row has no time of its own: the broker's (now) is its time.
        ("17", "unlinked"),
    ]
    assert document["timeline"][-1]["summary"] == (
        f"no longer linked to customwebshop/Customer/C9 by {COMPANIES} (unlinked)"
    )
    update = next(e for e in document["timeline"] if e["kind"] == "update")
    assert update["details"] == ["Name: 'Acme' -> 'Acme AS'"]

    code, text, _ = _explain(
        monkeypatch, capsys, kafka_bootstrap,
        "chargebee", "business_entity", "be_3", "--app-id", app,
    )  # fmt: skip
    assert code == 0
    assert (
        f"  {COMPANIES}\n    membercare/Companies/17 -> customwebshop/Customer/C5"
        in (text)
    )
    assert "dead letter at target-write" in text
    assert "membercare/Companies/18" not in text


def test_explain_says_when_nothing_is_known(kafka_bootstrap, monkeypatch, capsys):
    app = f"it-explain-{uuid.uuid4().hex[:8]}"
    asyncio.run(_publish(kafka_bootstrap, _messages(TopicNames(app))))
    code, out, err = _explain(
        monkeypatch, capsys, kafka_bootstrap,
        "membercare", "Companies", "404", "--app-id", app,
    )  # fmt: skip
    assert code == 1
    assert "nothing known" in out
    assert "nothing known about membercare/Companies/404" in err
    code, _, err = _explain(
        monkeypatch, capsys, kafka_bootstrap,
        "membercare", "Companies", "17", "--app-id", "never-ran-here",
    )  # fmt: skip
    assert code == 78
    assert "no topic of app id 'never-ran-here'" in err


@pytest.fixture
def three_systems(
    kafka_bootstrap: str, tmp_path: Any
) -> Iterator[tuple[LocalDeployment, dict[str, StandIn]]]:
    """Membercare, Customwebshop and Chargebee stand-ins, one worker syncing them.

    A few Membercare companies share their name with a Chargebee business entity:
    each reaches Chargebee through the Customwebshop customer created for it.
    """
    standins: dict[str, StandIn] = {
        "membercare": MembercareStandIn().start(),
        "customwebshop": CustomwebshopStandIn().start(),
        "chargebee": ChargebeeStandIn().start(),
    }
    standins["chargebee"].set_faults(rate_limit=None)
    sample = membercare_sample(
        companies=6, persons=4, organizations=2, invoices=4, seed=5
    )
    for resource, records in sample.items():
        standins["membercare"].seed(resource, records)
    names = [c["companyName"] for c in sample["Companies"][:3]]
    for resource, records in chargebee_sample(business_entities=names, seed=5).items():
        standins["chargebee"].seed(resource, records)
    local = LocalDeployment(
        bootstrap=kafka_bootstrap,
        app_id=f"it-explain-{uuid.uuid4().hex[:8]}",
        home=tmp_path,
        standins=standins,
        flows="membercare-customwebshop,customwebshop-chargebee",
    )
    try:
        local.start_worker()
        yield local, standins
    finally:
        local.stop()
        for standin in standins.values():
            standin.stop()


def _through_the_shop(local: LocalDeployment) -> tuple[str, str, str] | None:
    """A company linked to a shop customer that is linked to a business entity."""
    companies, chain = links(local, COMPANIES), links(local, CHAIN)
    for company, customer in sorted(companies.items()):
        if customer in chain:
            return company, customer, chain[customer]
    return None


def test_explain_follows_a_company_through_the_shop_to_chargebee(
    three_systems, monkeypatch, capsys
):
    local, standins = three_systems
    local.wait_for(
        lambda: _through_the_shop(local) is not None,
        timeout=300,
        what="a company linked through Customwebshop to Chargebee",
    )
    found = _through_the_shop(local)
    assert found is not None
    company, customer, entity = found
    # A change in Membercare: an update write of the shop customer follows.
    standins["membercare"].edit(
        "Companies", company, {"einvoiceEmail": "explained@example.no"}
    )
    local.wait_for(
        lambda: (
            standins["customwebshop"].get("customers", customer).get("Email")
            == "explained@example.no"
        ),
        timeout=120,
        what="the new e-mail in the shop",
    )
    ids = {
        "membercare/Companies": company,
        "customwebshop/Customer": customer,
        "chargebee/Business_entity": entity,
    }

    def explained() -> dict[str, Any]:
        code, out, _ = run_cli(
            local, monkeypatch, capsys,
            "explain", "membercare", "Companies", company, "--json",
        )  # fmt: skip
        assert code == 0
        document: dict[str, Any] = json.loads(out)
        return document

    document = explained()
    chain = {f"{n['system']}/{n['type']}": n["id"] for n in document["chain"]}
    assert {k: chain.get(k) for k in ids} == ids
    hops = {(h["flow"], h["source"]["id"], h["target"]["id"]) for h in document["hops"]}
    assert {(COMPANIES, company, customer), (CHAIN, customer, entity)} <= hops
    seen = {(e["system"], e["kind"]) for e in document["timeline"]}
    assert ("membercare", "change") in seen
    assert ("customwebshop", "change") in seen

    def writes(document: dict[str, Any]) -> set[tuple[str, str, str]]:
        return {
            (e["flow"], f"{e['system']}/{e['type']}/{e['id']}", e["kind"])
            for e in document["timeline"]
            if e["kind"] in ("create", "update", "match")
        }

    # The writes of both hops: the shop customer created (or matched) and then
    # updated by the company's flow, the business entity matched by the chain's.
    customer_key = f"customwebshop/Customer/{customer}"
    wanted = {
        (COMPANIES, customer_key, "update"),
        (CHAIN, f"chargebee/Business_entity/{entity}", "match"),
    }
    last = [document]

    def both_hops_written() -> bool:
        last[0] = explained()
        return wanted <= writes(last[0])

    local.wait_for(both_hops_written, timeout=60, what="the writes of both hops")
    document = last[0]
    first = {
        k for f, key, k in writes(document) if (f, key) == (COMPANIES, customer_key)
    }
    assert first & {"create", "match"}
    update = next(
        e for e in document["timeline"]
        if e["kind"] == "update" and e["flow"] == COMPANIES
    )  # fmt: skip
    assert "'explained@example.no'" in " ".join(update["details"])
    code, text, _ = run_cli(
        local, monkeypatch, capsys, "explain", "membercare", "Companies", company
    )
    assert code == 0
    assert f"{COMPANIES}\n    membercare/Companies/{company} -> {customer_key}" in text
    assert f"{CHAIN}\n    {customer_key} -> chargebee/Business_entity/{entity}" in text


async def test_reading_messages_keeps_wanted_keys_in_order_with_tombstones(
    kafka_bootstrap, unique_name
):
    topic = unique_name("history")
    await ensure_topics(kafka_bootstrap, [TopicSpec(topic, 3)])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        for key, value in [
            (b"a", b'{"n": 1}'),
            (b"b", b'{"n": 1}'),
            (b"a", b'{"n": 2}'),
            (b"a", None),  # a tombstone is a message too
            (b"a", b"not json"),  # skipped, not fatal
            (None, b'{"n": 9}'),
        ]:
            await producer.send_and_wait(topic, key=key, value=value)
    finally:
        await producer.stop()
    absent = unique_name("absent")
    read = await read_messages(
        kafka_bootstrap, {topic: lambda key: key == "a", absent: every_key}
    )
    assert [(m.key, m.value) for m in read[topic]] == [
        ("a", {"n": 1}),
        ("a", {"n": 2}),
        ("a", None),
    ]
    assert read[absent] == []
    offsets = [m.offset for m in read[topic]]
    assert offsets == sorted(offsets)
    assert all(m.timestamp.tzinfo is not None for m in read[topic])
