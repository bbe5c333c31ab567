"""Dead letters without a broker: what is outstanding, and how each is re-driven."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base.protocols import Sink
from connectors.errors import InvalidRecordError, TransientError
from ops.cli.deadletters import render_list, render_redrive
from ops.deadletters import (
    Action,
    Entry,
    Redriven,
    RedrivePorts,
    locate,
    outstanding,
    redrive,
    redriven_topic,
    select,
)
from schemas.envelope import ChangeEvent, DeadLetter
from streams.topics import TopicNames
from tests.unit.engine.memory_sink import MemorySink

NAMES = TopicNames("demo")
T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
PRODUCT = {"ProductId": 9999, "ProductCombined": "Ruter Pro", "ProductPrice": 10.0}


def letter(
    record_id: str = "9999",
    *,
    stage: str = "source",
    system: str = "webcrm",
    entity: str = "Products",
    minutes: int = 0,
    **fields: Any,
) -> dict[str, Any]:
    return DeadLetter(
        system=system,
        entity=entity,
        record_id=record_id,
        reason=f"{system} {entity} {record_id}: ProductPrice: not a number",
        stage=stage,
        error_type="InvalidRecordError",
        failed_at=T0 + timedelta(minutes=minutes),
        payload={"ProductId": record_id, "ProductPrice": "lots", "secret": "s3cr3t"},
        **fields,
    ).model_dump(mode="json")


def marker(minutes: int) -> dict[str, Any]:
    return Redriven(
        system="webcrm",
        entity="Products",
        record_id="9999",
        stage="source",
        letter_failed_at=T0 + timedelta(minutes=minutes),
        action="republished",
    ).model_dump(mode="json")


KEY = "webcrm/Products/9999"


def test_a_letter_without_a_marker_is_outstanding():
    [entry] = outstanding({KEY: letter()}, {}, NAMES)
    assert (entry.key, entry.system, entry.entity, entry.record_id) == (
        KEY,
        "webcrm",
        "Products",
        "9999",
    )


def test_a_marker_as_new_as_the_letter_settles_it():
    assert outstanding({KEY: letter(minutes=5)}, {KEY: marker(5)}, NAMES) == []


def test_a_letter_newer_than_its_marker_is_outstanding_again():
    # The re-driven record failed once more: the new letter must show.
    [entry] = outstanding({KEY: letter(minutes=9)}, {KEY: marker(5)}, NAMES)
    assert entry.letter.failed_at == T0 + timedelta(minutes=9)


def test_unreadable_letters_and_markers_are_skipped():
    letters = {"junk": {"system": 1}, KEY: letter()}
    assert [e.key for e in outstanding(letters, {KEY: {"junk": 1}}, NAMES)] == [KEY]


def test_entries_are_ordered_by_system_type_and_id():
    letters = {
        "webcrm/Products/10": letter("10"),
        "webcrm/Products/9": letter("9"),
        "customcrm/Product/P-1": letter("P-1", system="customcrm", entity="Product"),
        "webcrm/Organisations/abc": letter("abc", entity="Organisations"),
    }
    order = [(e.system, e.entity, e.record_id) for e in outstanding(letters, {}, NAMES)]
    assert order == [
        ("customcrm", "Product", "P-1"),
        ("webcrm", "Organisations", "abc"),
        ("webcrm", "Products", "9"),
        ("webcrm", "Products", "10"),
    ]


def test_a_letter_that_would_not_decode_is_located_by_its_entity_topic():
    raw = DeadLetter.model_validate(
        letter("42", stage="decode", system="<unknown>", entity="<unknown>",
               topic="demo.customcrm.Contact", partition=1, offset=7)
    )  # fmt: skip
    assert locate(raw, NAMES) == ("customcrm", "Contact")
    routed = raw.model_copy(update={"topic": "demo.flow.x.from-target"})
    assert locate(routed, NAMES) == ("<unknown>", "<unknown>")


def test_select_filters_by_system_and_type_ignoring_case():
    entries = outstanding(
        {
            "webcrm/Products/1": letter("1"),
            "webcrm/Persons/2": letter("2", entity="Persons"),
            "customcrm/Product/3": letter("3", system="customcrm", entity="Product"),
        },
        {},
        NAMES,
    )
    assert [e.record_id for e in select(entries, "WEBCRM")] == ["2", "1"]
    assert [e.record_id for e in select(entries, entity="product")] == ["3"]
    assert [e.record_id for e in select(entries, "webcrm", "Persons")] == ["2"]


class Bus:
    """In-memory stand-in for the producer: what was published and marked."""

    def __init__(self, sinks: dict[str, Sink], topics: set[str] | None = None) -> None:
        self.sinks = sinks
        default = {NAMES.entity("webcrm", "Products")}
        self.topics = default if topics is None else topics
        self.published: list[tuple[str, ChangeEvent]] = []
        self.marked: dict[str, Redriven] = {}

    def ports(self) -> RedrivePorts:
        async def publish(topic: str, event: ChangeEvent) -> None:
            self.published.append((topic, event))

        async def mark(key: str, value: Redriven) -> None:
            self.marked[key] = value

        return RedrivePorts(
            sink=self.sinks.get,
            publish=publish,
            mark=mark,
            topic_exists=lambda topic: topic in self.topics,
        )


def entries_of(*letters: dict[str, Any]) -> list[Entry]:
    keyed = {f"{x['system']}/{x['entity']}/{x['record_id']}": x for x in letters}
    return outstanding(keyed, {}, NAMES)


async def test_a_source_letter_is_re_read_and_published_on_its_entity_topic():
    webcrm = MemorySink("webcrm")
    current = webcrm.put("Products", "9999", PRODUCT)
    bus = Bus({"webcrm": webcrm})
    [result] = await redrive(entries_of(letter()), NAMES, bus.ports())
    assert result.action is Action.REPUBLISHED
    assert result.done
    [(topic, event)] = bus.published
    assert topic == "demo.webcrm.Products"
    assert (event.id, event.data, event.modified_at) == (
        "9999",
        PRODUCT,
        current.modified_at,
    )
    assert bus.marked[KEY].letter_failed_at == T0
    assert bus.marked[KEY].topic == topic
    # Marked, it is no longer outstanding.
    markers = {KEY: bus.marked[KEY].model_dump(mode="json")}
    assert outstanding({KEY: letter()}, markers, NAMES) == []


class FailingSink(MemorySink):
    def __init__(self, error: Exception) -> None:
        super().__init__("webcrm")
        self.error = error

    async def get(self, entity: str, record_id: str) -> ChangeEvent | None:
        raise self.error


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (
            InvalidRecordError("webcrm Products 9999: ProductPrice: bad"),
            "still invalid",
        ),
        (TransientError("503 from webcrm"), "webcrm unavailable"),
    ],
)
async def test_a_record_that_still_fails_is_not_marked(error, says):
    bus = Bus({"webcrm": FailingSink(error)})
    [result] = await redrive(entries_of(letter()), NAMES, bus.ports())
    assert result.action is Action.FAILED
    assert says in result.detail
    assert not result.done
    assert bus.published == []
    assert bus.marked == {}


async def test_a_record_that_is_gone_is_marked_without_publishing():
    bus = Bus({"webcrm": MemorySink("webcrm")})
    [result] = await redrive(entries_of(letter()), NAMES, bus.ports())
    assert result.action is Action.GONE
    assert bus.published == []
    assert bus.marked[KEY].action == "gone"


def flow_letter(event: ChangeEvent, **fields: Any) -> dict[str, Any]:
    return {
        **letter(event.id, stage="flow", entity=event.entity, **fields),
        "payload": event.model_dump(mode="json"),
        "error_type": "UnresolvedReferenceError",
    }


async def test_a_flow_letter_republishes_its_event_when_nothing_changed():
    webcrm = MemorySink("webcrm")
    dead = webcrm.put("Products", "9999", PRODUCT)
    bus = Bus({"webcrm": webcrm})
    [result] = await redrive(entries_of(flow_letter(dead)), NAMES, bus.ports())
    assert result.detail == "the dead-lettered event"
    [(_, event)] = bus.published
    assert event.model_dump(exclude={"observed_at"}) == dead.model_dump(
        exclude={"observed_at"}
    )


async def test_a_flow_letter_publishes_the_current_state_once_it_moved_on():
    webcrm = MemorySink("webcrm")
    dead = webcrm.put("Products", "9999", PRODUCT)
    newer = webcrm.put("Products", "9999", {**PRODUCT, "ProductPrice": 12.5})
    bus = Bus({"webcrm": webcrm})
    [result] = await redrive(entries_of(flow_letter(dead)), NAMES, bus.ports())
    assert result.detail.startswith("current state (changed")
    [(_, event)] = bus.published
    assert event.data == newer.data


@pytest.mark.parametrize(
    ("entry_letter", "sinks", "topics", "action", "says"),
    [
        (letter("<missing>"), {"webcrm"}, None, Action.SKIPPED, "no id"),
        (letter("1", system="<unknown>", entity="<unknown>"), {"webcrm"}, None,
         Action.SKIPPED, "which entity"),
        (letter("1"), set(), None, Action.SKIPPED, "no connector for webcrm"),
        (letter("1"), {"webcrm"}, set(), Action.FAILED, "does not exist"),
    ],
)  # fmt: skip
async def test_what_cannot_be_re_driven_says_why(
    entry_letter, sinks, topics, action, says
):
    webcrm = MemorySink("webcrm")
    webcrm.put("Products", "1", PRODUCT)
    bus = Bus({s: webcrm for s in sinks}, topics)
    [result] = await redrive(entries_of(entry_letter), NAMES, bus.ports())
    assert result.action is action
    assert says in result.detail
    assert bus.published == []
    assert bus.marked == {}


def test_the_marker_topic_sits_beside_the_dead_letters():
    assert redriven_topic(NAMES) == "demo.deadletters.redriven"


def test_the_list_shows_coordinates_and_reason_never_the_payload():
    entries = entries_of(letter(flow="webcrm-products-to-customcrm-product"))
    text = render_list(entries, as_json=False)
    lines = text.splitlines()
    assert lines[0].split()[:6] == ["SYSTEM", "TYPE", "ID", "STAGE", "WHEN", "REASON"]
    assert lines[1].split()[:6] == [
        "webcrm", "Products", "9999", "source", "2024-05-01", "10:00:00Z",
    ]  # fmt: skip
    assert lines[-1] == "1 dead letter outstanding"
    document = json.loads(render_list(entries, as_json=True))
    assert document["outstanding"] == 1
    [item] = document["dead_letters"]
    assert item["flow"] == "webcrm-products-to-customcrm-product"
    assert item["reason"].startswith("webcrm Products 9999")
    for output in (text, json.dumps(document)):
        assert "s3cr3t" not in output
        assert "payload" not in output


def test_an_empty_list_says_nothing_is_outstanding():
    assert render_list([], as_json=False) == "0 dead letters outstanding\n"


async def test_the_redrive_report_counts_each_action():
    webcrm = MemorySink("webcrm")
    webcrm.put("Products", "1", PRODUCT)
    bus = Bus({"webcrm": webcrm})
    results = await redrive(entries_of(letter("1"), letter("2")), NAMES, bus.ports())
    text = render_redrive(results, as_json=False)
    assert text.splitlines()[-1] == (
        "2 dead letters: 1 re-published, 1 gone, 0 failed, 0 skipped"
    )
    document = json.loads(render_redrive(results, as_json=True))
    assert document["summary"] == {
        "republished": 1, "gone": 1, "failed": 0, "skipped": 0,
    }  # fmt: skip
    assert [r["action"] for r in document["results"]] == ["republished", "gone"]
